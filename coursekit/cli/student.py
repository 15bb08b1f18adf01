"""``python -m coursekit student SRC... -o OUT``: write the learners' versions of the notebooks."""

from __future__ import annotations

from pathlib import Path

import nbformat

from coursekit.authoring import exercise_regions, make_student_notebook, read_notebook


def notebook_paths(sources: list[str]) -> list[Path]:
    """Expand folders to their ``*.ipynb`` (sorted); reject missing paths and non-notebooks.

    Parameters
    ----------
    sources : list of str
        Notebook files and folders.

    Returns
    -------
    list of Path
        The notebooks, in the order given (each folder's sorted).

    Raises
    ------
    FileNotFoundError
        For a path that does not exist, is not a notebook, or a folder without notebooks.
    """
    paths: list[Path] = []
    for src in sources:
        p = Path(src)
        if p.is_dir():
            found = sorted(p.glob("*.ipynb"))
            if not found:
                raise FileNotFoundError(f"{src!r} holds no .ipynb notebook")
            paths.extend(found)
        elif p.is_file() and p.suffix == ".ipynb":
            paths.append(p)
        else:
            raise FileNotFoundError(f"{src!r} is neither a notebook nor a folder of notebooks")
    return paths


def run(args) -> int:
    """Write the learner version of each notebook into ``args.output``.

    Parameters
    ----------
    args : argparse.Namespace
        ``sources`` and ``output`` (see ``add_parser``).

    Returns
    -------
    int
        Exit status 0.

    Raises
    ------
    ValueError
        When a learner version would overwrite its source notebook.
    """
    out = Path(args.output)
    paths = notebook_paths(args.sources)
    out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb = read_notebook(path)
        n = len(exercise_regions(nb))
        target = out / path.name
        if target.resolve() == path.resolve():
            raise ValueError(f"refusing to overwrite the source notebook {str(path)!r}: choose another -o")
        nbformat.write(make_student_notebook(nb), target)
        print(f"{path.name}: {n} exercise(s) -> {target}")
    return 0


def add_parser(sub) -> None:
    """Register ``student`` on the ``python -m coursekit`` parser.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        From ``build_parser``; gets ``student SOURCE... -o DIR``.

    Returns
    -------
    None
    """
    p = sub.add_parser("student", help="write learner versions (solutions replaced by placeholders)")
    p.add_argument("sources", nargs="+", help="notebooks or folders of notebooks")
    p.add_argument("-o", "--output", required=True, help="output folder, e.g. build/student")
    p.set_defaults(func=run)
