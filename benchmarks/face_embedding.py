"""Faces per second: the PyTorch port of dlib's face ResNet vs dlib-bin itself, on the same chips.

Usage::

    python benchmarks/face_embedding.py              # one run each, prints the ratio
    python benchmarks/face_embedding.py --variants   # also the port's variants (what was tried)

The chips are real faces (LFW deep-funneled, cropped as ``coursekit.models.dlib.align`` documents) when
``$COURSEKIT_DATA`` holds LFW, else the astronaut chip with noise added. Both sides embed the same
chips in one batch call: ``embed_chips`` (affine folded into the convs, ``torch.inference_mode``,
torch threads = all cores) and dlib's batched ``compute_face_descriptor(list_of_chips)``.
Timings are wall-clock on whatever else the machine is doing; compare the ratio, not the numbers.
Faces per CPU-second (process CPU time) are printed too: on a shared, oversubscribed machine they
say more than wall-clock rates (dlib runs on one thread and may get a fraction of a core).

``OMP_WAIT_POLICY`` defaults to PASSIVE here (set it before running to override): with OpenMP's
active spin-waiting, two torch threads on a busy 2-core machine ran 4-5x *slower* than one thread
(measured: 4-5 vs 22 faces/s); passive waiting made two threads as fast as one or faster.

It needs dlib (the ``align`` extra); without it, it says so once and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read once, when torch loads OpenMP

import sys

import numpy as np
import torch

from coursekit import config
from coursekit.models.dlib import (
    LFW_DEEPFUNNELED_CENTER,
    LFW_DEEPFUNNELED_CROP,
    align_faces,
    crops_to_chips,
    embed_chips,
    find_model_file,
    import_dlib,
    pretrained_face_embedder,
)


def real_chips(n: int) -> tuple[np.ndarray, str]:
    """n chips of real faces, and where they came from."""
    try:
        root = config.data_dir() / "lfw" / "lfw-deepfunneled"
        files = sorted(root.glob("*/*_0001.jpg"))[:n]
    except FileNotFoundError:
        files = []
    if len(files) == n:
        from PIL import Image

        images = np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files]).transpose(0, 3, 1, 2)
        chips = crops_to_chips(np.ascontiguousarray(images), LFW_DEEPFUNNELED_CROP, LFW_DEEPFUNNELED_CENTER)
        return chips, f"{n} LFW deep-funneled images"
    import skimage.data

    chip = align_faces(skimage.data.astronaut()).chips[:1]
    noise = np.random.default_rng(0).integers(-20, 21, (n, 150, 150, 3))
    return np.clip(chip.astype(int) + noise, 0, 255).astype(np.uint8), f"{n} noisy astronaut chips"


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def faces_per_second(fn, n: int) -> tuple[float, float, np.ndarray]:
    """(faces per wall-clock second, faces per CPU-second of this process, outputs)."""
    start, cpu = time.perf_counter(), _cpu_seconds()
    out = fn()
    wall, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    return n / wall, n / max(cpu, 1e-9), np.asarray(out, dtype=np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=64, help="number of chips (default 64)")
    parser.add_argument("--batch-size", type=int, default=64, help="port batch size (default 64)")
    parser.add_argument("--variants", action="store_true", help="also time unfused / channels_last / batch sizes")
    args = parser.parse_args()

    try:
        dlib = import_dlib("benchmarks/face_embedding.py (the port-vs-dlib comparison)")
    except ImportError as err:
        print(err)
        sys.exit(2)
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    chips, what = real_chips(args.n)
    dlib_net = dlib.face_recognition_model_v1(str(find_model_file()))
    model = pretrained_face_embedder("cpu")
    fused = model.fuse_affine()
    # warm-up: first calls allocate and pick kernels
    dlib_net.compute_face_descriptor(list(chips[:2]))
    embed_chips(chips[:2], model=fused)

    print(f"{what}; torch {torch.__version__} with {threads} threads "
          f"(OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}); dlib {dlib.__version__}; "
          f"load average {os.getloadavg()[0]:.1f} on {threads} cores")
    ours_fps, ours_cpu, ours = faces_per_second(
        lambda: embed_chips(chips, batch_size=args.batch_size, model=fused), args.n)
    dlib_fps, dlib_cpu, theirs = faces_per_second(lambda: dlib_net.compute_face_descriptor(list(chips)), args.n)
    print(f"dlib-bin compute_face_descriptor (batched): {dlib_fps:7.1f} faces/s  {dlib_cpu:6.1f} faces/CPU-s")
    print(f"coursekit port, fused, batch {args.batch_size:3d}:        {ours_fps:7.1f} faces/s  {ours_cpu:6.1f} faces/CPU-s")
    print(f"ratio port / dlib: {ours_fps / dlib_fps:.2f}x (per CPU-second {ours_cpu / dlib_cpu:.2f}x)   "
          f"max |port - dlib| = {np.abs(ours - theirs).max():.2e}")

    if args.variants:
        cl = fused.to(memory_format=torch.channels_last)
        trials = [("unfused (affine as its own op)", model, args.batch_size), ("fused, channels_last", cl, args.batch_size)]
        trials += [(f"fused, batch {b}", fused, b) for b in (8, 16, 32) if b != args.batch_size]
        trials += [("fused, 1 torch thread", fused, args.batch_size)]
        for name, m, b in trials:
            torch.set_num_threads(1 if "1 torch thread" in name else threads)
            fps, _, out = faces_per_second(lambda m=m, b=b: embed_chips(chips, batch_size=b, model=m), args.n)
            print(f"  {name:32s} {fps:7.1f} faces/s ({fps / dlib_fps:.2f}x dlib, max diff {np.abs(out - theirs).max():.1e})")


if __name__ == "__main__":
    main()
