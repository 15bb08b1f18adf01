"""dlib is optional (the ``align`` extra): import it on first use, and say how to install it here.

PyPI's ``dlib-bin`` ships wheels only (no source), for the platforms in ``_DLIB_BIN_WHEELS``;
elsewhere conda-forge's ``dlib`` package is the way. Only the face detector/aligner
(:class:`coursekit.models.dlib.align.FaceAligner`) and the port-vs-dlib comparison need dlib.
"""

from __future__ import annotations

import platform
import sys

__all__ = ["dlib_install_hint", "import_dlib"]

# Where PyPI has a dlib-bin wheel, looked up in November 2026 with
# `pip index versions --only-binary=:all: --python-version 3.X --platform TAG dlib-bin`:
# (system, machine, oldest macOS major or 0) -> newest Python 3.minor with a wheel
_DLIB_BIN_WHEELS = {
    ("Linux", "x86_64", 0): 14, ("Linux", "aarch64", 0): 14, ("Windows", "amd64", 0): 14,
    ("Darwin", "arm64", 14): 14, ("Darwin", "arm64", 11): 12,  # dlib-bin 20 needs macOS 14
    ("Darwin", "x86_64", 13): 13, ("Darwin", "x86_64", 10): 12,
}


def dlib_install_hint(system: str | None = None, machine: str | None = None,
                      python: tuple[int, int] | None = None, macos: int | None = None) -> str:
    """How to install dlib (the ``align`` extra) on this platform: a pip wheel or conda-forge.

    dlib is optional: the course's face network is the PyTorch port and the notebooks use
    ``crops_to_chips``. Only the detector/aligner (``FaceAligner``) and the port-vs-dlib
    comparison need it. PyPI's ``dlib-bin`` ships wheels only (no source), for the
    platforms in ``_DLIB_BIN_WHEELS``; elsewhere conda-forge's ``dlib`` package is the way.

    Parameters
    ----------
    system, machine : str, optional
        ``platform.system()`` ("Linux", "Darwin", "Windows") and ``platform.machine()``;
        default this machine.
    python : (int, int), optional
        (major, minor); default the running Python.
    macos : int, optional
        The macOS major version (14 for Sonoma); default from ``platform.mac_ver()``.

    Returns
    -------
    str
        One line: the command to run, and why conda when pip has no wheel.

    Examples
    --------
    >>> dlib_install_hint("Linux", "x86_64", (3, 12))
    'python -m pip install "dlib-bin>=19.24.2" (from the course folder: python -m pip install -e ".[align]")'
    >>> dlib_install_hint("Darwin", "arm64", (3, 13), macos=13)[:40]
    'conda install -c conda-forge dlib (PyPI '
    """
    for name, value in (("system", system), ("machine", machine)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name} must be a str or None, got {type(value).__name__}")
    if python is not None and (not isinstance(python, (tuple, list)) or len(python) != 2
                               or not all(isinstance(v, int) and not isinstance(v, bool) for v in python)):
        raise TypeError(f"python must be a (major, minor) pair of ints, got {python!r}")
    if macos is not None and (isinstance(macos, bool) or not isinstance(macos, int)):
        raise TypeError(f"macos must be an int or None, got {macos!r}")
    system = platform.system() if system is None else system
    machine = (platform.machine() if machine is None else machine).lower()
    machine = {"amd64": "x86_64", "arm64": "arm64", "aarch64": "aarch64"}.get(machine, machine)
    if system == "Windows" and machine == "x86_64":
        machine = "amd64"
    if system == "Darwin" and machine == "aarch64":
        machine = "arm64"
    python = tuple(sys.version_info[:2]) if python is None else tuple(python)
    if macos is None and system == "Darwin":
        release = platform.mac_ver()[0] if system == platform.system() else ""
        macos = int(release.split(".")[0]) if release else 0
    newest = max((minor for (s, m, oldest), minor in _DLIB_BIN_WHEELS.items()
                  if s == system and m == machine and (macos or 0) >= oldest), default=None)
    if newest is not None and python[0] == 3 and 10 <= python[1] <= newest:
        return 'python -m pip install "dlib-bin>=19.24.2" (from the course folder: python -m pip install -e ".[align]")'
    where = f"{system} {machine}" + (f" macOS {macos}" if system == "Darwin" else "")
    return (f"conda install -c conda-forge dlib (PyPI has no dlib-bin wheel for {where} with "
            f"Python {python[0]}.{python[1]}; conda-forge builds dlib for it)")


def import_dlib(purpose: str = "face detection and alignment"):
    """The ``dlib`` module, imported on first use; a clear ImportError when it is not installed.

    Parameters
    ----------
    purpose : str
        What needs dlib, for the message.

    Returns
    -------
    module
        ``dlib``.

    Raises
    ------
    ImportError
        dlib is not installed; the message says what needs it, what works without it
        (``crops_to_chips`` and the PyTorch face network) and how to install it here.
    """
    try:
        import dlib
    except ImportError as exc:
        raise ImportError(
            f"{purpose} needs dlib, which is not installed (the optional 'align' extra). "
            f"Without it, use crops_to_chips for face crops and the PyTorch face network as usual. "
            f"To install it: {dlib_install_hint()}"
        ) from exc
    return dlib
