"""The course map as ``index.html``: each notebook's objectives, its time, links to its page and deck.

Objectives come from the notebook itself (its first markdown cell: the numbered list, or else the
last paragraph, which is where each notebook says what it does). Times are measurements only: the
one made by this export, else the recorded table (``notebooks/timings.json``), else "not measured".
"""

from __future__ import annotations

import html
import json
import math
import platform
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from coursekit.export.mathml import markdown_to_html

MODES = ("quick", "full")
_NUMBERED = re.compile(r"^\d+[.)]\s+")


@dataclass
class IndexEntry:
    """One row of the course map.

    Attributes
    ----------
    name : str
        The notebook's stem, e.g. ``"06_neural_style_transfer"``.
    title : str
        The notebook's first heading.
    objectives : list of str
        Its learning objectives, markdown, one item each.
    html, slides : str, optional
        Links to the exported page and deck, relative to the index; None when not exported.
    status : str
        ``"ok"`` or ``"FAILED: <reason>"``.
    seconds : dict of str to float
        Execution time measured by this export, per mode (``"quick"``, ``"full"``).
    """

    name: str                      # notebook stem, e.g. "06_neural_style_transfer"
    title: str
    objectives: list[str]          # markdown, one item per objective
    html: str | None = None        # link relative to the index, None when not exported
    slides: str | None = None
    status: str = "ok"             # "ok" or "FAILED: <reason>"
    seconds: dict[str, float] = field(default_factory=dict)   # measured by this export, per mode


def notebook_objectives(nb: nbformat.NotebookNode) -> tuple[str, list[str]]:
    """The title and the objectives of a notebook, from its first markdown cell.

    Parameters
    ----------
    nb : nbformat.NotebookNode

    Returns
    -------
    (str, list of str)
        The ``# `` heading (``""`` if none) and the items of the first numbered list, joined over
        their continuation lines; without a numbered list, the cell's last paragraph.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T\\n\\nIntro.\\n\\n1. a\\n   b\\n2. c")])
    >>> notebook_objectives(nb)
    ('T', ['a b', 'c'])
    """
    if not isinstance(nb, nbformat.NotebookNode):
        raise TypeError(f"nb must be an nbformat.NotebookNode, got {type(nb).__name__}")
    cell = next((c for c in nb.cells if c.cell_type == "markdown" and c.source.strip()), None)
    if cell is None:
        return "", []
    title, items, paragraphs, block = "", [], [], []
    in_list = False
    for line in cell.source.splitlines():
        stripped = line.strip()
        if not title and stripped.startswith("# "):
            title = stripped[2:].strip()
        elif _NUMBERED.match(stripped) and (in_list or not items):
            items.append(_NUMBERED.sub("", stripped))
            in_list = True
        elif in_list and stripped and line[:1].isspace():
            items[-1] += " " + stripped  # continuation of the current item
        elif not stripped:
            if block:
                paragraphs.append(" ".join(block))
            block = []
        else:
            if in_list:
                in_list = False
            block.append(stripped)
    if block:
        paragraphs.append(" ".join(block))
    return title, items or paragraphs[-1:]


def read_timings(path: str | Path) -> dict[str, dict[str, float]]:
    """Recorded seconds per notebook and mode from a timings JSON file (``{}`` if it is absent).

    Parameters
    ----------
    path : str or Path
        A file written by ``write_timings`` (``{"seconds": {"00_welcome": {"quick": 12.5}}, ...}``).

    Returns
    -------
    dict
        ``{notebook stem: {mode: seconds}}``.
    """
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    seconds = data.get("seconds") if isinstance(data, dict) else None
    if not isinstance(seconds, dict):
        raise ValueError(f"{path} must hold {{'seconds': {{notebook: {{mode: seconds}}}}}}, got {type(data).__name__}")
    return {name: {m: float(s) for m, s in modes.items() if m in MODES} for name, modes in seconds.items()}


def write_timings(entries: list[IndexEntry], path: str | Path) -> Path:
    """Write the times measured by this export as JSON, with the machine and the date.

    Parameters
    ----------
    entries : list of IndexEntry
        Their ``seconds`` (NaN ones left out); notebooks without a time are left out.
    path : str or Path
        The ``.json`` file to write (``read_timings`` reads it back).

    Returns
    -------
    Path
        ``path``.
    """
    _check_entries(entries)
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    seconds = {e.name: {m: round(s, 1) for m, s in e.seconds.items() if math.isfinite(s)} for e in entries}
    data = {"recorded": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}",
            "seconds": {name: modes for name, modes in seconds.items() if modes}}
    Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return Path(path)


def _check_entries(entries) -> None:
    if not isinstance(entries, list) or not all(isinstance(e, IndexEntry) for e in entries):
        raise TypeError(f"entries must be a list of IndexEntry, got {type(entries).__name__}")
    if not entries:
        raise ValueError("entries must hold at least one notebook, got an empty list")


def _time_cell(entry: IndexEntry, mode: str, recorded: dict[str, dict[str, float]]) -> str:
    if mode in entry.seconds and math.isfinite(entry.seconds[mode]):
        return f"{entry.seconds[mode]:.0f} s <small>(this export)</small>"
    if mode in recorded.get(entry.name, {}):
        return f"{recorded[entry.name][mode]:.0f} s <small>(recorded)</small>"
    return "<small>not measured</small>"


def _inline(markdown: str) -> str:
    rendered = markdown_to_html(markdown, exclude_anchor_links=True).strip()
    return re.sub(r"^<p>(.*)</p>$", r"\1", rendered, flags=re.S)


def _row(entry: IndexEntry, recorded: dict[str, dict[str, float]]) -> str:
    links = [f'<a href="{html.escape(link)}">{label}</a>'
             for link, label in ((entry.html, "page"), (entry.slides, "slides")) if link]
    status = "" if entry.status == "ok" else f'<p class="failed">{html.escape(entry.status)}</p>'
    objectives = "".join(f"<li>{_inline(item)}</li>" for item in entry.objectives)
    times = "".join(f"<td>{_time_cell(entry, mode, recorded)}</td>" for mode in MODES)
    return (f'<tr id="{html.escape(entry.name)}"><td><strong>{html.escape(entry.name)}</strong><br>'
            f"{_inline(entry.title) if entry.title else ''}</td><td><ul>{objectives}</ul>{status}</td>"
            f"{times}<td>{' · '.join(links) or '—'}</td></tr>")


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ border-bottom: 1px solid #ddd; padding: .5rem; text-align: left; vertical-align: top; }}
td:nth-child(3), td:nth-child(4) {{ white-space: nowrap; }}
ul {{ margin: 0; padding-left: 1.2rem; }}
.failed {{ color: #b00; }}
</style></head>
<body>
<h1>{title}</h1>
<p>{intro}</p>
<table>
<thead><tr><th>notebook</th><th>objectives</th><th>quick mode</th><th>full mode</th><th>open</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<p><small>{note}</small></p>
</body></html>
"""


def write_index(entries: list[IndexEntry], target: str | Path, *,
                recorded: dict[str, dict[str, float]] | None = None,
                title: str = "coursekit — course map", note: str = "") -> Path:
    """Write the course map: one row per notebook, with objectives, times and links.

    Parameters
    ----------
    entries : list of IndexEntry
        The notebooks, in course order.
    target : str or Path
        The ``index.html`` to write; its folder must exist.
    recorded : dict, optional
        ``read_timings`` of the recorded table, used where this export measured nothing.
    title, note : str
        The page heading, and a footnote (e.g. where the recorded times come from).

    Returns
    -------
    Path
        ``target``.
    """
    _check_entries(entries)
    target = Path(target)
    if not target.parent.is_dir():
        raise ValueError(f"target's folder must exist, got {target.parent}")
    intro = ("Each notebook as a page (run in the export's mode, with its outputs) and as reveal.js "
             "slides; everything here works without network. Times are measured, never estimated.")
    rows = "\n".join(_row(e, recorded or {}) for e in entries)
    target.write_text(_PAGE.format(title=html.escape(title), intro=intro, rows=rows, note=html.escape(note)),
                      encoding="utf-8")
    return target
