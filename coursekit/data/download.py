"""Finding a data set on disk, and downloading it into the user cache when it is not there.

Every loader follows the same order (see ``coursekit.config.data_dir``): an explicit
``data_home``, else ``$COURSEKIT_DATA``, else the user cache dir; the cache dir is always
searched as well, because that is where ``python -m coursekit data fetch NAME`` puts things.
Downloads go only into the cache dir (never into the data dir, which may be read-only):
streamed to a ``.part`` file with a progress bar, checked (md5/sha256 where known), and then
renamed into place, so an interrupted download never looks like a finished one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tarfile
import tempfile
import threading
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlparse

from tqdm.auto import tqdm

from .. import config
from ._common import DataNotFoundError

__all__ = [
    "search_roots",
    "find_data",
    "is_online",
    "download_url",
    "extract_archive",
    "file_md5",
    "data_not_found",
    "locate_or_fetch",
]

# connect timeout for the "are we online?" probe; the whole probe is bounded by it, so a
# loader with no local copy and no network gives up well within 5 s
PROBE_TIMEOUT_S = 2.0
# read timeout for downloads (per blocking read, not for the whole file)
DOWNLOAD_TIMEOUT_S = 30.0


def search_roots(data_home: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for data, in order: ``config.data_dir(data_home)``, then the cache dir.

    Examples
    --------
    >>> search_roots("/tmp")[0] == Path("/tmp").resolve()
    True
    """
    roots = [config.data_dir(data_home), config.cache_dir()]
    return list(dict.fromkeys(roots))  # drop the duplicate when data_dir() is the cache dir


def find_data(
    relpaths: Sequence[str], data_home: str | os.PathLike | None = None, *,
    is_valid: Callable[[Path], bool] = Path.exists,
) -> Path | None:
    """The first ``root / relpath`` that exists (and passes ``is_valid``), or None.

    Roots come from ``search_roots(data_home)``; within a root, ``relpaths`` are tried in order.

    Examples
    --------
    >>> find_data(["no/such/folder"], "/tmp") is None
    True
    """
    for root in search_roots(data_home):
        for rel in relpaths:
            candidate = root / rel
            if candidate.exists() and is_valid(candidate):
                return candidate
    return None


def _probe(host: str, port: int, timeout: float, result: list[bool]) -> None:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            result.append(True)
    except OSError:
        result.append(False)


def is_online(url: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether a TCP connection to ``url``'s host can be opened within ``timeout`` seconds.

    The probe runs in a daemon thread so that a hanging DNS lookup cannot stall the caller
    past ``timeout``. ``COURSEKIT_OFFLINE=1`` makes this return False without trying.

    Examples
    --------
    >>> is_online("https://example.invalid", timeout=0.5)
    False
    """
    if os.environ.get("COURSEKIT_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        return False
    parsed = urlparse(url)
    if not parsed.hostname:
        raise ValueError(f"url must be an absolute URL with a host, got {url!r}")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    result: list[bool] = []
    worker = threading.Thread(target=_probe, args=(parsed.hostname, port, timeout, result), daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(result and result[0])


def file_md5(path: str | os.PathLike, algorithm: str = "md5") -> str:
    """Hex digest of a file (``algorithm`` as in ``hashlib.new``), read in 1 MiB chunks.

    Examples
    --------
    >>> file_md5(os.devnull)
    'd41d8cd98f00b204e9800998ecf8427e'
    """
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_url(
    url: str, dest: str | os.PathLike, *, md5: str | None = None, sha256: str | None = None,
    timeout: float = DOWNLOAD_TIMEOUT_S, desc: str | None = None,
) -> Path:
    """Download ``url`` to ``dest`` with a progress bar, check its hash, then rename into place.

    The bytes go to ``dest + ".part"`` first; only a complete file with the right hash is
    renamed to ``dest`` (``os.replace`` is atomic on one file system).

    Raises
    ------
    OSError
        When the transfer fails, or the hash differs (the ``.part`` file is removed).

    Examples
    --------
    >>> download_url(MR_URL, config.cache_dir() / "downloads" / "mr.tgz")  # doctest: +SKIP
    PosixPath('.../downloads/mr.tgz')
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    request = urllib.request.Request(url, headers={"User-Agent": "coursekit"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response, open(part, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=desc or dest.name) as bar:
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    out.write(chunk)
                    bar.update(len(chunk))
        for algorithm, expected in (("md5", md5), ("sha256", sha256)):
            if expected is not None and (got := file_md5(part, algorithm)) != expected:
                raise OSError(f"{algorithm} of the download from {url} is {got}, expected {expected}")
        os.replace(part, dest)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return dest


def extract_archive(archive: str | os.PathLike, dest: str | os.PathLike, *, marker: str) -> Path:
    """Unpack a .zip/.tar.gz/.tgz and move the folder that holds ``marker`` to ``dest``.

    Archives differ in whether the payload sits at the top or inside a folder; ``marker`` (a
    relative path such as ``"run01/class_labels.txt"``) says which extracted folder is the
    payload. The move into ``dest`` happens only after a complete extraction.

    Examples
    --------
    >>> extract_archive("all_runs.zip", cache / "omniglot" / "one_shot_runs", marker="run01/class_labels.txt")  # doctest: +SKIP
    PosixPath('.../omniglot/one_shot_runs')
    """
    archive, dest = Path(archive), Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".extract-") as tmp:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                if hasattr(tarfile, "data_filter"):  # refuses absolute paths and links outside tmp
                    tf.extractall(tmp, filter="data")
                else:  # Python < 3.10.12 has no extraction filters
                    tf.extractall(tmp)  # noqa: S202
        else:
            raise ValueError(f"{archive} is neither a zip nor a tar archive")
        candidates = sorted([Path(tmp), *Path(tmp).rglob("*")], key=lambda p: (len(p.parts), str(p)))
        found = [p for p in candidates if p.is_dir() and (p / marker).exists()]  # shallowest first
        if not found:
            raise ValueError(f"{archive} does not contain {marker!r}")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(found[0], dest)
    return dest


def data_not_found(name: str, looked_in: Sequence[Path], why: str = "") -> DataNotFoundError:
    """The error every loader raises when a data set is neither on disk nor downloadable.

    Examples
    --------
    >>> "data fetch mr" in str(data_not_found("mr", [Path("/nowhere")]))
    True
    """
    places = "\n  ".join(str(p) for p in looked_in)
    return DataNotFoundError(
        f"data set {name!r} not found{': ' + why if why else ''}. Looked in:\n  {places}\n"
        f"Point COURSEKIT_DATA at a folder that holds it (e.g. COURSEKIT_DATA=../shared/data), "
        f"or download it once with `python -m coursekit data fetch {name}` (needs internet)."
    )


def locate_or_fetch(
    name: str, relpaths: Sequence[str], data_home: str | os.PathLike | None,
    fetch: Callable[[Path], object] | None, probe_url: str | None, *,
    is_valid: Callable[[Path], bool] = Path.exists,
) -> Path:
    """Find ``name`` under the search roots, else download it into the cache dir, else raise.

    ``fetch(cache_dir)`` downloads into the cache dir so that one of ``relpaths`` exists under
    it afterwards; it runs only when ``is_online(probe_url)``. Raises ``DataNotFoundError``.
    """
    found = find_data(relpaths, data_home, is_valid=is_valid)
    if found is not None:
        return found
    looked_in = [root / rel for root in search_roots(data_home) for rel in relpaths]
    if fetch is None or probe_url is None:
        raise data_not_found(name, looked_in, "it has no public download")
    if not is_online(probe_url):
        raise data_not_found(name, looked_in, f"no local copy, and {urlparse(probe_url).hostname} is unreachable")
    cache = config.cache_dir()
    fetch(cache)
    for rel in relpaths:
        if (cache / rel).exists() and is_valid(cache / rel):
            return cache / rel
    raise data_not_found(name, looked_in, "the download finished but the expected files are missing")
