"""Tests for coursekit.data.download: search order, online probe, checked downloads, archives."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import threading
import time
import zipfile

import pytest

from coursekit.data import DataNotFoundError, download


class _Response(io.BytesIO):
    def __init__(self, data: bytes, length: bool = True):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))} if length else {}


def test_search_roots_order(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("COURSEKIT_DATA", str(tmp_path))
    assert download.search_roots() == [tmp_path.resolve(), (tmp_path / "cache").resolve()]
    (tmp_path / "other").mkdir()
    assert download.search_roots(tmp_path / "other")[0] == (tmp_path / "other").resolve()  # explicit wins
    monkeypatch.delenv("COURSEKIT_DATA")
    assert download.search_roots() == [(tmp_path / "cache").resolve()]  # no duplicate
    with pytest.raises(FileNotFoundError, match="does not exist"):
        download.search_roots(tmp_path / "missing")


def test_find_data_prefers_data_dir_then_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path / "cache"))
    (tmp_path / "data").mkdir()
    (tmp_path / "cache" / "b").mkdir(parents=True)
    assert download.find_data(["a", "b"], tmp_path / "data") == (tmp_path / "cache" / "b").resolve()
    (tmp_path / "data" / "b").mkdir()
    assert download.find_data(["a", "b"], tmp_path / "data") == (tmp_path / "data" / "b").resolve()
    assert download.find_data(["b"], tmp_path / "data", is_valid=lambda p: False) is None


def test_is_online_offline_env_and_hanging_probe(monkeypatch):
    monkeypatch.setenv("COURSEKIT_OFFLINE", "1")
    assert download.is_online("https://example.org") is False
    monkeypatch.delenv("COURSEKIT_OFFLINE")
    release = threading.Event()

    def hang(address, timeout=None):
        release.wait(5)  # a DNS lookup or connect that never answers
        raise OSError("gave up")

    monkeypatch.setattr(download.socket, "create_connection", hang)
    try:
        assert download.is_online("https://example.org", timeout=0.1) is False
    finally:
        release.set()
    with pytest.raises(ValueError, match="url must be an absolute URL with a host, got 'example.org'"):
        download.is_online("example.org")


def test_any_online_probes_in_parallel(monkeypatch):
    release, started = threading.Event(), []

    def hang(address, timeout=None):
        started.append(address)
        release.wait(5)  # a DNS lookup or connect that never answers
        raise OSError("gave up")

    events, real_is_online = [], download.is_online

    def traced(url, timeout=None):
        events.append("start")
        result = real_is_online(url, timeout)
        events.append("end")
        return result

    monkeypatch.delenv("COURSEKIT_OFFLINE", raising=False)
    monkeypatch.setattr(download.socket, "create_connection", hang)
    monkeypatch.setattr(download, "is_online", traced)
    try:
        assert download.any_online(["https://a.test", "https://b.test", "https://c.test"], timeout=1.0) is False
    finally:
        release.set()
    assert sorted(started) == [("a.test", 443), ("b.test", 443), ("c.test", 443)]
    assert events == ["start"] * 3 + ["end"] * 3  # all probes ran at once, not one timeout after another
    monkeypatch.setattr(download, "is_online", lambda url, timeout=None: url == "https://b.test")
    assert download.any_online(["https://a.test", "https://b.test"]) is True
    assert download.any_online([]) is False


def test_is_online_true_when_connect_works(monkeypatch):
    class Conn:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    seen = []
    monkeypatch.delenv("COURSEKIT_OFFLINE", raising=False)
    monkeypatch.setattr(download.socket, "create_connection", lambda addr, timeout=None: seen.append(addr) or Conn())
    assert download.is_online("http://host.test:8080/x") is True and seen == [("host.test", 8080)]


def test_download_url_checks_hash_and_renames(monkeypatch, tmp_path):
    data = b"0123456789" * 1000
    monkeypatch.setattr(download.urllib.request, "urlopen", lambda req, timeout=None: _Response(data))
    dest = tmp_path / "sub" / "file.bin"
    got = download.download_url("https://h.test/f", dest, md5=hashlib.md5(data).hexdigest(),
                                sha256=hashlib.sha256(data).hexdigest())
    assert got == dest and dest.read_bytes() == data and not (tmp_path / "sub" / "file.bin.part").exists()
    with pytest.raises(download.DownloadError, match=r"https://h.test/g has sha256 [0-9a-f]{64}, expected 0{64}: not the"):
        download.download_url("https://h.test/g", tmp_path / "g.bin", sha256="0" * 64)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]  # no g.bin, no temp file


def test_download_url_interrupted_leaves_nothing(monkeypatch, tmp_path):
    class Broken(_Response):
        def read(self, n=-1):
            raise TimeoutError("read timed out")

    monkeypatch.setattr(download.urllib.request, "urlopen", lambda req, timeout=None: Broken(b"x", length=False))
    with pytest.raises(download.DownloadError, match=r"https://h.test/f sent no data for 30 s"):
        download.download_url("https://h.test/f", tmp_path / "f.bin", md5="0" * 32, timeout=30)
    assert list(tmp_path.iterdir()) == []


def test_extract_archive_zip_and_tar(tmp_path):
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("top/run01/class_labels.txt", "x")
        zf.writestr("top/run02/class_labels.txt", "y")
    dest = download.extract_archive(zpath, tmp_path / "out" / "runs", marker="run01/class_labels.txt")
    assert sorted(p.name for p in dest.iterdir()) == ["run01", "run02"]
    tpath = tmp_path / "b.tar.gz"
    with tarfile.open(tpath, "w:gz") as tf:
        info = tarfile.TarInfo("rt-polarity.pos")
        info.size = 3
        tf.addfile(info, io.BytesIO(b"abc"))
    dest = download.extract_archive(tpath, tmp_path / "mr", marker="rt-polarity.pos")
    assert (dest / "rt-polarity.pos").read_bytes() == b"abc"  # payload at the archive's top level
    with pytest.raises(ValueError, match=r"does not contain 'nothing'"):
        download.extract_archive(zpath, tmp_path / "x", marker="nothing")
    (tmp_path / "c.txt").write_text("plain")
    with pytest.raises(ValueError, match="neither a zip nor a tar archive"):
        download.extract_archive(tmp_path / "c.txt", tmp_path / "y", marker="z")


def test_locate_or_fetch(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSEKIT_DATA", raising=False)
    monkeypatch.setattr(download, "is_online", lambda url, timeout=None: True)
    fetched = []

    def fetch(cache):
        fetched.append(cache)
        (cache / "thing").mkdir(parents=True)

    path = download.locate_or_fetch("thing", ["thing"], None, fetch, "https://h.test/")
    assert path == (tmp_path / "cache" / "thing").resolve() and len(fetched) == 1
    assert download.locate_or_fetch("thing", ["thing"], None, fetch, "https://h.test/") == path
    assert len(fetched) == 1  # found in the cache the second time
    with pytest.raises(DataNotFoundError, match="download finished but the expected files are missing"):
        download.locate_or_fetch("other", ["other"], None, lambda cache: None, "https://h.test/")
    with pytest.raises(DataNotFoundError, match=r"has no public download[\s\S]*data fetch none"):
        download.locate_or_fetch("none", ["none"], None, None, None)
    monkeypatch.setattr(download, "is_online", lambda url, timeout=None: False)
    with pytest.raises(DataNotFoundError, match=r"h\.test is unreachable[\s\S]*COURSEKIT_DATA"):
        download.locate_or_fetch("other", ["other"], None, fetch, "https://h.test/")
    with pytest.raises(DataNotFoundError, match=r"h\.test and m\.test are unreachable"):
        download.locate_or_fetch("other", ["other"], None, fetch, ("https://h.test/", "https://m.test/"))


def test_locate_or_fetch_turns_every_download_failure_into_one_message(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSEKIT_DATA", raising=False)
    monkeypatch.setattr(download, "is_online", lambda url, timeout=None: True)
    for error in (download.DownloadError("h.test answered HTTP 404 (Not Found)"), ValueError("archive is truncated")):
        def fetch(cache, error=error):
            raise error

        with pytest.raises(DataNotFoundError) as info:
            download.locate_or_fetch("thing", ["thing"], None, fetch, "https://h.test/")
        message = str(info.value)
        assert f"the download failed: {error}" in message
        assert "COURSEKIT_DATA tells coursekit where the course data lives" in message
        assert "`python -m coursekit data fetch thing` (needs internet)" in message
        assert "../shared" not in message


# ---------------------------------------------------------------- a local server that stalls, lies or refuses

@pytest.mark.parametrize(("mode", "message"), [
    ("silent", r"127\.0\.0\.1:\d+/f\.bin sent no data for 0\.3 s \(a stalled server\)"),
    ("portal", r"answered with a web page \(Content-Type text/html\) instead of the data file: a captive portal"),
    ("404", r"answered HTTP 404 \(Not Found\)"),
    ("cut", r"was cut short: 5000 of 10000 bytes"),
    ("nolength", r"sent no Content-Length and the file has no known checksum"),
    ("chunkcut", r"the download from .*/f\.bin failed: IncompleteRead"),
])
def test_download_url_fails_cleanly_and_leaves_nothing(local_server, tmp_path, mode, message):
    server = local_server(mode, {"/f.bin": b"x" * 10000})
    with pytest.raises(download.DownloadError, match=message):
        download.download_url(server.url + "/f.bin", tmp_path / "f.bin", timeout=0.3)
    assert list(tmp_path.iterdir()) == []  # neither the file nor a temp file


def test_download_url_from_local_server_and_mirrors(local_server, tmp_path):
    data = bytes(range(256)) * 40
    good = local_server("nolength", {"/f.bin": data})
    got = download.download_url(good.url + "/f.bin", tmp_path / "a.bin", sha256=hashlib.sha256(data).hexdigest())
    assert got.read_bytes() == data  # no length, but the checksum proves the file complete
    chunked = local_server("chunked", {"/f.bin": data})
    assert download.download_url(chunked.url + "/f.bin", tmp_path / "a.bin").read_bytes() == data  # no hash needed
    dead, portal = local_server("404"), local_server("portal")
    got = download.download_url([dead.url + "/f.bin", good.url + "/f.bin"], tmp_path / "b.bin",
                                md5=hashlib.md5(data).hexdigest(), timeout=2)
    assert got.read_bytes() == data and dead.requests == ["/f.bin"]  # the mirror was used after the 404
    with pytest.raises(download.DownloadError, match=r"every source failed: \(1\) .*HTTP 404.*; \(2\) .*web page"):
        download.download_url([dead.url + "/f.bin", portal.url + "/f.bin"], tmp_path / "c.bin", md5="0" * 32)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.bin"]
    with pytest.raises(TypeError, match="url must be a str or a non-empty sequence of str, got \\[\\]"):
        download.download_url([], tmp_path / "d.bin")


def test_download_url_temp_names_are_unique(monkeypatch, tmp_path):
    data, seen = b"abc" * 100, []
    dest = tmp_path / "f.bin"

    class Nested(_Response):
        def read(self, n=-1):
            seen.append(sorted(p.name for p in tmp_path.iterdir()))
            if len(seen) == 1:  # a second download of the same file starts while the first is running
                download.download_url("https://h.test/f", dest, md5=hashlib.md5(data).hexdigest())
            return super().read(n)

    monkeypatch.setattr(download.urllib.request, "urlopen", lambda req, timeout=None: Nested(data))
    download.download_url("https://h.test/f", dest, md5=hashlib.md5(data).hexdigest())
    first, second = seen[0], seen[1]
    assert len(first) == 1 and len(second) == 2 and first[0] in second  # two different temp files
    assert all(n.startswith(".f.bin.") and n.endswith(".part") for n in second)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.bin"] and dest.read_bytes() == data


# ---------------------------------------------------------------- archives, unpacked by hand

def _tar(path, members):
    with tarfile.open(path, "w:gz") as tf:
        for name, payload in members:
            info = tarfile.TarInfo(name)
            if isinstance(payload, tuple):  # ("symlink", target)
                info.type, info.linkname = tarfile.SYMTYPE, payload[1]
                tf.addfile(info)
            else:
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
    return path


@pytest.mark.parametrize("has_data_filter", [True, False])
def test_extract_archive_refuses_escapes_without_tarfile_filters(monkeypatch, tmp_path, has_data_filter):
    if not has_data_filter:  # as on Python 3.10.0-3.10.11 and 3.11.0-3.11.3
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    for name in ("../evil.txt", "/tmp/evil.txt", "ok/../../evil.txt"):
        archive = _tar(tmp_path / "a.tgz", [("ok/marker", b"m"), (name, b"evil")])
        with pytest.raises(ValueError, match=r"would land outside the extraction folder; refusing the archive"):
            download.extract_archive(archive, tmp_path / "out" / "x", marker="marker")
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("ok/marker", "m")
        zf.writestr("../evil.txt", "evil")
    with pytest.raises(ValueError, match=r"'\.\./evil\.txt', which would land outside"):
        download.extract_archive(zpath, tmp_path / "out" / "x", marker="marker")
    archive = _tar(tmp_path / "b.tgz", [("ok/marker", b"m"), ("ok/link", ("symlink", "/etc/passwd"))])
    dest = download.extract_archive(archive, tmp_path / "out" / "x", marker="marker")
    assert sorted(p.name for p in dest.iterdir()) == ["marker"]  # the link was skipped
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["x"]  # no temp folder left


def test_extract_archive_caps_size_and_reports_truncation(tmp_path):
    archive = _tar(tmp_path / "a.tgz", [("d/marker", b"m"), ("d/big", b"\0" * 5000)])
    with pytest.raises(ValueError, match=r"unpacks to more than max_bytes=4000; refusing it"):
        download.extract_archive(archive, tmp_path / "out", marker="marker", max_bytes=4000)
    assert download.extract_archive(archive, tmp_path / "out", marker="marker", max_bytes=5001).is_dir()
    big = _tar(tmp_path / "big.tgz", [("d/marker", b"m"), ("d/big", bytes(range(256)) * 4000)])
    data = big.read_bytes()
    (tmp_path / "cut.tgz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.tgz is truncated or corrupt"):
        download.extract_archive(tmp_path / "cut.tgz", tmp_path / "out2", marker="marker")
    zpath = tmp_path / "a.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("d/marker", "m")
        zf.writestr("d/big", bytes(range(256)) * 4000)
    (tmp_path / "cut.zip").write_bytes(zpath.read_bytes()[:-200])  # the central directory is gone
    with pytest.raises(ValueError, match=r"cut\.zip is neither a zip nor a tar archive"):
        download.extract_archive(tmp_path / "cut.zip", tmp_path / "out2", marker="marker")
    assert not (tmp_path / "out2").exists()


def test_extract_archive_verifies_before_moving_into_place(tmp_path):
    archive = _tar(tmp_path / "a.tgz", [("d/marker", b"new")])
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "marker").write_bytes(b"old")

    def verify(folder):
        if (folder / "marker").read_bytes() != b"good":
            raise ValueError("marker is not good")

    with pytest.raises(ValueError, match="marker is not good"):
        download.extract_archive(archive, tmp_path / "out", marker="marker", verify=verify)
    assert (tmp_path / "out" / "marker").read_bytes() == b"old"  # the existing copy is untouched
    dest = download.extract_archive(archive, tmp_path / "out", marker="marker")
    assert (dest / "marker").read_bytes() == b"new" and sorted(p.name for p in tmp_path.iterdir()) == ["a.tgz", "out"]


def test_fetch_archive_deletes_the_archive_and_reports_bad_contents(local_server, tmp_path):
    good = io.BytesIO()
    with tarfile.open(fileobj=good, mode="w:gz") as tf:
        info = tarfile.TarInfo("d/marker")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"m"))
    server = local_server("files", {"/a.tgz": good.getvalue(), "/bad.tgz": b"not an archive"})
    dest = download.fetch_archive(server.url + "/a.tgz", tmp_path / "c" / "x", marker="marker")
    assert (dest / "marker").read_bytes() == b"m" and list((tmp_path / "c" / "downloads").iterdir()) == []
    with pytest.raises(download.DownloadError, match=r"the archive downloaded for y is unusable: .*neither a zip nor a tar"):
        download.fetch_archive(server.url + "/bad.tgz", tmp_path / "c" / "y", marker="marker")
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["downloads", "x"]
    assert list((tmp_path / "c" / "downloads").iterdir()) == []


def test_tree_digest(tmp_path):
    (tmp_path / "a").write_bytes(b"1")
    (tmp_path / "b").write_bytes(b"2")
    expected = hashlib.sha256(
        f"a {hashlib.sha256(b'1').hexdigest()}\nb {hashlib.sha256(b'2').hexdigest()}\n".encode()
    ).hexdigest()
    assert download.tree_digest(tmp_path, ["b", "a"]) == expected
    (tmp_path / "b").unlink()
    assert download.tree_digest(tmp_path, ["a", "b"]) != expected  # a missing file changes the digest


def test_stale_temp_files_of_killed_downloads_are_removed(monkeypatch, tmp_path):
    data = b"abc"
    old_part, young_part = tmp_path / ".f.bin.k1ll3d.part", tmp_path / ".f.bin.running.part"
    old_extract, other = tmp_path / ".extract-k1ll3d", tmp_path / ".g.bin.k1ll3d.part"
    for path in (old_part, young_part, other):
        path.write_bytes(b"partial")
    old_extract.mkdir()
    (old_extract / "x").write_bytes(b"half")
    two_days_ago = time.time() - 2 * 24 * 3600
    for path in (old_part, old_extract, other):
        os.utime(path, (two_days_ago, two_days_ago))
    monkeypatch.setattr(download.urllib.request, "urlopen", lambda req, timeout=None: _Response(data))
    download.download_url("https://h.test/f", tmp_path / "f.bin", md5=hashlib.md5(data).hexdigest())
    assert not old_part.exists() and young_part.exists()  # a young one may be another process's download
    assert other.exists()  # another file's temp files are that download's business
    archive = _tar(tmp_path / "a.tgz", [("d/marker", b"m")])
    download.extract_archive(archive, tmp_path / "out", marker="marker")
    assert not old_extract.exists()


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"md5 must be None or 32 hex digits, got 'abc'"):
        download.download_url("https://h.test/f", tmp_path / "f", md5="abc")
    with pytest.raises(ValueError, match=r"sha256 must be None or 64 hex digits, got 'z{64}'"):
        download.download_url("https://h.test/f", tmp_path / "f", sha256="z" * 64)
    for timeout in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"timeout must be a positive number of seconds, got"):
            download.download_url("https://h.test/f", tmp_path / "f", md5="0" * 32, timeout=timeout)
    for timeout in (True, "10"):
        with pytest.raises(TypeError, match=r"timeout must be a number of seconds, got (bool|str)"):
            download.download_url("https://h.test/f", tmp_path / "f", md5="0" * 32, timeout=timeout)
    archive = _tar(tmp_path / "a.tgz", [("d/marker", b"m")])
    for max_bytes in (0, 1.5, True):
        with pytest.raises(ValueError, match=r"max_bytes must be a positive int, got"):
            download.extract_archive(archive, tmp_path / "out", marker="marker", max_bytes=max_bytes)
    with pytest.raises(FileNotFoundError, match=r"archive '.*nope\.tgz' does not exist"):
        download.extract_archive(tmp_path / "nope.tgz", tmp_path / "out", marker="marker")
    assert list(tmp_path.iterdir()) == [archive]  # nothing created


def test_download_url_connection_refused(tmp_path):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    # the port is closed now: nothing listens there
    with pytest.raises(download.DownloadError, match=rf"cannot connect to http://127\.0\.0\.1:{port}/f: .*refused"):
        download.download_url(f"http://127.0.0.1:{port}/f", tmp_path / "f", md5="0" * 32, timeout=2)
    assert list(tmp_path.iterdir()) == []
