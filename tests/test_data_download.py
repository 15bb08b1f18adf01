"""Tests for coursekit.data.download: search order, online probe, checked downloads, archives."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
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
    with pytest.raises(OSError, match=r"sha256 of the download from https://h.test/g is [0-9a-f]+, expected abc"):
        download.download_url("https://h.test/g", tmp_path / "g.bin", sha256="abc")
    assert not (tmp_path / "g.bin").exists() and not (tmp_path / "g.bin.part").exists()


def test_download_url_interrupted_leaves_nothing(monkeypatch, tmp_path):
    class Broken(_Response):
        def read(self, n=-1):
            raise TimeoutError("read timed out")

    monkeypatch.setattr(download.urllib.request, "urlopen", lambda req, timeout=None: Broken(b"x", length=False))
    with pytest.raises(TimeoutError, match="read timed out"):
        download.download_url("https://h.test/f", tmp_path / "f.bin")
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
