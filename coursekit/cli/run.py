"""``python -m coursekit run [--quick] [NOTEBOOK...] -o build/html``: execute, export a browsable course.

For each notebook: ``NAME.html`` (the executed page) and ``NAME.slides.html`` (its reveal.js deck,
with the outputs); then ``index.html`` (the course map) and ``timings.json`` (the times measured).
Everything renders without network unless ``--cdn``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat

from coursekit.authoring import execute_notebook, read_notebook
from coursekit.cli.start import COURSE_NOTEBOOKS
from coursekit.cli.student import notebook_paths
from coursekit.export.course_index import (
    IndexEntry,
    notebook_objectives,
    read_timings,
    write_index,
    write_timings,
)
from coursekit.export.deck import export_slides
from coursekit.export.page import export_html
from coursekit.export.reveal import RevealNotFoundError, find_reveal

TIMINGS = "timings.json"  # the recorded table next to the notebooks, and this export's table


def save_figures(nb: nbformat.NotebookNode, folder: Path, stem: str) -> int:
    """Write every PNG output of ``nb`` to ``folder/stem_cellC_K.png``; return how many.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook.
    folder : Path
        An existing folder.
    stem : str
        File name prefix, usually the notebook's stem.

    Returns
    -------
    int
        The number of PNG files written (C is the cell index, K the output index).
    """
    n = 0
    for c, cell in enumerate(nb.cells):
        for k, out in enumerate(cell.get("outputs", [])):
            data = out.get("data", {}).get("image/png")
            if data:
                (folder / f"{stem}_cell{c}_{k}.png").write_bytes(base64.b64decode(data))
                n += 1
    return n


def _recorded(folder: Path) -> tuple[dict[str, dict[str, float]], str]:
    """The recorded timing table next to the notebooks, and a footnote saying where it comes from."""
    path = folder / TIMINGS
    if not path.is_file():
        return {}, "No recorded timing table: times not measured by this export are 'not measured'."
    data = json.loads(path.read_text(encoding="utf-8"))
    note = f" ({data['note']})" if data.get("note") else ""
    return read_timings(path), (f"'recorded' times: {path.name}, {data.get('recorded', '?')} on "
                                f"{data.get('machine', '?')}{note}.")


def _local_reveal():
    """reveal.js for the decks, or None (said once) when the [instructor] extra is missing."""
    try:
        return find_reveal()
    except RevealNotFoundError as exc:
        print(f"note: no slides in this export: {exc}", flush=True)
        return None


def run(args) -> int:
    """Execute notebooks and export a page (and a deck) of each, the course map and the timings.

    Parameters
    ----------
    args : argparse.Namespace
        ``notebooks``, ``quick``, ``output``, ``figures``, ``timeout``, ``cdn`` (see ``add_parser``).

    Returns
    -------
    int
        Exit status: 1 when a notebook failed (the others are still exported), else 0.
    """
    paths = notebook_paths(args.notebooks or [str(COURSE_NOTEBOOKS)])
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    if args.figures:
        Path(args.figures).mkdir(parents=True, exist_ok=True)
    reveal = None if args.cdn else _local_reveal()
    with_slides = args.cdn or reveal is not None
    mode = "quick" if args.quick else "full"
    entries: list[IndexEntry] = []
    for i, path in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] {path.name} ({mode} mode) ...", flush=True)
        nb = read_notebook(path)
        entry = IndexEntry(path.stem, *notebook_objectives(nb))
        entries.append(entry)
        try:
            nb, seconds = execute_notebook(nb, cwd=path.parent, quick=args.quick, timeout=args.timeout)
        except Exception as exc:  # report and go on with the next notebook
            first = str(exc).strip().splitlines()
            entry.status = f"FAILED: {first[-1] if first else type(exc).__name__}"
            print(f"    failed: {type(exc).__name__}", flush=True)
            continue
        entry.seconds[mode] = seconds
        entry.html = export_html(nb, out / f"{path.stem}.html", cdn=args.cdn, path=path.parent).name
        if with_slides:
            entry.slides = export_slides(nb, out / f"{path.stem}.slides.html", reveal=reveal,
                                         cdn=args.cdn, path=path.parent).name
        n_fig = save_figures(nb, Path(args.figures), path.stem) if args.figures else 0
        if args.figures:
            entry.status = f"ok, {n_fig} figures"
        print(f"    done in {seconds:.1f} s -> {out / entry.html}", flush=True)
    recorded, note = _recorded(paths[0].parent)
    write_index(entries, out / "index.html", recorded=recorded, note=note)
    write_timings(entries, out / TIMINGS)
    _print_table(entries, mode)
    print(f"course map: {out / 'index.html'}")
    return 1 if any(e.status.startswith("FAILED") for e in entries) else 0


def _print_table(entries: list[IndexEntry], mode: str) -> None:
    width = max(len(e.name) + 6 for e in entries)
    print(f"\n{'notebook':<{width}}  {'seconds':>8}  status")
    for e in entries:
        print(f"{e.name + '.ipynb':<{width}}  {e.seconds.get(mode, float('nan')):8.1f}  {e.status}")
    print(f"{'total':<{width}}  {sum(e.seconds.get(mode, 0.0) for e in entries):8.1f}")


def add_parser(sub) -> None:
    """Register ``run`` on the ``python -m coursekit`` parser.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        From ``build_parser``; gets ``run [NOTEBOOK...] [--quick] [-o DIR] [--figures DIR] [--timeout S] [--cdn]``.

    Returns
    -------
    None
    """
    p = sub.add_parser("run", help="execute notebooks, export HTML pages, slides and a course map")
    p.add_argument("notebooks", nargs="*", help="notebooks or folders (default: the course's notebooks/)")
    p.add_argument("--quick", action="store_true", help="quick mode (COURSEKIT_QUICK=1)")
    p.add_argument("-o", "--output", default="build/html", help="output folder (index.html is the entry)")
    p.add_argument("--figures", default=None, help="also write every figure as PNG into this folder")
    p.add_argument("--timeout", type=int, default=3600, help="seconds allowed per cell")
    p.add_argument("--cdn", action="store_true",
                   help="load MathJax/reveal.js from CDNs (smaller files, needs network to view)")
    p.set_defaults(func=run)
