"""Forward+backward time and peak memory of the batch triplet losses, against their peers.

Usage::

    python benchmarks/triplet_loss.py                      # B = 128 … 2048, D = 128, K = 4
    python benchmarks/triplet_loss.py --sizes 256 1024 --repeats 5

Compared in one run, on the same seeded P×K batches (K = 4 images per identity, as in
training; L2-normalised embeddings, margin 0.2, Euclidean distances):

* ``coursekit batch-all`` — :func:`coursekit.losses.batch_all_triplet_loss` (no B³ tensor);
* ``PML all-triplets`` — pytorch-metric-learning ``TripletMarginLoss`` over all triplets (its
  default ``AvgNonZeroReducer`` averages over the positive triplets, as the post does);
* ``dense seed`` — the post's code ported to PyTorch, building (B, B, B) tensors;
* ``coursekit batch-hard`` — :func:`coursekit.losses.batch_hard_triplet_loss`;
* ``PML batch-hard`` — ``BatchHardMiner`` + ``TripletMarginLoss`` with a ``MeanReducer`` (the
  post's mean over anchors; PML's default reducer would skip anchors with zero loss).

Method. Each (method, B) runs in a fresh subprocess. Memory: on the CPU, the process's peak
resident set size is reset (``echo 5 > /proc/self/clear_refs``) after the inputs exist and
one B = 8 call has done the one-time set-up, one forward+backward runs, and the peak (``VmHWM``) minus the resident size before it is the
memory that call needed; tracemalloc would not see PyTorch's allocations, and a fresh process
keeps earlier calls' freed-but-cached memory out of the number. On CUDA it is
``torch.cuda.max_memory_allocated`` minus the allocation before the call. Time: the median of
``--repeats`` further calls (``perf_counter``, CUDA synchronised). The subprocess uses
``--threads`` torch threads (default 1, so that a shared machine disturbs it less). Dense
versions need B³ memory; they are skipped above ``--max-dense`` (PML) and ``--max-seed``.
Compare the ratios, not the absolute numbers, which depend on whatever else the machine runs.
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

METHODS = ["coursekit batch-all", "PML all-triplets", "dense seed", "coursekit batch-hard", "PML batch-hard"]
MARGIN = 0.2


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _seed_batch_all(labels, embeddings, margin):
    """The post's batch-all, line by line: (B, B, B) tensors."""
    from coursekit.distances import pairwise_distances
    from coursekit.losses import valid_triplet_mask

    d = pairwise_distances(embeddings)
    t = d[:, :, None] - d[:, None, :] + margin
    mask = valid_triplet_mask(labels).to(d.dtype)
    t = torch.relu(mask * t)
    n_pos = (t > 1e-16).to(d.dtype).sum()
    return t.sum() / (n_pos + 1e-16), n_pos / (mask.sum() + 1e-16)


def _loss_fn(method: str):
    from pytorch_metric_learning import losses as pml_losses
    from pytorch_metric_learning import miners, reducers

    from coursekit.losses import batch_all_triplet_loss, batch_hard_triplet_loss

    if method == "coursekit batch-all":
        return lambda y, e: batch_all_triplet_loss(y, e, MARGIN, squared=False)[0]  # PML's distance
    if method == "coursekit batch-hard":
        return lambda y, e: batch_hard_triplet_loss(y, e, MARGIN, squared=False)
    if method == "dense seed":
        return lambda y, e: _seed_batch_all(y, e, MARGIN)[0]
    if method == "PML all-triplets":
        loss = pml_losses.TripletMarginLoss(margin=MARGIN)
        return lambda y, e: loss(e, y)
    if method == "PML batch-hard":
        miner, loss = miners.BatchHardMiner(), pml_losses.TripletMarginLoss(margin=MARGIN, reducer=reducers.MeanReducer())
        return lambda y, e: loss(e, y, miner(e, y))
    raise ValueError(f"unknown method {method!r}")


def measure(method: str, b: int, d: int, repeats: int, device: str) -> dict:
    """Run in the subprocess: peak memory of one call, median time of ``repeats`` calls, the loss."""
    fn = _loss_fn(method)
    g = torch.Generator().manual_seed(b)
    labels = torch.arange(b // 4).repeat_interleave(4).to(device)
    base = torch.nn.functional.normalize(torch.randn(b, d, generator=g), dim=1).to(device)
    cuda = device.startswith("cuda")

    def call():
        e = base.clone().requires_grad_(True)
        loss = fn(labels, e)
        loss.backward()
        if cuda:
            torch.cuda.synchronize()
        return loss.item()

    # one tiny call first, so that one-time set-up (autograd engine, thread pools, lazy imports)
    # is not counted as the memory of the real call
    y8 = torch.arange(2).repeat_interleave(4).to(device)
    fn(y8, base[:8].clone().requires_grad_(True)).backward()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        value = call()
        peak = torch.cuda.max_memory_allocated() - before
    else:
        before = _rss_kib("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        value = call()
        peak = (_rss_kib("VmHWM") - before) * 1024
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return {"seconds": statistics.median(times), "peak_bytes": peak, "loss": value}


def _run(method: str, b: int, args) -> dict:
    cmd = [sys.executable, __file__, "--child", method, str(b), "--dim", str(args.dim),
           "--repeats", str(args.repeats), "--device", args.device, "--threads", str(args.threads)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["killed"])[-1][:80]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _fmt(r: dict | None, key: str) -> str:
    if r is None:
        return "skipped"
    if "error" in r:
        return "failed"
    return f"{r['seconds'] * 1e3:9.1f} ms" if key == "seconds" else f"{r['peak_bytes'] / 2**20:9.1f} MiB"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512, 1024, 2048])
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--max-dense", type=int, default=1024, help="largest B for PML all-triplets (B³ mask)")
    p.add_argument("--max-seed", type=int, default=512, help="largest B for the dense seed version (B³ floats)")
    p.add_argument("--child", nargs=2, metavar=("METHOD", "B"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        torch.set_num_threads(args.threads)
        print(json.dumps(measure(args.child[0], int(args.child[1]), args.dim, args.repeats, args.device)))
        return 0
    if any(b % 4 for b in args.sizes):
        p.error(f"every size must be a multiple of K = 4, got {args.sizes}")
    print(f"triplet losses, forward+backward, D={args.dim}, K=4, device={args.device}, "
          f"torch threads={args.threads}, median of {args.repeats}; peak memory of one call")
    rows = {}
    for b in args.sizes:
        for m in METHODS:
            skip = (m == "PML all-triplets" and b > args.max_dense) or (m == "dense seed" and b > args.max_seed)
            rows[b, m] = None if skip else _run(m, b, args)
            print(f"  B={b:5d}  {m:22s} {_fmt(rows[b, m], 'seconds')}  {_fmt(rows[b, m], 'peak')}", flush=True)
    print("\nratios (coursekit / peer; < 1 means coursekit is faster or smaller) and |loss difference|")
    print(f"{'B':>5}  {'peer':22s} {'time':>8} {'memory':>8} {'|Δ loss|':>10}")
    pairs = [("coursekit batch-all", "PML all-triplets"), ("coursekit batch-all", "dense seed"),
             ("coursekit batch-hard", "PML batch-hard")]
    for b in args.sizes:
        for ours, peer in pairs:
            a, r = rows[b, ours], rows[b, peer]
            if not a or not r or "error" in a or "error" in r:
                continue
            mem = a["peak_bytes"] / r["peak_bytes"] if r["peak_bytes"] > 0 else float("nan")
            print(f"{b:5d}  {peer:22s} {a['seconds'] / r['seconds']:8.3f} {mem:8.3f} {abs(a['loss'] - r['loss']):10.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
