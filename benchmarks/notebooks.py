"""Time every notebook in quick and in full mode, count what it wrote to stderr, and print a table.

Goals on a 2-core CPU: quick mode (CI) under 90 s a notebook and 6 minutes for the course; full
mode under 15 minutes a notebook and 45 minutes for the course, so that a learner can plan an
afternoon. The peer here is the goal itself (the budget an instructor, CI or a learner has),
printed as a ratio. A solution notebook must write nothing to stderr in either mode: the
``stderr`` column counts its stderr and error outputs (their first lines are printed below the
table). The load average before and after each run is printed too, because a shared machine
makes every notebook slower.

usage: python benchmarks/notebooks.py [--modes quick full] [--json FILE] [--save DIR] [NOTEBOOK ...]

``--json`` writes the measurements (seconds, stderr outputs, load) for ``notebooks/timings.json``;
``--save`` keeps each executed notebook (``DIR/NAME.MODE.ipynb``) to look at.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from coursekit.authoring import execute_notebook, read_notebook

ROOT = Path(__file__).resolve().parents[1]
GOALS_S = {"quick": (90.0, 360.0), "full": (900.0, 2700.0)}  # (a notebook, the course)


def stderr_outputs(nb: nbformat.NotebookNode) -> list[str]:
    """The first line of every stderr stream and error output of an executed notebook."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = "".join(out.get("text", "")).strip().splitlines() or [""]
                found.append(f"cell {i}: stderr: {text[0][:160]}")
            elif out.get("output_type") == "error":
                found.append(f"cell {i}: {out.get('ename')}: {str(out.get('evalue', ''))[:160]}")
    return found


def _load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--modes", nargs="+", default=["quick", "full"], choices=["quick", "full"])
    parser.add_argument("--json", type=Path, help="write the measurements here")
    parser.add_argument("--save", type=Path, help="keep the executed notebooks in this folder")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
    rows: dict[str, dict[str, dict]] = {}
    for path in paths:
        rows[path.stem] = {}
        for mode in args.modes:
            load_before = _load()
            print(f"{path.name} ({mode}), load {load_before:.1f} ...", file=sys.stderr, flush=True)
            try:
                nb, seconds = execute_notebook(read_notebook(path), cwd=path.parent, quick=mode == "quick",
                                               timeout=7200, allow_errors=True)
                messages = stderr_outputs(nb)
                if args.save:
                    nbformat.write(nb, args.save / f"{path.stem}.{mode}.ipynb")
            except Exception as exc:  # keep timing the others
                print(f"  failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                nb, seconds, messages = None, math.nan, [f"failed: {type(exc).__name__}"]
            rows[path.stem][mode] = {"seconds": round(seconds, 1), "stderr": messages,
                                     "load": [round(load_before, 1), round(_load(), 1)]}
            print(f"  {seconds:.1f} s, {len(messages)} stderr/error outputs", file=sys.stderr, flush=True)

    width = max(len(n) for n in rows)
    header = f"{'notebook':<{width}}"
    for m in args.modes:
        header += f"  {m + ' s':>9}  {m + ' / goal':>12}  {'stderr':>6}  {'load':>9}"
    print(header)
    for name, modes in rows.items():
        line = f"{name:<{width}}"
        for m in args.modes:
            r = modes[m]
            line += (f"  {r['seconds']:9.1f}  {r['seconds'] / GOALS_S[m][0]:12.2f}  {len(r['stderr']):6d}"
                     f"  {r['load'][0]:4.1f}-{r['load'][1]:<4.1f}")
        print(line)
    for m in args.modes:
        total = sum(r[m]["seconds"] for r in rows.values())
        per, course = GOALS_S[m]
        print(f"total {m}: {total:.1f} s = {total / 60:.1f} min ({total / course:.2f} of the {course / 60:.0f}-minute "
              f"goal; {per / 60:.1f} min a notebook)")
    for name, modes in rows.items():
        for m, r in modes.items():
            for message in r["stderr"]:
                print(f"{name} ({m}) {message}")
    if args.json:
        data = {"recorded": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                "machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}, "
                           f"{os.cpu_count()} CPU cores",
                "results": rows}
        args.json.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
