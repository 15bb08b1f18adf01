"""``python -m coursekit start [DIR]``: the learner's own copy of the course, exercises still to do.

The course's ``notebooks/`` hold the solutions (that is what CI runs). A learner starts from the
student build of the same notebooks (``coursekit.authoring.make_student_notebook``), written into a
workspace of their own, outside the git checkout, so that updating the course never touches their
work. A learner's file is never overwritten: an existing one is kept and reported; ``--update``
adds only the notebooks the workspace does not have yet. The notebooks need nothing else from the
checkout: they import ``coursekit`` and find the data through ``coursekit.config``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from coursekit.authoring import make_student_notebook, read_notebook
from coursekit.cli.student import notebook_paths

__all__ = ["COURSE_NOTEBOOKS", "default_workspace", "StartResult", "start_workspace"]

# the solution notebooks of this checkout (an editable install); `--from` points elsewhere
COURSE_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def default_workspace() -> Path:
    """``~/coursekit-work``: outside the checkout, so that ``git pull`` never meets a learner's edits.

    Returns
    -------
    Path
        ``Path.home() / "coursekit-work"`` (not created here).
    """
    return Path.home() / "coursekit-work"


@dataclass
class StartResult:
    """What ``start_workspace`` did: the files it wrote, kept (already there) and left out.

    Attributes
    ----------
    workspace : Path
        The learner's folder, resolved.
    written : list of Path
        Notebooks written now.
    kept : list of Path
        Notebooks already there, left untouched.
    not_added : list of Path
        New course notebooks, written only with ``update=True``.
    """

    workspace: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    not_added: list[Path] = field(default_factory=list)  # new course notebooks, added only with update


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def start_workspace(workspace: str | os.PathLike, source: str | os.PathLike = COURSE_NOTEBOOKS,
                    *, update: bool = False) -> StartResult:
    """Write the learner version of every notebook of ``source`` into ``workspace``.

    A new (or notebook-free) workspace gets every notebook. In a workspace that already holds
    notebooks, each existing file is kept untouched; the course's notebooks it lacks are written
    only when ``update`` is true.

    Parameters
    ----------
    workspace : str or path
        The learner's folder; created if missing. Must not lie inside ``source``.
    source : str or path
        The folder of solution notebooks (default: this checkout's ``notebooks/``).
    update : bool
        Add the notebooks the workspace does not have yet (existing files are never rewritten).

    Returns
    -------
    StartResult
        ``written``, ``kept`` and ``not_added`` lists of paths in the workspace.
    """
    if not isinstance(workspace, (str, os.PathLike)):
        raise TypeError(f"workspace must be a str or path, got {type(workspace).__name__}")
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a str or path, got {type(source).__name__}")
    if not isinstance(update, bool):
        raise TypeError(f"update must be a bool, got {type(update).__name__}")
    src = Path(source).expanduser().resolve()
    if not src.is_dir():
        raise FileNotFoundError(
            f"the course notebooks were not found in {str(src)!r}: run this from an editable install of a "
            "checkout of the course (pip install -e .), or pass --from FOLDER")
    ws = Path(workspace).expanduser().resolve()
    if _inside(ws, src):
        raise ValueError(
            f"workspace must be outside the course's notebooks folder {str(src)!r} (those are the solutions), "
            f"got {str(ws)!r}; e.g. {str(default_workspace())!r}")
    if ws.exists() and not ws.is_dir():
        raise NotADirectoryError(f"workspace {str(ws)!r} exists and is not a folder")
    paths = notebook_paths([str(src)])
    result = StartResult(ws)
    is_new = not (ws.is_dir() and any(ws.glob("*.ipynb")))
    ws.mkdir(parents=True, exist_ok=True)
    for path in paths:
        target = ws / path.name
        if target.exists():
            result.kept.append(target)
        elif is_new or update:
            nbformat.write(make_student_notebook(read_notebook(path)), target)
            result.written.append(target)
        else:
            result.not_added.append(target)
    return result


def _shell_path(path: Path) -> str:
    home = Path.home()
    shown = f"~/{path.relative_to(home)}" if _inside(path, home) and path != home else str(path)
    return f'"{shown}"' if " " in shown else shown


def run(args) -> int:
    """Write the learner notebooks into a workspace and say how to open it.

    Parameters
    ----------
    args : argparse.Namespace
        ``dir``, ``source``, ``update`` (see ``add_parser``).

    Returns
    -------
    int
        Exit status: 0, or 2 when the workspace or the source cannot be used.
    """
    try:
        result = start_workspace(args.dir if args.dir else default_workspace(), args.source, update=args.update)
    except (ValueError, FileNotFoundError, NotADirectoryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    ws = result.workspace
    for p in result.written:
        print(f"  wrote {p.name}")
    for p in result.kept:
        print(f"  kept  {p.name} (already there: your work is never overwritten)")
    for p in result.not_added:
        print(f"  new in the course, not added: {p.name} (add it with --update)")
    checkout = Path(args.source).expanduser().resolve().parent
    if (checkout / ".git").exists() and _inside(ws, checkout):
        print(f"\nnote: {ws} is inside the course's git checkout {checkout}: your files may get in the way of\n"
              f"`git pull`; a folder outside it (e.g. {_shell_path(default_workspace())}) keeps them apart.")
    print(f"\nYour workspace: {ws}")
    print(f"Open it with:   jupyter lab {_shell_path(ws)}")
    print("Start with 00_welcome.ipynb. Each exercise is a function whose body you write in place of its\n"
          "`raise NotImplementedError(...)` line; the cell after it checks your answer. Run All stops at\n"
          "the first unfinished exercise: finish it, then run on from there.")
    print(f"Solutions, for when you are stuck: {Path(args.source).expanduser().resolve()}")
    return 0


def add_parser(sub) -> None:
    """Register ``start`` on the ``python -m coursekit`` parser.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        From ``build_parser``; gets ``start [DIR] [--update] [--from FOLDER]``.

    Returns
    -------
    None
    """
    p = sub.add_parser("start", help="write the learner notebooks (exercises to do) into your own workspace")
    p.add_argument("dir", nargs="?", help=f"your workspace (default: {_shell_path(default_workspace())})")
    p.add_argument("--update", action="store_true",
                   help="add the course's notebooks your workspace lacks (existing files are never touched)")
    p.add_argument("--from", dest="source", default=str(COURSE_NOTEBOOKS), metavar="FOLDER",
                   help="the solution notebooks to start from (default: this checkout's notebooks/)")
    p.set_defaults(func=run)
