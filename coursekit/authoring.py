"""From one source notebook to what learners and instructors get.

- ``exercise_regions`` finds the learner's code between ``### BEGIN SOLUTION`` / ``### END SOLUTION``.
- ``make_student_notebook`` replaces each region by a ``NotImplementedError`` placeholder, keeping the
  ``# HINT:`` lines, drops the ``# NBVAL_CHECK_OUTPUT`` lines (CI's business, not the learner's) and
  clears every output.
- ``strip_outputs`` clears outputs except in cells marked ``# NBVAL_CHECK_OUTPUT`` (what is committed).
- ``annotate_slides`` sets ``metadata.slideshow.slide_type`` from the markdown headings.
- ``execute_notebook`` runs a notebook with nbclient and returns it with its outputs and the seconds taken.
"""

from __future__ import annotations

import copy
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = [
    "BEGIN",
    "END",
    "CHECK_MARK",
    "ExerciseRegion",
    "exercise_regions",
    "student_source",
    "make_student_notebook",
    "strip_outputs",
    "annotate_slides",
    "execute_notebook",
    "read_notebook",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
_HINT = re.compile(r"^\s*# HINT:")
_DEF = re.compile(r"^\s*def\s+(\w+)\s*\(")


@dataclass(frozen=True)
class ExerciseRegion:
    """One exercise: the cell index, the line span of the markers, and the enclosing function.

    Attributes
    ----------
    cell : int
        Index of the code cell in the notebook.
    begin_line, end_line : int
        0-based line numbers of ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in the cell.
    function : str or None
        The ``def`` the region lies in, None at top level.
    """

    cell: int
    begin_line: int
    end_line: int
    function: str | None


def read_notebook(path: str | os.PathLike) -> nbformat.NotebookNode:
    """Read a notebook file (nbformat 4), with a clear error for a missing or invalid file.

    Parameters
    ----------
    path : str or PathLike
        The ``.ipynb`` file.

    Returns
    -------
    nbformat.NotebookNode

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is not a valid notebook.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"notebook {str(p)!r} does not exist")
    try:
        return nbformat.read(p, as_version=4)
    except Exception as exc:  # nbformat raises several types for bad JSON
        raise ValueError(f"{str(p)!r} is not a valid notebook: {exc}") from exc


def _cell_regions(source: str, cell: int) -> list[ExerciseRegion]:
    lines = source.splitlines()
    regions, begin, func = [], None, None
    for i, line in enumerate(lines):
        m = _DEF.match(line)
        if m and begin is None:
            func = m.group(1)
        if line.strip() == BEGIN:
            if begin is not None:
                raise ValueError(f"cell {cell}: line {i + 1} opens a solution inside another (line {begin + 1})")
            begin = i
        elif line.strip() == END:
            if begin is None:
                raise ValueError(f"cell {cell}: line {i + 1} closes a solution that was never opened")
            regions.append(ExerciseRegion(cell, begin, i, func))
            begin = None
        elif BEGIN in line or END in line:
            raise ValueError(f"cell {cell}: line {i + 1} has a solution marker that is not alone on its line")
    if begin is not None:
        raise ValueError(f"cell {cell}: the solution opened on line {begin + 1} is never closed")
    return regions


def exercise_regions(nb: nbformat.NotebookNode) -> list[ExerciseRegion]:
    """All exercise regions of a notebook, in order. Unbalanced markers raise ``ValueError``.

    Parameters
    ----------
    nb : nbformat.NotebookNode

    Returns
    -------
    list of ExerciseRegion
        In cell order, then line order.
    """
    out: list[ExerciseRegion] = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            out.extend(_cell_regions(cell.source, i))
    return out


def student_source(source: str, cell: int = 0) -> str:
    """Replace every solution region of one cell's source by a placeholder.

    The placeholder keeps the region's ``# HINT:`` lines (as comments) and raises
    ``NotImplementedError`` naming the function to write.

    >>> print(student_source("def f(x):\\n    ### BEGIN SOLUTION\\n    # HINT: double it\\n    return 2 * x\\n    ### END SOLUTION"))
    def f(x):
        # HINT: double it
        raise NotImplementedError("Exercise: write the body of f here.")

    Parameters
    ----------
    source : str
        One code cell's source.
    cell : int
        The cell's index, for error messages.

    Returns
    -------
    str
        The source with each solution region replaced (unchanged when it has none).

    Raises
    ------
    ValueError
        If the markers are unbalanced.
    """
    lines = source.splitlines()
    regions = _cell_regions(source, cell)
    for region in reversed(regions):
        indent = lines[region.begin_line][: len(lines[region.begin_line]) - len(lines[region.begin_line].lstrip())]
        body = lines[region.begin_line + 1 : region.end_line]
        hints = [indent + ln.strip() for ln in body if _HINT.match(ln)]
        what = f"the body of {region.function}" if region.function else "your code"
        placeholder = hints + [f'{indent}raise NotImplementedError("Exercise: write {what} here.")']
        lines[region.begin_line : region.end_line + 1] = placeholder
    return "\n".join(lines)


def _clear(cell: nbformat.NotebookNode) -> None:
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None


def _without_check_mark(source: str) -> str:
    return "\n".join(line for line in source.splitlines() if line.strip() != CHECK_MARK)


def make_student_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return the learner's version: solutions replaced by placeholders (the ``student_source``
    placeholder raises ``NotImplementedError("Exercise: write ... here.")``, which the checks
    recognise), ``# NBVAL_CHECK_OUTPUT`` lines removed, every output cleared.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The source (instructor) notebook; not modified.

    Returns
    -------
    nbformat.NotebookNode
        A new notebook.
    """
    student = copy.deepcopy(nb)
    for i, cell in enumerate(student.cells):
        _clear(cell)
        if cell.cell_type == "code" and BEGIN in cell.source:
            cell.source = student_source(cell.source, i)
        if cell.cell_type == "code" and CHECK_MARK in cell.source:
            cell.source = _without_check_mark(cell.source)
    student.metadata.setdefault("coursekit", {})["student"] = True
    return student


def is_checked_cell(cell: nbformat.NotebookNode) -> bool:
    """True for a code cell whose outputs nbval compares (its source mentions ``# NBVAL_CHECK_OUTPUT``).

    Parameters
    ----------
    cell : nbformat.NotebookNode
        One cell.

    Returns
    -------
    bool
    """
    return cell.cell_type == "code" and CHECK_MARK in cell.source


def strip_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a copy with outputs and execution counts removed, except in checked cells.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        Not modified.

    Returns
    -------
    nbformat.NotebookNode
        The copy, as the project commits notebooks.
    """
    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type == "code" and not is_checked_cell(cell):
            _clear(cell)
    return out


def _slide_type(cell: nbformat.NotebookNode, index: int) -> str:
    if cell.cell_type == "markdown":
        first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
        if re.match(r"^#{1,2}\s", first):
            return "slide"
        if re.match(r"^###\s", first):
            return "subslide"
        return "fragment"
    if cell.cell_type == "code" and index <= 2 and "autoreload" in cell.source:
        return "skip"
    return "-"


def annotate_slides(nb: nbformat.NotebookNode, *, overwrite: bool = False) -> nbformat.NotebookNode:
    """Return a copy where every cell has ``metadata.slideshow.slide_type`` (kept unless ``overwrite``).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        Not modified.
    overwrite : bool
        Replace slide types already set.

    Returns
    -------
    nbformat.NotebookNode
        A markdown cell starting with a ``#`` or ``##`` heading starts a slide, ``###`` a
        sub-slide, other markdown cells are fragments; code cells continue the slide (``"-"``),
        except the autoreload setup cell at the top (``"skip"``).
    """
    out = copy.deepcopy(nb)
    for i, cell in enumerate(out.cells):
        show = cell.metadata.setdefault("slideshow", {})
        if overwrite or "slide_type" not in show:
            show["slide_type"] = _slide_type(cell, i)
    return out


def execute_notebook(
    nb: nbformat.NotebookNode,
    *,
    cwd: str | os.PathLike,
    quick: bool = True,
    timeout: int = 1800,
    allow_errors: bool = False,
) -> tuple[nbformat.NotebookNode, float]:
    """Execute a copy of ``nb`` in ``cwd`` with nbclient; return it and the wall seconds taken.

    ``COURSEKIT_QUICK`` is set for the kernel from ``quick``. Errors raise
    ``nbclient.exceptions.CellExecutionError`` unless ``allow_errors``.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        Not modified.
    cwd : str or PathLike
        The kernel's working directory (the notebook's folder, for relative paths).
    quick : bool
        Quick mode for the kernel.
    timeout : int
        Seconds allowed per cell.
    allow_errors : bool
        Record errors as outputs and go on.

    Returns
    -------
    nb : nbformat.NotebookNode
        The executed copy.
    seconds : float
        Wall-clock time of the execution.
    """
    from nbclient import NotebookClient

    run = copy.deepcopy(nb)
    env = dict(os.environ, COURSEKIT_QUICK="1" if quick else "0", MPLBACKEND="module://matplotlib_inline.backend_inline")
    client = NotebookClient(
        run, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}},
        allow_errors=allow_errors,
    )
    start = time.perf_counter()
    client.execute(env=env)  # the kernel's environment
    return run, time.perf_counter() - start
