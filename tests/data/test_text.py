"""Tests for coursekit.data.text: the MR sentence polarity loader."""

from __future__ import annotations

import io
import tarfile
import urllib.parse

import pytest
import torch

from coursekit.data import DataNotFoundError, text


def _mr(tmp_path, pos: bytes, neg: bytes):
    folder = tmp_path / "mr_polarity"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rt-polarity.pos").write_bytes(pos)
    (folder / "rt-polarity.neg").write_bytes(neg)
    return tmp_path


def test_mr_real_counts(data_root):
    mr = text.load_mr_polarity()
    assert len(mr) == 10662 and mr.labels.dtype == torch.int64
    assert int(mr.labels.sum()) == 5331 and int((mr.labels == 0).sum()) == 5331
    assert mr.labels[:5331].eq(1).all() and mr.labels[5331:].eq(0).all()  # positives first
    assert mr.sentences[0].startswith("the rock is destined to be the 21st century's new")
    # byte 0x85 is latin-1 NEL inside a sentence, not a line break
    assert sum("\x85" in s for s in mr.sentences) > 0
    assert "0 empty lines skipped" in mr.source and "Pang & Lee" in mr.source


def test_mr_latin1_empty_lines_and_nel(tmp_path, offline):
    pos = b"caf\xe9 is great \n\n  fine\x85 really  \n"
    neg = b"bad\n\n\nworse"
    mr = text.load_mr_polarity(_mr(tmp_path, pos, neg))
    assert mr.sentences == ["caf\u00e9 is great", "fine\x85 really", "bad", "worse"]
    assert mr.labels.tolist() == [1, 1, 0, 0]
    assert "3 empty lines skipped" in mr.source


def test_mr_missing_and_empty(tmp_path, offline):
    root = _mr(tmp_path, b"good\n", b"bad\n")
    (root / "mr_polarity" / "rt-polarity.neg").unlink()
    with pytest.raises(FileNotFoundError, match=r"MR file .*rt-polarity\.neg.* does not exist"):
        text.load_mr_polarity(root)
    (root / "mr_polarity" / "rt-polarity.neg").write_bytes(b"\n\n")
    with pytest.raises(ValueError, match="must hold positive and negative sentences, got 1 and 0"):
        text.load_mr_polarity(root)


def test_mr_offline(offline):
    with pytest.raises(DataNotFoundError, match=r"python -m coursekit data fetch mr[\s\S]*COURSEKIT_DATA tells"):
        text.load_mr_polarity()
    assert offline == [text.MR_URL]


def _archive(pos: bytes, neg: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in (("rt-polarity.pos", pos), ("rt-polarity.neg", neg)):
            info = tarfile.TarInfo(f"rt-polaritydata/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_mr_download_is_checked_before_it_enters_the_cache(data_root, local_server, redirect_downloads, tmp_path):
    # the real files, served as a Cornell archive from 127.0.0.1: downloaded, unpacked, md5-checked, loaded
    pos = (data_root / "mr_polarity" / "rt-polarity.pos").read_bytes()
    neg = (data_root / "mr_polarity" / "rt-polarity.neg").read_bytes()
    path = urllib.parse.urlparse(text.MR_URL).path
    tampered = local_server("files", {path: _archive(pos.replace(b"good", b"evil", 1), neg)})
    redirect_downloads(tampered)
    for _ in range(2):  # the second call must not find (and load) what the first one refused
        with pytest.raises(DataNotFoundError, match=r"md5 of rt-polarity\.pos in the download is [0-9a-f]+, expected afcc7ff5"):
            text.load_mr_polarity()
        assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["downloads"]
        assert list((tmp_path / "cache" / "downloads").iterdir()) == []  # the archive is gone too
    redirect_downloads(local_server("files", {path: _archive(pos, neg)}))
    mr = text.load_mr_polarity()
    assert len(mr) == 10662 and str(tmp_path / "cache" / "mr_polarity") in mr.source
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["downloads", "mr_polarity"]


def test_textset_validates_labels():
    with pytest.raises(ValueError, match=r"labels must be int64 of shape \(2,\)"):
        text.TextSet(["a", "b"], torch.tensor([1]), "x")
