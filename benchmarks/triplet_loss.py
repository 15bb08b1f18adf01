"""Forward+backward time and peak memory of the batch triplet losses, against their peers.

Usage::

    python benchmarks/triplet_loss.py                      # B = 128 … 2048, D = 128, K = 4
    python benchmarks/triplet_loss.py --losses batch-hard --sizes 256 1024 2048 --repeats 9
    python benchmarks/triplet_loss.py --losses batch-all --sizes 1024 --repeats 3
    python benchmarks/triplet_loss.py --squared            # both sides on squared distances

Compared in one run, on the same seeded P×K batches (K = 4 images per identity, as in
training; L2-normalised embeddings, margin 0.2):

* ``coursekit batch-all`` — :func:`coursekit.losses.batch_all_triplet_loss` (no B³ tensor);
* ``PML all-triplets`` — pytorch-metric-learning ``TripletMarginLoss`` over all triplets (its
  default ``AvgNonZeroReducer`` averages over the positive triplets, as the post does);
* ``dense seed`` — the post's code ported to PyTorch, building (B, B, B) tensors;
* ``coursekit batch-hard`` — :func:`coursekit.losses.batch_hard_triplet_loss`;
* ``PML batch-hard`` — ``BatchHardMiner`` + ``TripletMarginLoss`` with a ``MeanReducer`` (the
  post's mean over anchors; PML's default reducer would skip anchors with zero loss).

The same loss on both sides. By default the distance is the plain Euclidean one, PML's default
(coursekit with ``squared=False``); ``--squared`` puts both on squared distances (coursekit's
default, PML's ``LpDistance(power=2)``). PML's distance normalises the embeddings by default:
on unit vectors that leaves the value unchanged but projects the gradient onto the sphere's
tangent plane, a different gradient, so PML runs with ``LpDistance(normalize_embeddings=False)``
(in its miner and its loss): the embeddings are normalised once, before either side sees them.

Method. Memory: each (method, B) runs in a fresh subprocess; on the CPU, the process's peak
resident set size is reset (``echo 5 > /proc/self/clear_refs``) after the inputs exist and
one B = 8 call has done the one-time set-up, one forward+backward runs, and the peak (``VmHWM``)
minus the resident size before it is the memory that call needed; tracemalloc would not see
PyTorch's allocations, and a fresh process keeps earlier calls' freed-but-cached memory out of
the number. On CUDA it is ``torch.cuda.max_memory_allocated`` minus the allocation before the
call. Time and agreement: each (pair, B) runs in one more fresh subprocess, which computes both
losses and gradients on the same inputs (|Δ loss|, max |Δ grad|), then times ``--repeats``
rounds of one forward+backward of each, interleaved (the order alternates every round), and
reports the median of each side and their ratio from that same run: a busy machine slows both
sides alike. The subprocesses use ``--threads`` torch threads (default 1, so that a shared
machine disturbs them less). Dense versions need B³ memory; they are skipped above
``--max-dense`` (PML) and ``--max-seed``. Compare the ratios, not the absolute numbers, which
depend on whatever else the machine runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

PAIRS = {"batch-all": [("coursekit batch-all", "PML all-triplets"), ("coursekit batch-all", "dense seed")],
         "batch-hard": [("coursekit batch-hard", "PML batch-hard")]}
MARGIN = 0.2


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _seed_batch_all(labels, embeddings, margin, squared):
    """The post's batch-all, line by line: (B, B, B) tensors."""
    from coursekit.distances import pairwise_distances
    from coursekit.losses import valid_triplet_mask

    d = pairwise_distances(embeddings, squared)
    t = d[:, :, None] - d[:, None, :] + margin
    mask = valid_triplet_mask(labels).to(d.dtype)
    t = torch.relu(mask * t)
    n_pos = (t > 1e-16).to(d.dtype).sum()
    return t.sum() / (n_pos + 1e-16), n_pos / (mask.sum() + 1e-16)


def _loss_fn(method: str, squared: bool):
    from pytorch_metric_learning import distances, miners, reducers
    from pytorch_metric_learning import losses as pml_losses

    from coursekit.losses import batch_all_triplet_loss, batch_hard_triplet_loss

    pml_distance = distances.LpDistance(normalize_embeddings=False, p=2, power=2 if squared else 1)
    if method == "coursekit batch-all":
        return lambda y, e: batch_all_triplet_loss(y, e, MARGIN, squared=squared)[0]
    if method == "coursekit batch-hard":
        return lambda y, e: batch_hard_triplet_loss(y, e, MARGIN, squared=squared)
    if method == "dense seed":
        return lambda y, e: _seed_batch_all(y, e, MARGIN, squared)[0]
    if method == "PML all-triplets":
        loss = pml_losses.TripletMarginLoss(margin=MARGIN, distance=pml_distance)
        return lambda y, e: loss(e, y)
    if method == "PML batch-hard":
        miner = miners.BatchHardMiner(distance=pml_distance)
        loss = pml_losses.TripletMarginLoss(margin=MARGIN, distance=pml_distance, reducer=reducers.MeanReducer())
        return lambda y, e: loss(e, y, miner(e, y))
    raise ValueError(f"unknown method {method!r}")


def _inputs(b: int, d: int, device: str):
    g = torch.Generator().manual_seed(b)
    labels = torch.arange(b // 4).repeat_interleave(4).to(device)
    base = torch.nn.functional.normalize(torch.randn(b, d, generator=g), dim=1).to(device)
    return labels, base


def _caller(fn, labels, base, cuda: bool):
    def call():
        e = base.clone().requires_grad_(True)
        loss = fn(labels, e)
        loss.backward()
        if cuda:
            torch.cuda.synchronize()
        return loss.detach(), e.grad

    return call


def measure_memory(method: str, b: int, d: int, device: str, squared: bool) -> dict:
    """Run in the subprocess: the peak memory of one forward+backward call."""
    fn = _loss_fn(method, squared)
    labels, base = _inputs(b, d, device)
    cuda = device.startswith("cuda")
    call = _caller(fn, labels, base, cuda)
    # one tiny call first, so that one-time set-up (autograd engine, thread pools, lazy imports)
    # is not counted as the memory of the real call
    _caller(fn, labels[:8], base[:8], cuda)()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        call()
        peak = torch.cuda.max_memory_allocated() - before
    else:
        before = _rss_kib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        call()
        peak = (_rss_kib("VmHWM") - before) * 1024
    return {"peak_bytes": peak}


def measure_pair(ours: str, peer: str, b: int, d: int, repeats: int, device: str, squared: bool) -> dict:
    """Run in the subprocess: both sides on the same inputs, their differences, interleaved median times."""
    labels, base = _inputs(b, d, device)
    cuda = device.startswith("cuda")
    calls = [_caller(_loss_fn(m, squared), labels, base, cuda) for m in (ours, peer)]
    (l0, g0), (l1, g1) = calls[0](), calls[1]()  # also the warm-up
    times: list[list[float]] = [[], []]
    for r in range(repeats):
        for k in (0, 1) if r % 2 == 0 else (1, 0):  # alternate which side goes first
            t0 = time.perf_counter()
            calls[k]()
            times[k].append(time.perf_counter() - t0)
    return {"seconds": [statistics.median(t) for t in times], "loss": [l0.item(), l1.item()],
            "d_loss": (l0 - l1).abs().item(), "d_grad": (g0 - g1).abs().max().item(),
            "grad_scale": g1.abs().max().item()}


def _child(args_list: list[str]) -> dict:
    out = subprocess.run([sys.executable, __file__, *args_list], capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["killed"])[-1][:80]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512, 1024, 2048])
    p.add_argument("--losses", nargs="+", choices=list(PAIRS), default=list(PAIRS))
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--repeats", type=int, default=5, help="interleaved timing rounds (median of each side)")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--squared", action="store_true", help="both sides on squared Euclidean distances")
    p.add_argument("--max-dense", type=int, default=1024, help="largest B for PML all-triplets (B³ mask)")
    p.add_argument("--max-seed", type=int, default=512, help="largest B for the dense seed version (B³ floats)")
    p.add_argument("--child-memory", nargs=2, metavar=("METHOD", "B"), help=argparse.SUPPRESS)
    p.add_argument("--child-pair", nargs=3, metavar=("OURS", "PEER", "B"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child_memory or args.child_pair:
        torch.set_num_threads(args.threads)
        if args.child_memory:
            result = measure_memory(args.child_memory[0], int(args.child_memory[1]), args.dim, args.device, args.squared)
        else:
            ours, peer, b = args.child_pair
            result = measure_pair(ours, peer, int(b), args.dim, args.repeats, args.device, args.squared)
        print(json.dumps(result))
        return 0
    if any(b % 4 for b in args.sizes):
        p.error(f"every size must be a multiple of K = 4, got {args.sizes}")
    common = ["--dim", str(args.dim), "--repeats", str(args.repeats), "--device", args.device,
              "--threads", str(args.threads)] + (["--squared"] if args.squared else [])
    distance = "squared Euclidean (coursekit squared=True, PML LpDistance(power=2))" if args.squared else \
        "Euclidean (coursekit squared=False, PML LpDistance(power=1))"
    print(f"triplet losses, forward+backward, D={args.dim}, K=4, margin={MARGIN}, device={args.device}, "
          f"torch threads={args.threads}\ndistance: {distance}, PML normalize_embeddings=False on unit vectors\n"
          f"time: median of {args.repeats} interleaved rounds, both sides in one process; "
          f"memory: peak of one call, each method in a fresh process")
    print(f"\n{'B':>5}  {'coursekit':22s} {'peer':18s} {'ours ms':>9} {'peer ms':>9} {'time':>6} "
          f"{'ours MiB':>9} {'peer MiB':>9} {'memory':>6} {'|Δ loss|':>9} {'max|Δ grad|':>11}")
    memory: dict[tuple[str, int], dict] = {}
    for b in args.sizes:
        for name in args.losses:
            for ours, peer in PAIRS[name]:
                if (peer == "PML all-triplets" and b > args.max_dense) or (peer == "dense seed" and b > args.max_seed):
                    continue
                for m in (ours, peer):
                    if (m, b) not in memory:
                        memory[m, b] = _child(["--child-memory", m, str(b), *common])
                pair = _child(["--child-pair", ours, peer, str(b), *common])
                mo, mp = memory[ours, b], memory[peer, b]
                if any("error" in r for r in (pair, mo, mp)):
                    err = next(r["error"] for r in (pair, mo, mp) if "error" in r)
                    print(f"{b:5d}  {ours:22s} {peer:18s} failed: {err}", flush=True)
                    continue
                (to, tp), (bo, bp) = pair["seconds"], (mo["peak_bytes"], mp["peak_bytes"])
                mem_ratio = f"{bo / bp:6.2f}" if bp > 0 else f"{'n/a':>6}"
                print(f"{b:5d}  {ours:22s} {peer:18s} {to * 1e3:9.1f} {tp * 1e3:9.1f} {to / tp:6.3f} "
                      f"{bo / 2**20:9.1f} {bp / 2**20:9.1f} {mem_ratio} {pair['d_loss']:9.2e} "
                      f"{pair['d_grad']:11.2e}", flush=True)
    print("\ntime and memory: coursekit / peer (< 1: coursekit is faster or smaller); "
          "max|Δ grad| is over all B×D entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
