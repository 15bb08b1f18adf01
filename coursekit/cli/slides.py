"""``python -m coursekit slides [NOTEBOOK...] -o build/slides``: reveal.js decks for lectures.

Each deck is one HTML file that presents without network: reveal.js is inlined from the local copy
jupyterlab-rise ships (the ``[instructor]`` extra) and math is MathML. ``--cdn`` gives nbconvert's
default deck instead (reveal.js and MathJax from CDNs).
"""

from __future__ import annotations

import sys
from pathlib import Path

from coursekit.authoring import execute_notebook, read_notebook
from coursekit.cli.start import COURSE_NOTEBOOKS
from coursekit.cli.student import notebook_paths
from coursekit.export.deck import export_slides
from coursekit.export.reveal import THEMES, RevealNotFoundError, find_reveal


def run(args) -> int:
    """Export a reveal.js deck of each notebook (executed first with ``--execute``).

    Parameters
    ----------
    args : argparse.Namespace
        ``notebooks``, ``output``, ``execute``, ``quick``, ``theme``, ``cdn`` (see ``add_parser``).

    Returns
    -------
    int
        Exit status: 0, or 2 when reveal.js is not installed (and ``--cdn`` not given).
    """
    paths = notebook_paths(args.notebooks or [str(COURSE_NOTEBOOKS)])
    reveal = None
    if not args.cdn:
        try:
            reveal = find_reveal(args.theme)
        except RevealNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb = read_notebook(path)
        if args.execute:
            nb, seconds = execute_notebook(nb, cwd=path.parent, quick=args.quick)
            print(f"{path.name}: executed in {seconds:.1f} s")
        target = export_slides(nb, out / f"{path.stem}.slides.html", reveal=reveal, cdn=args.cdn,
                               path=path.parent)
        print(f"{path.name} -> {target}")
    return 0


def add_parser(sub) -> None:
    """Register ``slides`` on the ``python -m coursekit`` parser.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        From ``build_parser``; gets ``slides [NOTEBOOK...] [-o DIR] [--execute] [--quick] [--theme T] [--cdn]``.

    Returns
    -------
    None
    """
    p = sub.add_parser("slides", help="build reveal.js slide decks from the notebooks (offline)")
    p.add_argument("notebooks", nargs="*", help="notebooks or folders (default: the course's notebooks/)")
    p.add_argument("-o", "--output", default="build/slides", help="output folder")
    p.add_argument("--execute", action="store_true", help="execute first so the slides show figures")
    p.add_argument("--quick", action="store_true", help="with --execute: quick mode")
    p.add_argument("--theme", default="white", choices=THEMES, help="reveal.js theme")
    p.add_argument("--cdn", action="store_true",
                   help="load reveal.js/MathJax from CDNs (smaller files, needs network to present)")
    p.set_defaults(func=run)
