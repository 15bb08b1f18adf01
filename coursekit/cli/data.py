"""``python -m coursekit data list`` and ``python -m coursekit data fetch NAME|all``."""

from __future__ import annotations

__all__ = ["list_datasets", "fetch_datasets", "add_parser"]


def list_datasets(data_home=None) -> int:
    """Print each data set: description, source and terms, and where its parts are.

    Parameters
    ----------
    data_home : str or PathLike, optional
        The data dir to search first (default ``COURSEKIT_DATA``, then the user cache dir).

    Returns
    -------
    int
        Exit status: 0, or 2 when ``data_home`` does not exist.
    """
    from coursekit.data import download, registry

    try:
        download.search_roots(data_home)
    except FileNotFoundError as exc:
        print(f"error: {exc}")
        return 2
    for name, info in registry.DATASETS.items():
        found = registry.locate(name, data_home)
        ok = all(found[p.name] is not None for p in info.parts if p.required)
        print(f"{name}: {'available' if ok else 'MISSING'}  --  {info.description}")
        print(f"    source: {info.source}; terms: {info.licence}; loaders: {', '.join(info.loaders)}")
        print(f"    download: {info.download}")
        for part in info.parts:
            path = found[part.name]
            status = registry.where(path, data_home) if (path or part.required) else "not present (optional)"
            print(f"    {part.name:28s} {status:22s} {path or ''}")
    return 0


def fetch_datasets(names: list[str], *, force: bool = False) -> int:
    """Download data sets into the user cache dir; 1 if any could not be fetched.

    Prints, for each, where it is afterwards, or why it could not be fetched (an offline
    machine fails within seconds, with what ``COURSEKIT_DATA`` is and how to use it).

    Parameters
    ----------
    names : list of str
        Data set names from ``registry.DATASETS``, or ``["all"]``.
    force : bool
        Download again even when present.

    Returns
    -------
    int
        Exit status: 0 when every data set is here afterwards, else 1.

    Raises
    ------
    ValueError
        For an unknown name (before anything is downloaded).
    """
    from coursekit.data import registry

    if names == ["all"]:
        names = list(registry.DATASETS)
    for name in names:
        registry.dataset_info(name)  # unknown names fail before anything is downloaded
    status = 0
    for name in names:
        try:
            registry.fetch(name, force=force)
            print(f"{name}: ready, {registry.describe(name)}")
        except OSError as exc:
            print(f"{name}: not fetched: {exc}")
            status = 1
    return status


def _run(args) -> int:
    if args.action == "list":
        return list_datasets(args.data_home)
    try:
        return fetch_datasets(args.names, force=args.force)
    except ValueError as exc:
        print(f"error: {exc}")
        return 2


def add_parser(subparsers) -> None:
    """Register ``data list`` / ``data fetch`` on the ``python -m coursekit`` parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From ``build_parser``; gets ``data`` with the actions ``list`` and ``fetch NAME... [--force]``.

    Returns
    -------
    None
    """
    parser = subparsers.add_parser("data", help="list the data sets or download them into the user cache")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    lister = actions.add_parser("list", help="each data set, its source and terms, and whether it is here")
    lister.add_argument("--data-home", default=None, help="a data folder to check instead of $COURSEKIT_DATA")
    fetcher = actions.add_parser("fetch", help="download data sets into the user cache (needs internet)")
    fetcher.add_argument("names", nargs="+", metavar="NAME", help="a data set name (see `data list`) or 'all'")
    fetcher.add_argument("--force", action="store_true",
                         help="download into the user cache even when a copy is already available")
    parser.set_defaults(func=_run)
