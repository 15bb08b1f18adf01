"""Identify one probe against 10k, 100k and 1M enrolled people: FaceDatabase vs a per-entry loop and FAISS.

Peer: the naive loop of the classic assignment, one distance per enrolled entry
(``for name, e in database.items(): d = torch.linalg.norm(probe - e)``), measured in the same
run on the same data. FaceDatabase paths, both giving the loop's identity and distance:

* ``float32`` (``backend="torch"``, the default): one ``addmm`` over the float32 gallery with its
  cached ``‖g‖²``, then the float32 re-rank of the rows within the scan's rounding bound;
* ``faiss`` (``backend="faiss"``, when faiss is installed): exact ``faiss.IndexFlatL2`` search for
  the candidate rows, then the same re-rank.

Two probes per size: an enrolled person's embedding plus noise ("known") and a random unit vector
("stranger", whose nearest rows are close together, so more candidates are re-ranked).
Times are the median of ``--repeats`` calls (min in brackets); the loop runs fewer times
(``--loop-repeats``) and not above ``--loop-up-to`` people. On a machine where other processes
hold the cores, every multi-threaded kernel waits scheduler slices at its thread barriers;
``--threads 1`` measures without that.

usage: python benchmarks/recognition.py [--sizes 10000 100000 1000000] [--dim 128] [--repeats 50] [--threads N]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time

import torch

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
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--loop-repeats", type=int, default=2)
    ap.add_argument("--loop-up-to", type=int, default=1_000_000, help="skip the naive loop above this size")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    has_faiss = importlib.util.find_spec("faiss") is not None
    if has_faiss and args.threads:
        import faiss

        faiss.omp_set_num_threads(args.threads)
    nan = (float("nan"),) * 2
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, D={args.dim}, "
          f"faiss={'yes' if has_faiss else 'no'}, load average {os.getloadavg()[0]:.2f}")
    print(f"{'enrolled':>9} {'probe':>8} {'naive loop':>12} {'float32':>16} {'faiss':>16} {'loop/f32':>9} {'faiss/f32':>9}")
    for n in args.sizes:
        gallery = torch.nn.functional.normalize(torch.randn(n, args.dim, generator=g), dim=1)
        names = [f"person{i:07d}" for i in range(n)]
        db = FaceDatabase()
        db.enroll_many(names, gallery)
        as_dict = dict(zip(names, gallery, strict=True))
        if has_faiss:
            t = time.perf_counter()
            db.identify_batch(gallery[0], 0.6, backend="faiss")  # builds the index (once per gallery change)
            build = time.perf_counter() - t
        known = torch.nn.functional.normalize(gallery[n // 3] + 0.05 * torch.randn(args.dim, generator=g), dim=0)
        stranger = torch.nn.functional.normalize(torch.randn(args.dim, generator=g), dim=0)
        for kind, probe in (("known", known), ("stranger", stranger)):
            def run(backend, probe=probe, db=db):
                return db.identify_batch(probe, 0.6, backend=backend)

            f32 = _time(lambda: run("torch"), args.repeats)
            fs = _time(lambda: run("faiss"), args.repeats) if has_faiss else nan
            answers = [run(b) for b in ("torch",) + (("faiss",) if has_faiss else ())]
            if n <= args.loop_up_to:
                loop = _time(lambda probe=probe, d=as_dict: naive_identify(probe, d, 0.6), args.loop_repeats)
                ref = naive_identify(probe, as_dict, 10.0)  # every path returns the loop's identity and distance
                for got_names, got_dist in answers:
                    assert got_names == [ref[0] if ref[1] <= 0.6 else None], (got_names, ref)
                    assert abs(float(got_dist[0]) - ref[1]) < 1e-5, (float(got_dist[0]), ref)
                if kind == "known":
                    assert ref[0] == names[n // 3]
            else:
                loop = nan
            if has_faiss:  # the float32 scan and faiss agree bit for bit after the same re-rank
                assert answers[0][0] == answers[1][0] and torch.equal(answers[0][1], answers[1][1])
            cell = lambda m: f"{m[0] * 1e3:7.2f} ({m[1] * 1e3:5.2f})"  # noqa: E731
            print(f"{n:>9} {kind:>8} {loop[0] * 1e3:>9.1f} ms {cell(f32):>16} {cell(fs):>16}"
                  f" {loop[0] / f32[0]:>8.0f}x {fs[0] / f32[0]:>8.2f}x")
        if has_faiss:
            print(f"{'':>9} building the faiss index of {n} embeddings: {build * 1e3:.0f} ms (once per gallery change)")
    print(f"load average at the end {os.getloadavg()[0]:.2f}; times in ms, median (min) of {args.repeats} calls")


if __name__ == "__main__":
    main()
