"""Identify one probe against 10k and 100k enrolled people: FaceDatabase's scans vs a per-entry loop.

Peer: the naive loop of the classic assignment, one distance per enrolled entry
(``for name, e in database.items(): d = torch.linalg.norm(probe - e)``), measured in the same
run on the same data. FaceDatabase paths, all exact (same identity and float32 distance):

* ``float32``: one ``addmm`` over the float32 gallery, then the certified re-rank (the previous path);
* ``faiss``:   exact ``faiss.IndexFlatL2`` search (when faiss is installed), then the re-rank;
* ``int8``:    ``backend="int8"``: an exact int32 product with int8 codes of the gallery, a proven
  error bound, and a float32 re-rank of every row that can still be the nearest. The default
  ``backend="torch"`` is this scan for galleries of 8 MiB of float32 and more (16k x 128), float32 below.

Two probes per size: an enrolled person's embedding plus noise ("known") and a random unit vector
("stranger", whose nearest rows are close together, so more candidates are re-ranked).
Times are the median of ``--repeats`` calls (min in brackets). Goal: < 5 ms per probe at 100k.
On a machine where other processes hold the cores, every multi-threaded kernel (all paths here)
waits scheduler slices of several ms at its thread barriers; ``--threads 1`` measures without that.

usage: python benchmarks/recognition.py [--sizes 10000 100000] [--dim 128] [--repeats 50] [--threads N]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time

import torch

from coursekit.gallery_scan import candidate_rows
from coursekit.recognition import FaceDatabase


def _time(fn, repeats: int) -> tuple[float, float]:
    """(median, min) seconds over ``repeats`` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times)


def naive_identify(probe: torch.Tensor, database: dict[str, torch.Tensor], threshold: float):
    """The per-entry loop: one norm per enrolled person, keep the smallest."""
    best_name, best = None, float("inf")
    for name, e in database.items():
        d = torch.linalg.norm(probe - e).item()
        if d < best:
            best_name, best = name, d
    return (best_name if best <= threshold else None), best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    has_faiss = importlib.util.find_spec("faiss") is not None
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, D={args.dim}, "
          f"faiss={'yes' if has_faiss else 'no'}, load average {os.getloadavg()[0]:.2f}")
    print(f"{'enrolled':>9} {'probe':>8} {'naive loop':>12} {'float32':>16} {'faiss':>16} {'int8':>16}"
          f" {'loop/int8':>10} {'f32/int8':>9} {'re-ranked':>9}")
    for n in args.sizes:
        gallery = torch.nn.functional.normalize(torch.randn(n, args.dim, generator=g), dim=1)
        names = [f"person{i:06d}" for i in range(n)]
        db = FaceDatabase()
        db.enroll_many(names, gallery)
        as_dict = dict(zip(names, gallery, strict=True))
        t = time.perf_counter()
        db.identify_batch(gallery[0], 0.6, backend="int8")  # builds the int8 copy (once per gallery change)
        build = time.perf_counter() - t
        known = torch.nn.functional.normalize(gallery[n // 3] + 0.05 * torch.randn(args.dim, generator=g), dim=0)
        stranger = torch.nn.functional.normalize(torch.randn(args.dim, generator=g), dim=0)
        for kind, probe in (("known", known), ("stranger", stranger)):
            def run(backend, probe=probe, db=db):
                return db.identify_batch(probe, 0.6, backend=backend)

            loop = _time(lambda probe=probe, d=as_dict: naive_identify(probe, d, 0.6), max(1, args.repeats // 25))
            f32, int8 = _time(lambda: run("float32"), args.repeats), _time(lambda: run("int8"), args.repeats)
            fs = _time(lambda: run("faiss"), args.repeats) if has_faiss else (float("nan"),) * 2
            # every path must return the same identity and distance as the loop
            ref = naive_identify(probe, as_dict, 10.0)
            answers = [run(b) for b in ("int8", "float32", "torch") + (("faiss",) if has_faiss else ())]
            for got_names, got_dist in answers:
                assert got_names == [ref[0] if ref[1] <= 0.6 else None], (got_names, ref)
                assert abs(float(got_dist[0]) - ref[1]) < 1e-5, (float(got_dist[0]), ref)
            for other in answers[1:3]:  # the certified scans agree bit for bit
                assert answers[0][0] == other[0] and torch.equal(answers[0][1], other[1])
            if kind == "known":
                assert ref[0] == names[n // 3]
            rows = candidate_rows(*db._scan("int8").scores(probe[None]), 1).shape[1]
            cell = lambda m: f"{m[0] * 1e3:7.2f} ({m[1] * 1e3:5.2f})"  # noqa: E731
            print(f"{n:>9} {kind:>8} {loop[0] * 1e3:>9.1f} ms {cell(f32):>16} {cell(fs):>16} {cell(int8):>16}"
                  f" {loop[0] / int8[0]:>9.0f}x {f32[0] / int8[0]:>8.1f}x {rows:>9}")
        print(f"{'':>9} building the int8 copy of {n} embeddings: {build * 1e3:.0f} ms (once per gallery change)")
    print(f"load average at the end {os.getloadavg()[0]:.2f}; times in ms, median (min) of {args.repeats} calls")


if __name__ == "__main__":
    main()
