"""Time every notebook in quick mode and in full mode, and print a table.

Goal on a 2-core CPU: the whole quick suite under 6 minutes and no notebook over 90 s.
The peer here is the goal itself (the budget an instructor or CI has), printed as a ratio.

usage: python benchmarks/notebooks.py [--modes quick full] [NOTEBOOK ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursekit.authoring import execute_notebook, read_notebook

ROOT = Path(__file__).resolve().parents[1]
QUICK_SUITE_BUDGET_S = 360.0
QUICK_NOTEBOOK_BUDGET_S = 90.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--modes", nargs="+", default=["quick", "full"], choices=["quick", "full"])
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    rows: dict[str, dict[str, float]] = {}
    for path in paths:
        rows[path.name] = {}
        for mode in args.modes:
            print(f"{path.name} ({mode}) ...", file=sys.stderr, flush=True)
            try:
                _, seconds = execute_notebook(read_notebook(path), cwd=path.parent, quick=mode == "quick",
                                              timeout=7200)
            except Exception as exc:  # keep timing the others
                print(f"  failed: {type(exc).__name__}", file=sys.stderr)
                seconds = float("nan")
            rows[path.name][mode] = seconds
    width = max(len(n) for n in rows)
    header = f"{'notebook':<{width}}" + "".join(f"  {m + ' s':>10}" for m in args.modes)
    if "quick" in args.modes:
        header += f"  {'quick / 90 s':>12}"
    print(header)
    for name, times in rows.items():
        line = f"{name:<{width}}" + "".join(f"  {times[m]:10.1f}" for m in args.modes)
        if "quick" in args.modes:
            line += f"  {times['quick'] / QUICK_NOTEBOOK_BUDGET_S:12.2f}"
        print(line)
    for mode in args.modes:
        total = sum(t[mode] for t in rows.values())
        extra = f"  ({total / QUICK_SUITE_BUDGET_S:.2f} of the 6-minute budget)" if mode == "quick" else ""
        print(f"total {mode}: {total:.1f} s{extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
