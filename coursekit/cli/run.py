"""``python -m coursekit run [--quick] [NOTEBOOK...] -o build/html``: execute and export HTML."""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat

from coursekit.authoring import execute_notebook, read_notebook
from coursekit.cli.student import notebook_paths

_DEFAULT = Path(__file__).resolve().parents[2] / "notebooks"


def export_html(nb: nbformat.NotebookNode, target: Path) -> None:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nb)
    target.write_text(body, encoding="utf-8")


def save_figures(nb: nbformat.NotebookNode, folder: Path, stem: str) -> int:
    """Write every PNG output of ``nb`` to ``folder/stem_cellC_K.png``; return how many."""
    n = 0
    for c, cell in enumerate(nb.cells):
        for k, out in enumerate(cell.get("outputs", [])):
            data = out.get("data", {}).get("image/png")
            if data:
                (folder / f"{stem}_cell{c}_{k}.png").write_bytes(base64.b64decode(data))
                n += 1
    return n


def run(args) -> int:
    paths = notebook_paths(args.notebooks or [str(_DEFAULT)])
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    if args.figures:
        Path(args.figures).mkdir(parents=True, exist_ok=True)
    times: list[tuple[str, float, str]] = []
    mode = "quick" if args.quick else "full"
    for i, path in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] {path.name} ({mode} mode) ...", flush=True)
        try:
            nb, seconds = execute_notebook(read_notebook(path), cwd=path.parent, quick=args.quick,
                                           timeout=args.timeout)
        except Exception as exc:  # report and go on with the next notebook
            first = str(exc).strip().splitlines()
            times.append((path.name, float("nan"), f"FAILED: {first[-1] if first else type(exc).__name__}"))
            print(f"    failed: {type(exc).__name__}", flush=True)
            continue
        export_html(nb, out / f"{path.stem}.html")
        n_fig = save_figures(nb, Path(args.figures), path.stem) if args.figures else 0
        times.append((path.name, seconds, "ok" + (f", {n_fig} figures" if args.figures else "")))
        print(f"    done in {seconds:.1f} s -> {out / (path.stem + '.html')}", flush=True)
    width = max(len(name) for name, _, _ in times)
    print(f"\n{'notebook':<{width}}  {'seconds':>8}  status")
    for name, seconds, status in times:
        print(f"{name:<{width}}  {seconds:8.1f}  {status}")
    total = sum(s for _, s, _ in times if s == s)
    print(f"{'total':<{width}}  {total:8.1f}")
    return 1 if any(status.startswith("FAILED") for _, _, status in times) else 0


def add_parser(sub) -> None:
    p = sub.add_parser("run", help="execute notebooks and export HTML with figures")
    p.add_argument("notebooks", nargs="*", help="notebooks or folders (default: the course's notebooks/)")
    p.add_argument("--quick", action="store_true", help="quick mode (COURSEKIT_QUICK=1)")
    p.add_argument("-o", "--output", default="build/html", help="HTML output folder")
    p.add_argument("--figures", default=None, help="also write every figure as PNG into this folder")
    p.add_argument("--timeout", type=int, default=3600, help="seconds allowed per cell")
    p.set_defaults(func=run)
