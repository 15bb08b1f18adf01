"""Finding a data set on disk, and downloading it into the user cache when it is not there.

Every loader follows the same order (see ``coursekit.config.data_dir``): an explicit
``data_home``, else ``$COURSEKIT_DATA``, else the user cache dir; the cache dir is always
searched as well, because that is where ``python -m coursekit data fetch NAME`` puts things.
Downloads go only into the cache dir (never into the data dir, which may be read-only).

What a download promises:

- every connection and every read has a timeout (``TIMEOUT_S``), so a stalled server fails
  in seconds instead of hanging;
- the bytes go to a uniquely named hidden temp file, are checked (md5/sha256 where known, the
  announced length always, never a web page), and only then renamed into place, so a
  download that was cut short, or a captive portal's login page, never becomes a final file
  (temp files a killed process left behind are removed a day later, by the next download);
- an archive is unpacked by hand (names checked, links skipped, total size capped) into a temp
  folder, its contents are checked, and only then is the folder moved into place;
- every failure, whatever its cause, reaches the learner as one ``DataNotFoundError`` that says
  what happened, where the loader looked, what ``COURSEKIT_DATA`` is and which command fetches.
"""

from __future__ import annotations

import hashlib
import http.client
import lzma
import os
import shutil
import socket
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from tqdm.auto import tqdm

from .. import config
from ._common import DataNotFoundError

__all__ = [
    "DownloadError",
    "search_roots",
    "find_data",
    "is_online",
    "any_online",
    "download_url",
    "extract_archive",
    "fetch_archive",
    "file_md5",
    "tree_digest",
    "data_not_found",
    "locate_or_fetch",
]

# connect timeout of the "are we online?" probe; the whole probe is bounded by it, so a loader
# with no local copy and no network gives up well within 5 s
PROBE_TIMEOUT_S = 2.0
# urllib's socket timeout: the limit for opening the connection and for every blocking read,
# so a server that accepts and then stays silent fails after this many seconds
TIMEOUT_S = 10.0
# an archive that would unpack to more than this is refused (the largest, LFW, is ~250 MB)
MAX_EXTRACT_BYTES = 2 << 30


# a temp file or folder this old was left by a killed process (no download takes a day)
STALE_S = 24 * 3600


class DownloadError(OSError):
    """A download failed: host unreachable, server stalled or refused, transfer cut short, or
    the bytes are not the expected file. Nothing was installed."""


def search_roots(data_home: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for data, in order: ``config.data_dir(data_home)``, then the cache dir.

    Parameters
    ----------
    data_home : str or PathLike, optional
        The data dir (default ``COURSEKIT_DATA``); it must exist when given.

    Returns
    -------
    list of Path
        The data dir (when set) and the cache dir, resolved.

    Raises
    ------
    FileNotFoundError
        If ``data_home`` is given (or set) but is not a folder.

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

    Parameters
    ----------
    relpaths : sequence of str
        Relative paths of the same data, in order of preference.
    data_home : str or PathLike, optional
        The data dir (default ``COURSEKIT_DATA``).
    is_valid : callable (Path) -> bool
        Extra test of a candidate (default: it exists).

    Returns
    -------
    Path or None

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

    Parameters
    ----------
    url : str
        Any URL; only its host and port are used.
    timeout : float
        Seconds (> 0).

    Returns
    -------
    bool

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


def any_online(urls: Sequence[str], timeout: float = PROBE_TIMEOUT_S) -> bool:
    """Whether one of ``urls``' hosts answers (``is_online``), probing all at once.

    The probes run in parallel, so mirrors on hosts that hang cost ``timeout`` in all, not each.

    Parameters
    ----------
    urls : sequence of str
        Mirrors of one resource.
    timeout : float
        Seconds for all probes together.

    Returns
    -------
    bool

    Examples
    --------
    >>> any_online(["https://a.invalid", "https://b.invalid"], timeout=0.5)
    False
    """
    urls = list(urls)
    if len(urls) < 2:
        return bool(urls) and is_online(urls[0], timeout)
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:  # each is_online returns within timeout
        return any(pool.map(lambda url: is_online(url, timeout), urls))


def file_md5(path: str | os.PathLike, algorithm: str = "md5") -> str:
    """Hex digest of a file (``algorithm`` as in ``hashlib.new``), read in 1 MiB chunks.

    Parameters
    ----------
    path : str or PathLike
    algorithm : str
        A name ``hashlib.new`` knows (``"md5"``, ``"sha256"``...).

    Returns
    -------
    str
        The hex digest.

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


def tree_digest(folder: str | os.PathLike, relpaths: Sequence[str]) -> str:
    """SHA-256 over the listed files of a folder: one line ``relpath <sha256 of the file>`` each.

    A file in ``relpaths`` that is missing counts as ``relpath missing``, so a folder with a
    file too few has a different digest. Used to check an unpacked archive whose own checksum
    is unknown against the digest of a trusted copy of its contents.

    Parameters
    ----------
    folder : str or PathLike
    relpaths : sequence of str
        The files to include, relative to ``folder``, in the order hashed.

    Returns
    -------
    str
        Hex SHA-256.

    Examples
    --------
    >>> tree_digest("/", []) == hashlib.sha256(b"").hexdigest()
    True
    """
    folder = Path(folder)
    digest = hashlib.sha256()
    for rel in sorted(relpaths):
        path = folder / rel
        digest.update(f"{rel} {file_md5(path, 'sha256') if path.is_file() else 'missing'}\n".encode())
    return digest.hexdigest()


def _remove_stale(folder: Path, pattern: str) -> None:
    """Remove ``folder/pattern`` temp files and folders older than ``STALE_S`` (a killed process's).

    Younger ones may belong to a download running in another process, so they stay.
    """
    now = time.time()
    for path in folder.glob(pattern):
        try:
            if now - path.lstat().st_mtime > STALE_S:
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
        except OSError:
            pass  # another process removed it first, or it is not ours to remove


def _check_hashes(path: Path, url: str, md5: str | None, sha256: str | None) -> None:
    for algorithm, expected in (("md5", md5), ("sha256", sha256)):
        if expected is not None and (got := file_md5(path, algorithm)) != expected.lower():
            raise DownloadError(
                f"the file from {url} has {algorithm} {got}, expected {expected}: not the expected "
                "file (a captive portal or proxy page, a changed file, or a damaged transfer)"
            )


def _transfer(url: str, out, *, timeout: float, desc: str, has_hash: bool) -> None:
    """Stream ``url`` into the open file ``out``; raise DownloadError on anything but a full file."""
    request = urllib.request.Request(url, headers={"User-Agent": "coursekit"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            kind = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if kind == "text/html":  # no data file of the course is a web page
                raise DownloadError(
                    f"{url} answered with a web page (Content-Type text/html) instead of the data file: "
                    "a captive portal or login page (sign in to the network first), or the file has moved"
                )
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            # chunked transfers end with an empty chunk; http.client raises when it is missing
            chunked = "chunked" in (response.headers.get("Transfer-Encoding") or "").lower()
            received = 0
            with tqdm(total=total, unit="B", unit_scale=True, desc=desc, leave=False) as bar:
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
    except DownloadError:
        raise
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url} answered HTTP {exc.code} ({exc.reason})") from None
    except urllib.error.URLError as exc:
        late = isinstance(exc.reason, TimeoutError)
        raise DownloadError(f"cannot connect to {url}: {'no answer within ' if late else ''}"
                            f"{f'{timeout:g} s' if late else exc.reason}") from None
    except TimeoutError:
        raise DownloadError(f"{url} sent no data for {timeout:g} s (a stalled server)") from None
    except (http.client.HTTPException, OSError) as exc:
        raise DownloadError(f"the download from {url} failed: {type(exc).__name__}: {exc}") from None
    if total is not None and received != total:
        raise DownloadError(f"the download from {url} was cut short: {received} of {total} bytes")
    if total is None and not chunked and not has_hash:
        # neither a length nor a checksum: a cut connection would look like a complete file
        raise DownloadError(f"{url} sent no Content-Length and the file has no known checksum: cannot tell "
                            "a complete download from a cut one")


def download_url(
    url: str | Sequence[str], dest: str | os.PathLike, *, md5: str | None = None, sha256: str | None = None,
    timeout: float | None = None, desc: str | None = None,
) -> Path:
    """Download ``url`` to ``dest`` with a progress bar, check it, then rename it into place.

    The bytes go to a hidden, uniquely named temp file beside ``dest`` (so two processes never
    share one), which is renamed to ``dest`` (``os.replace``, atomic on one file system) only
    when the whole file came and its hashes match; on any failure it is removed.

    Parameters
    ----------
    url : str or sequence of str
        The source, or mirrors of the same file tried in order until one works.
    dest : path
        Where the checked file goes.
    md5, sha256 : str, optional
        Expected hex digests. Without either, the server must announce the length.
    timeout : float, optional
        Seconds allowed to connect and for every read (default ``TIMEOUT_S``).

    Returns
    -------
    Path
        ``dest``, complete and checked.

    Raises
    ------
    DownloadError
        When every source failed (each reason is in the message); nothing is left behind.

    Examples
    --------
    >>> download_url(MR_URL, config.cache_dir() / "downloads" / "mr.tgz")  # doctest: +SKIP
    PosixPath('.../downloads/mr.tgz')
    """
    urls = [url] if isinstance(url, str) else list(url)
    if not urls or not all(isinstance(u, str) for u in urls):
        raise TypeError(f"url must be a str or a non-empty sequence of str, got {url!r}")
    for name, value, length in (("md5", md5, 32), ("sha256", sha256, 64)):
        if value is not None and not (isinstance(value, str) and len(value) == length
                                      and all(c in "0123456789abcdefABCDEF" for c in value)):
            raise ValueError(f"{name} must be None or {length} hex digits, got {value!r}")
    timeout = TIMEOUT_S if timeout is None else timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number of seconds, got {type(timeout).__name__}")
    if not 0 < timeout < float("inf"):
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(dest.parent, f".{dest.name}.*.part")
    errors = []
    for source in urls:
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                _transfer(source, out, timeout=timeout, desc=desc or dest.name, has_hash=bool(md5 or sha256))
            _check_hashes(Path(tmp), source, md5, sha256)
            os.replace(tmp, dest)
            return dest
        except DownloadError as exc:
            errors.append(str(exc))
        finally:
            Path(tmp).unlink(missing_ok=True)  # after os.replace there is nothing left to remove
    raise DownloadError("; ".join(errors) if len(errors) == 1 else
                        "every source failed: " + "; ".join(f"({k + 1}) {e}" for k, e in enumerate(errors)))


def _member_path(name: str, archive: Path) -> PurePosixPath:
    """An archive member's name as a relative path that stays inside the extraction folder."""
    rel = PurePosixPath(name.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts or (rel.parts and ":" in rel.parts[0]):
        raise ValueError(f"{archive} holds a member named {name!r}, which would land outside the "
                         "extraction folder; refusing the archive")
    return rel


def _copy_capped(src, target: Path, budget: list[int], archive: Path, max_bytes: int) -> None:
    """Copy a member's bytes, counting them against the whole archive's ``max_bytes``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as dst:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            budget[0] += len(chunk)
            if budget[0] > max_bytes:
                raise ValueError(f"{archive} unpacks to more than max_bytes={max_bytes}; refusing it "
                                 "(an archive bomb, or not the expected archive)")
            dst.write(chunk)


def _unpack(archive: Path, out: Path, max_bytes: int) -> None:
    """Unpack by hand: names checked, regular files and folders only (links skipped), size capped.

    Done the same way on every Python version, whether or not ``tarfile`` has ``filter="data"``.
    """
    budget = [0]
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                rel = _member_path(info.filename, archive)
                if info.is_dir() or not rel.parts:
                    (out / rel).mkdir(parents=True, exist_ok=True)
                elif (info.external_attr >> 16) & 0o170000 != 0o120000:  # skip symbolic links
                    with zf.open(info) as src:
                        _copy_capped(src, out / rel, budget, archive, max_bytes)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            for member in tf:  # streams through the archive; a truncated one fails here
                rel = _member_path(member.name, archive)
                if member.isdir():
                    (out / rel).mkdir(parents=True, exist_ok=True)
                elif member.isfile():  # links, devices and fifos are skipped
                    with tf.extractfile(member) as src:
                        _copy_capped(src, out / rel, budget, archive, max_bytes)
    else:
        raise ValueError(f"{archive} is neither a zip nor a tar archive (a truncated download, or a web page?)")


def extract_archive(
    archive: str | os.PathLike, dest: str | os.PathLike, *, marker: str,
    verify: Callable[[Path], None] | None = None, max_bytes: int = MAX_EXTRACT_BYTES,
) -> Path:
    """Unpack a .zip/.tar.gz/.tgz and move the folder that holds ``marker`` to ``dest``.

    Archives differ in whether the payload sits at the top or inside a folder; ``marker`` (a
    relative path such as ``"run01/class_labels.txt"``) says which extracted folder is the
    payload. ``verify(folder)`` (raising ``ValueError``) checks the payload before it is moved;
    the move into ``dest`` happens only after a complete, checked extraction.

    Parameters
    ----------
    archive : str or PathLike
        A .zip, .tar.gz or .tgz file.
    dest : str or PathLike
        Where the payload folder goes (replaced if it exists).
    marker : str
        A relative path that only the payload folder holds.
    verify : callable (Path) -> None, optional
        Checks the extracted payload; raises ``ValueError`` when it is wrong.
    max_bytes : int
        Limit on the unpacked size.

    Returns
    -------
    Path
        ``dest``, now holding the payload folder's contents.

    Raises
    ------
    ValueError
        A truncated or corrupt archive, a member outside the folder, more than ``max_bytes``
        unpacked, no ``marker``, or a failed ``verify``.

    Examples
    --------
    >>> extract_archive("all_runs.zip", cache / "omniglot" / "one_shot_runs", marker="run01/class_labels.txt")  # doctest: +SKIP
    PosixPath('.../omniglot/one_shot_runs')
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive int, got {max_bytes!r}")
    archive, dest = Path(archive), Path(dest)
    if not archive.is_file():
        raise FileNotFoundError(f"archive {str(archive)!r} does not exist")
    dest.parent.mkdir(parents=True, exist_ok=True)
    for pattern in (".extract-*", f".{dest.name}.old-*"):
        _remove_stale(dest.parent, pattern)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".extract-") as tmp:
        try:
            _unpack(archive, Path(tmp), max_bytes)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError) as exc:
            raise ValueError(f"{archive} is truncated or corrupt ({type(exc).__name__}: {exc})") from None
        candidates = sorted([Path(tmp), *Path(tmp).rglob("*")], key=lambda p: (len(p.parts), str(p)))
        found = [p for p in candidates if p.is_dir() and (p / marker).exists()]  # shallowest first
        if not found:
            raise ValueError(f"{archive} does not contain {marker!r}")
        if verify is not None:
            verify(found[0])
        aside = None
        if dest.exists():  # an older copy (``data fetch --force``): set aside, removed below
            aside = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.old-"))
            os.replace(dest, aside / dest.name)
        try:
            os.replace(found[0], dest)
        except OSError:
            if not dest.is_dir():
                raise  # else another process installed it first: keep that copy
        finally:
            if aside is not None:
                shutil.rmtree(aside, ignore_errors=True)
    return dest


def fetch_archive(
    url: str | Sequence[str], dest: str | os.PathLike, *, marker: str, md5: str | None = None,
    sha256: str | None = None, verify: Callable[[Path], None] | None = None,
) -> Path:
    """Download an archive (checked as in ``download_url``), unpack it into ``dest``, delete it.

    The archive lives in ``<dest parent>/downloads`` only while it is unpacked; ``verify``
    checks the contents (e.g. against ``tree_digest`` of a trusted copy) before they are moved
    into place, which matters most when the archive's own checksum is unknown.

    Parameters
    ----------
    url : str or sequence of str
        The archive, or mirrors of it.
    dest : str or PathLike
        Where the payload folder goes.
    marker : str
        A relative path that only the payload folder holds (see ``extract_archive``).
    md5, sha256 : str, optional
        Expected digests of the archive.
    verify : callable (Path) -> None, optional
        Checks the extracted payload.

    Returns
    -------
    Path
        ``dest``, holding the unpacked (and verified) payload.

    Raises
    ------
    DownloadError
        On any failure (the download, or an archive that is damaged or fails ``verify``).
    """
    dest = Path(dest)
    name = PurePosixPath(urlparse(url if isinstance(url, str) else url[0]).path).name or "archive"
    archive = download_url(url, dest.parent / "downloads" / name, md5=md5, sha256=sha256, desc=dest.name)
    try:
        return extract_archive(archive, dest, marker=marker, verify=verify)
    except ValueError as exc:
        raise DownloadError(f"the archive downloaded for {dest.name} is unusable: {exc}") from None
    finally:
        archive.unlink(missing_ok=True)


def _explain(name: str, fetch_hint: bool) -> str:
    fetch = (f"download it once into the user cache ({config.cache_dir()}) with "
             f"`python -m coursekit data fetch {name}` (needs internet), or " if fetch_hint else "")
    return (
        f"To get it, {fetch}use a copy of the course data if you have one (e.g. from your instructor): "
        f"set the environment variable COURSEKIT_DATA to the folder that holds it. COURSEKIT_DATA tells "
        f"coursekit where the course data lives (one sub-folder per data set, e.g. mr_polarity/)."
    )


def data_not_found(name: str, looked_in: Sequence[Path], why: str = "", *, fetch_hint: bool = True) -> DataNotFoundError:
    """The error every loader raises when a data set is neither on disk nor downloadable.

    It says why, where the loader looked, what ``COURSEKIT_DATA`` is, and (unless
    ``fetch_hint`` is False, e.g. when that command is what just failed) the fetch command.

    Parameters
    ----------
    name : str
        The data set's name in the registry.
    looked_in : sequence of Path
        The folders searched.
    why : str
        Why no download happened or what failed; empty for none.
    fetch_hint : bool
        Add the ``python -m coursekit data fetch <name>`` hint.

    Returns
    -------
    DataNotFoundError
        To be raised by the caller.

    Examples
    --------
    >>> "data fetch mr" in str(data_not_found("mr", [Path("/nowhere")]))
    True
    """
    places = "\n  ".join(str(p) for p in looked_in)
    return DataNotFoundError(
        f"data set {name!r} is not available{': ' + why if why else ''}.\nLooked in:\n  {places}\n"
        + _explain(name, fetch_hint)
    )


def locate_or_fetch(
    name: str, relpaths: Sequence[str], data_home: str | os.PathLike | None,
    fetch: Callable[[Path], object] | None, probe_url: str | Sequence[str] | None, *,
    is_valid: Callable[[Path], bool] = Path.exists,
) -> Path:
    """Find ``name`` under the search roots, else download it into the cache dir, else raise.

    ``fetch(cache_dir)`` downloads into the cache dir so that one of ``relpaths`` exists under
    it afterwards; it runs only when ``is_online`` is True for one of ``probe_url`` (a URL or
    several, for mirrors). Any failure of the download ends in ``DataNotFoundError``.

    Parameters
    ----------
    name : str
        The data set's name (for messages).
    relpaths : sequence of str
        Relative paths of the data, in order of preference.
    data_home : str or PathLike, optional
        The data dir (default ``COURSEKIT_DATA``).
    fetch : callable (Path) -> anything, optional
        The downloader; None when the data set has no public download.
    probe_url : str or sequence of str, optional
        Hosts probed before downloading.
    is_valid : callable (Path) -> bool
        Extra test of a candidate.

    Returns
    -------
    Path
        The first valid ``root / relpath``.

    Raises
    ------
    DataNotFoundError
        When it is not found and cannot be downloaded.
    """
    found = find_data(relpaths, data_home, is_valid=is_valid)
    if found is not None:
        return found
    looked_in = [root / rel for root in search_roots(data_home) for rel in relpaths]
    if fetch is None or probe_url is None:
        raise data_not_found(name, looked_in, "it has no public download")
    probes = [probe_url] if isinstance(probe_url, str) else list(probe_url)
    if not any_online(probes):
        hosts = list(dict.fromkeys(str(urlparse(u).hostname) for u in probes))
        verb = "is" if len(hosts) == 1 else "are"
        raise data_not_found(name, looked_in, f"no local copy, and {' and '.join(hosts)} {verb} unreachable (no internet?)")
    cache = config.cache_dir()
    try:
        fetch(cache)
    except (OSError, ValueError) as exc:
        raise data_not_found(name, looked_in, f"no local copy, and the download failed: {exc}") from exc
    for rel in relpaths:
        if (cache / rel).exists() and is_valid(cache / rel):
            return cache / rel
    raise data_not_found(name, looked_in, "the download finished but the expected files are missing")
