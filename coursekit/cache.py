"""One cache for computed tensors (trained weights), written atomically and checked on load.

A cache file is a safetensors file whose name is a hash of the *explicit* parameters that
produced it (:func:`cache_key`), so a different recipe never loads someone else's weights.

* Writing is atomic: the tensors go to a unique temporary file in the same folder
  (``.<name>.<pid>.<random>.tmp``), which ``os.replace`` then renames. A run killed mid-write
  leaves a temporary file, never a half-written cache; such leftovers are removed later.
* The file's metadata holds a SHA-256 checksum of the tensors (names, dtypes, shapes, bytes),
  checked on every load, so flipped bytes in tensor data are caught, not returned.
* A damaged cache (truncated, empty, bad header or metadata, wrong checksum) is reported once
  as a printed line, deleted and rebuilt by :func:`load_or_build`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from . import config
from .validation import describe

__all__ = ["CacheError", "cache_key", "cache_path", "tensor_checksum", "save_tensors", "load_tensors",
           "load_or_build", "remove_stale_temp_files"]

_CHECKSUM = "coursekit.sha256"
_META = "coursekit.meta"
_TEMP = re.compile(r"^\..+\.(\d+)\.[0-9a-f]{32}\.tmp$")
STALE_AFTER_SECONDS = 24 * 3600  # a temporary file of a live process older than this is abandoned too


class CacheError(ValueError):
    """A cache file exists but cannot be trusted (truncated, damaged, wrong checksum...)."""


def _digest_value(value: Any, h) -> None:
    """Feed a canonical encoding of ``value`` into the hash ``h`` (type-tagged, order-stable)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        h.update(json.dumps(value).encode() + b";")
    elif isinstance(value, (np.integer, np.floating)):
        _digest_value(value.item(), h)
    elif isinstance(value, torch.Tensor):
        h.update(f"tensor:{value.dtype}:{tuple(value.shape)}:".encode())
        h.update(value.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(value, np.ndarray):
        _digest_value(torch.from_numpy(np.ascontiguousarray(value)), h)
    elif isinstance(value, (list, tuple)):
        h.update(f"list:{len(value)}[".encode())
        for v in value:
            _digest_value(v, h)
        h.update(b"]")
    elif isinstance(value, Mapping):
        h.update(f"dict:{len(value)}{{".encode())
        for k in sorted(value, key=str):
            if not isinstance(k, str):
                raise TypeError(f"cache key parameters must have str keys, got {describe(k)}")
            _digest_value(k, h)
            _digest_value(value[k], h)
        h.update(b"}")
    else:
        raise TypeError(
            "cache key parameters must be None, bool, int, float, str, tensors, arrays, or lists/dicts of "
            f"those, got {describe(value)}"
        )


def cache_key(params: Mapping[str, Any], length: int = 20) -> str:
    """A stable hash of explicit parameters: the same values give the same key in every process.

    Parameters
    ----------
    params : mapping of str to values
        Numbers, strings, None, tensors/arrays (hashed by dtype, shape and bytes), and lists or
        dicts of those. Key order does not matter; ``1`` and ``1.0`` give different keys.
    length : int
        Hex digits kept (of SHA-256's 64).

    Returns
    -------
    str
        ``length`` hexadecimal digits.

    Examples
    --------
    >>> cache_key({"a": 1, "b": [2, "x"]}) == cache_key({"b": [2, "x"], "a": 1})
    True
    >>> len(cache_key({"w": torch.zeros(3)}, length=12))
    12
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of explicit parameters, got {describe(params)}")
    if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 64:
        raise ValueError(f"length must be an int in [1, 64], got {length!r}")
    h = hashlib.sha256()
    _digest_value(params, h)
    return h.hexdigest()[:length]


def cache_path(kind: str, params: Mapping[str, Any], *, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where the cache for ``params`` lives: ``<cache_dir>/<kind>/<kind>_<cache_key(params)>.safetensors``.

    Parameters
    ----------
    kind : str
        A folder name for this kind of cache, e.g. ``"face_embedding"``.
    params : mapping
        The explicit parameters, see :func:`cache_key`.
    cache_dir : path, optional
        Default ``config.cache_dir()`` (``$COURSEKIT_CACHE`` or the user cache dir).

    Returns
    -------
    Path

    Examples
    --------
    >>> cache_path("demo", {"a": 1}, cache_dir="/tmp").name.startswith("demo_")
    True
    """
    if not isinstance(kind, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", kind):
        raise ValueError(f"kind must be a folder name of letters, digits, '_' or '-', got {kind!r}")
    root = Path(cache_dir) if cache_dir is not None else config.cache_dir()
    return root / kind / f"{kind}_{cache_key(params)}.safetensors"


def tensor_checksum(tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 over the names, dtypes, shapes and bytes of ``tensors`` (sorted by name).

    Parameters
    ----------
    tensors : mapping of str to Tensor

    Returns
    -------
    str
        64 hexadecimal digits.

    Examples
    --------
    >>> tensor_checksum({"a": torch.zeros(2)}) == tensor_checksum({"a": torch.zeros(2)})
    True
    >>> tensor_checksum({"a": torch.zeros(2)}) == tensor_checksum({"a": torch.zeros(2, dtype=torch.float64)})
    False
    """
    h = hashlib.sha256()
    for name in sorted(tensors):
        _digest_value(name, h)
        _digest_value(tensors[name], h)
    return h.hexdigest()


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but is not ours, or we cannot tell: leave its file alone
    return True


def remove_stale_temp_files(folder: str | os.PathLike) -> list[Path]:
    """Delete the temporary files that killed saves left in ``folder``.

    A temporary file ``.<name>.<pid>.<random>.tmp`` is stale when the process that wrote it is
    gone, or when it is older than a day. Files of live writers are left alone.

    Parameters
    ----------
    folder : path

    Returns
    -------
    list of Path
        The files removed.
    """
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    now = time.time()
    for p in folder.iterdir():
        m = _TEMP.match(p.name)
        if m is None:
            continue
        try:
            old = now - p.stat().st_mtime > STALE_AFTER_SECONDS
            if old or not _pid_alive(int(m.group(1))):
                p.unlink()
                removed.append(p)
        except FileNotFoundError:  # another process cleaned it first
            continue
    return removed


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")


def save_tensors(path: str | os.PathLike, tensors: Mapping[str, torch.Tensor],
                 metadata: Mapping[str, Any] | None = None) -> Path:
    """Write ``tensors`` (and JSON ``metadata``) to ``path`` atomically, with their checksum.

    Parameters
    ----------
    path : path
        The final file; its folder is created.
    tensors : mapping of str to Tensor
        Saved from the CPU, contiguous.
    metadata : mapping, optional
        Anything ``json.dumps`` can write (settings, a training history).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    if not isinstance(tensors, Mapping) or not all(isinstance(v, torch.Tensor) for v in tensors.values()):
        raise TypeError(f"tensors must be a dict of str to Tensor, got {describe(tensors)}")
    state = {str(k): v.detach().cpu().contiguous() for k, v in tensors.items()}
    meta = {_CHECKSUM: tensor_checksum(state), _META: json.dumps(dict(metadata or {}))}
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(path.parent)
    tmp = _temp_name(path)
    try:
        save_file(state, str(tmp), metadata=meta)
        os.replace(tmp, path)  # atomic on POSIX and Windows: readers see the old or the new file
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def load_tensors(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a file written by :func:`save_tensors` and check its checksum.

    Parameters
    ----------
    path : path

    Returns
    -------
    tensors : dict of str to Tensor (on the CPU)
    metadata : dict

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    CacheError
        The file is empty, truncated, not safetensors, has no or bad metadata, or its
        tensors do not match the stored checksum.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no cache file at {str(path)!r}")
    if path.stat().st_size == 0:
        raise CacheError("the file is empty")
    try:
        with safe_open(str(path), framework="pt") as f:
            stored = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 -- safe_open has no __iter__
    except Exception as err:  # safetensors raises its own SafetensorError, or OSError/ValueError
        raise CacheError(f"not a readable safetensors file ({type(err).__name__}: {err})") from err
    if _CHECKSUM not in stored or _META not in stored:
        raise CacheError("no coursekit checksum/metadata in the header")
    try:
        meta = json.loads(stored[_META])
    except json.JSONDecodeError as err:
        raise CacheError(f"bad metadata JSON ({err})") from err
    if not isinstance(meta, dict):
        raise CacheError(f"metadata must be a JSON object, got {type(meta).__name__}")
    if tensor_checksum(tensors) != stored[_CHECKSUM]:
        raise CacheError("the tensors do not match their checksum (the file was changed or damaged)")
    return tensors, meta


def load_or_build(
    path: str | os.PathLike,
    build: Callable[[], tuple[Mapping[str, torch.Tensor], Mapping[str, Any]]],
    *,
    rebuild: bool = False,
) -> tuple[dict[str, torch.Tensor], dict[str, Any], bool]:
    """Load the cache at ``path``, or call ``build()`` and save what it returns there.

    A damaged cache is reported with one printed line, deleted, and rebuilt.

    Parameters
    ----------
    path : path
        Usually :func:`cache_path`.
    build : callable
        ``build() -> (tensors, metadata)``; called only when there is no usable cache.
    rebuild : bool
        Build and overwrite even when a good cache exists.

    Returns
    -------
    tensors : dict of str to Tensor
    metadata : dict
    from_cache : bool
        True when nothing was built.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.safetensors"
    >>> load_or_build(p, lambda: ({"w": torch.ones(2)}, {"n": 1}))[2], load_or_build(p, lambda: None)[2]
    (False, True)
    """
    if not callable(build):
        raise TypeError(f"build must be callable () -> (tensors, metadata), got {describe(build)}")
    path = Path(path)
    remove_stale_temp_files(path.parent)
    if path.exists() and not rebuild:
        try:
            tensors, meta = load_tensors(path)
            return tensors, meta, True
        except CacheError as err:
            print(f"cache {path.name} is damaged ({err}): rebuilding it")
            path.unlink(missing_ok=True)
    tensors, meta = build()
    save_tensors(path, tensors, meta)
    return {k: v.detach().cpu() for k, v in tensors.items()}, dict(meta), False
