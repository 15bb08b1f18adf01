"""Where the data lives, quick mode, which device to use, and seeding.

Nothing here is global state: every function reads the environment when it is called,
so a notebook or a test can change ``COURSEKIT_DATA`` / ``COURSEKIT_QUICK`` at any time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import random
from pathlib import Path

import numpy as np
import torch
from platformdirs import user_cache_dir

from .validation import check_device, check_int

__all__ = ["data_dir", "cache_dir", "is_quick", "device", "has_fast_bfloat16", "keep_freed_memory",
           "seed_everything"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """Return the folder that holds the course's data sets.

    Resolution order: the explicit ``path``, then ``$COURSEKIT_DATA``, then the user
    cache dir (``cache_dir()``), where ``python -m coursekit data fetch NAME`` downloads.

    Parameters
    ----------
    path : str or PathLike, optional
        An explicit folder. It must exist.

    Returns
    -------
    Path
        An absolute path. The explicit path and ``$COURSEKIT_DATA`` must exist; the user
        cache dir is returned even when it does not exist yet.

    Examples
    --------
    >>> data_dir("/tmp").is_dir()
    True
    """
    if path is not None:
        p = Path(path).expanduser()
        if not p.is_dir():
            raise FileNotFoundError(f"data dir {str(p)!r} does not exist or is not a folder")
        return p.resolve()
    env = os.environ.get("COURSEKIT_DATA", "").strip()
    if env:
        p = Path(env).expanduser()
        if not p.is_dir():
            raise FileNotFoundError(
                f"COURSEKIT_DATA={env!r} does not exist or is not a folder; "
                "unset it to use the user cache dir, or point it at a copy of the course data"
            )
        return p.resolve()
    return cache_dir()


def cache_dir() -> Path:
    """Return the user cache dir for downloads and derived caches (may not exist yet).

    ``$COURSEKIT_CACHE`` overrides the platform default (e.g. ``~/.cache/coursekit``).
    Derived caches are written here, never into the data dir, which may be read-only.

    Returns
    -------
    Path
    """
    env = os.environ.get("COURSEKIT_CACHE", "").strip()
    if env:
        return Path(env).expanduser().resolve()
    return Path(user_cache_dir("coursekit", appauthor=False))


def is_quick() -> bool:
    """Return True when ``COURSEKIT_QUICK`` asks for quick mode (small data, few epochs).

    Accepted values: 1/true/yes/on and 0/false/no/off (case-insensitive); unset means False.

    Returns
    -------
    bool
    """
    raw = os.environ.get("COURSEKIT_QUICK", "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"COURSEKIT_QUICK must be one of 1/0/true/false/yes/no/on/off, got {raw!r}")


def __getattr__(name: str):
    # `config.QUICK` reads the environment at access time, so it is never stale
    if name == "QUICK":
        return is_quick()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def device(prefer: str | torch.device | None = None) -> torch.device:
    """Return the device to compute on: CUDA when present, else CPU.

    Parameters
    ----------
    prefer : str or torch.device, optional
        Force a device (``"cpu"``, ``"cuda"``, ``"cuda:1"``...). Asking for one this machine
        does not have (``"cuda"`` without a GPU) raises ``ValueError``
        (:func:`coursekit.validation.check_device`).

    Returns
    -------
    torch.device

    Examples
    --------
    >>> device("cpu")
    device(type='cpu')
    """
    if prefer is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return check_device(prefer, "prefer")


def has_fast_bfloat16(device: str | torch.device) -> bool:
    """Whether ``device`` computes convolutions in bfloat16 natively (faster than float32).

    True on CUDA devices that support bfloat16, and on CPUs whose vector capability
    (``torch.backends.cpu.get_cpu_capability()``, public) is AVX-512 or ARM SVE with oneDNN
    available (``torch.backends.mkldnn.is_available()``): the CPUs where oneDNN has native
    bfloat16 kernels. Elsewhere bfloat16 is emulated, and slower than float32.

    Parameters
    ----------
    device : str or torch.device

    Returns
    -------
    bool

    Examples
    --------
    >>> has_fast_bfloat16("meta")
    False
    """
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be a str or torch.device such as 'cpu' or 'cuda', got {type(device).__name__}")
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    if device.type != "cpu" or not torch.backends.mkldnn.is_available():
        return False
    return torch.backends.cpu.get_cpu_capability().startswith(("AVX512", "SVE"))


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, from glibc's <malloc.h>
_MMAP_THRESHOLD_MAX = 32 * 2**20  # the largest M_MMAP_THRESHOLD glibc accepts on 64-bit


def keep_freed_memory() -> bool:
    """Let glibc's ``malloc`` keep freed memory for reuse instead of handing it back to the OS.

    By default a freed block larger than about 128 KiB (every large tensor's) is returned to the
    operating system, and the next tensor of that size is page-faulted in again, 4 KiB at a time.
    A loop that makes new activations at every step pays that each time: a 256-px style
    transfer evaluation (VGG-19 to conv3_1) took 30,000–38,000 page faults, 55–80 ms of kernel
    time, on the course's 2-core machine: a sixth of a float32 evaluation, a third of a
    bfloat16 one; after this call, 0–800 faults and 0–1 ms. Blocks of up to 32 MiB then come
    from (and go back to) the process's own heap, which is no longer trimmed: the process keeps
    its peak memory. It is what ``MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=...``
    in the environment would do, for a process already running (a notebook's kernel). It
    changes the whole process, so nothing in coursekit calls it for you: notebook 01 calls it
    before training (a prototypical-network episode: about 18,000 faults, 76–79 ms; after this
    call, 59–63 ms), and ``benchmarks/style_transfer.py --keep-freed-memory`` does, for both
    loops it compares.

    Returns
    -------
    bool
        True if the settings were applied; False where ``malloc`` is not glibc's (macOS,
        Windows, musl), which is left as it is.

    Examples
    --------
    >>> keep_freed_memory() in (True, False)
    True
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 -- an AttributeError where the C library is not glibc
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)) and bool(mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's, NumPy's and PyTorch's global RNGs, and return a seeded generator.

    Notebooks call this once in their first cell so that seeded cells print the same
    numbers on every run. Every random function of coursekit takes
    ``generator: torch.Generator | None = None``; None means torch's default generator, which this
    seeds, and the returned generator is a separate stream seeded the same way.

    Parameters
    ----------
    seed : int in [0, 2**32)
        NumPy integers and 0-d integer tensors are accepted.

    Returns
    -------
    torch.Generator
        A new generator seeded with ``seed``.

    Examples
    --------
    >>> g = seed_everything(0)
    >>> torch.rand(1, generator=g).item() == torch.rand(1, generator=torch.Generator().manual_seed(0)).item()
    True
    """
    seed = check_int(seed, "seed", minimum=0, maximum=2**32 - 1)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 -- seeding the legacy global RNG is the point here
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
