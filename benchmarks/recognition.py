"""Identify one probe against 10k and 100k enrolled people: FaceDatabase vs a per-entry loop.

Peer: the naive loop of the classic assignment, one distance per enrolled entry
(``for name, e in database.items(): d = torch.linalg.norm(probe - e)``), measured in the same
run on the same data. FaceDatabase does one matrix product and a top-k (and, when faiss is
installed, an exact ``IndexFlatL2`` search through ``backend="faiss"``). Goal: < 5 ms per probe at 100k.

usage: python benchmarks/recognition.py [--sizes 10000 100000] [--dim 128] [--repeats 50]
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import torch

from coursekit.recognition import FaceDatabase


def _time(fn, repeats: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


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
    args = ap.parse_args()
    g = torch.Generator().manual_seed(0)
    has_faiss = importlib.util.find_spec("faiss") is not None
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, D={args.dim}, faiss={'yes' if has_faiss else 'no'}")
    print(f"{'enrolled':>9} {'FaceDatabase':>14} {'faiss':>10} {'naive loop':>12} {'loop / FaceDatabase':>20}")
    for n in args.sizes:
        gallery = torch.nn.functional.normalize(torch.randn(n, args.dim, generator=g), dim=1)
        names = [f"person{i:06d}" for i in range(n)]
        db = FaceDatabase()
        db.enroll_many(names, gallery)
        probe = torch.nn.functional.normalize(gallery[n // 3] + 0.05 * torch.randn(args.dim, generator=g), dim=0)
        as_dict = dict(zip(names, gallery, strict=True))

        fast = _time(lambda db=db, probe=probe: db.identify(probe, 0.6), args.repeats)
        loop = _time(lambda probe=probe, d=as_dict: naive_identify(probe, d, 0.6), max(1, args.repeats // 25))
        fs = _time(lambda db=db, probe=probe: db.identify_batch(probe, 0.6, backend="faiss"), args.repeats) if has_faiss else float("nan")
        # the three must agree
        a, b = db.identify(probe, 0.6), naive_identify(probe, as_dict, 0.6)
        assert a[0] == b[0] == names[n // 3], (a, b)
        print(f"{n:>9} {fast * 1e3:>11.2f} ms {fs * 1e3:>7.2f} ms {loop * 1e3:>9.1f} ms {loop / fast:>19.0f}x")


if __name__ == "__main__":
    main()
