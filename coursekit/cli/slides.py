"""``python -m coursekit slides [NOTEBOOK...] -o build/slides``: reveal.js decks for lectures."""

from __future__ import annotations

from pathlib import Path

import nbformat

from coursekit.authoring import annotate_slides, execute_notebook, read_notebook
from coursekit.cli.run import _DEFAULT
from coursekit.cli.student import notebook_paths


def export_slides(nb: nbformat.NotebookNode, target: Path) -> None:
    """Write ``nb`` as a reveal.js slide deck (nbconvert's SlidesExporter) to ``target``."""
    from nbconvert import SlidesExporter

    body, _ = SlidesExporter().from_notebook_node(annotate_slides(nb))
    target.write_text(body, encoding="utf-8")


def run(args) -> int:
    paths = notebook_paths(args.notebooks or [str(_DEFAULT)])
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb = read_notebook(path)
        if args.execute:
            nb, seconds = execute_notebook(nb, cwd=path.parent, quick=args.quick)
            print(f"{path.name}: executed in {seconds:.1f} s")
        target = out / f"{path.stem}.slides.html"
        export_slides(nb, target)
        print(f"{path.name} -> {target}")
    return 0


def add_parser(sub) -> None:
    p = sub.add_parser("slides", help="build reveal.js slide decks from the notebooks")
    p.add_argument("notebooks", nargs="*", help="notebooks or folders (default: the course's notebooks/)")
    p.add_argument("-o", "--output", default="build/slides", help="output folder")
    p.add_argument("--execute", action="store_true", help="execute first so the slides show figures")
    p.add_argument("--quick", action="store_true", help="with --execute: quick mode")
    p.set_defaults(func=run)
