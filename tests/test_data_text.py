"""Tests for coursekit.data.text: the MR sentence polarity loader."""

from __future__ import annotations

import io
import tarfile

import pytest
import torch

from coursekit.data import DataNotFoundError, download, text


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
    with pytest.raises(DataNotFoundError, match=r"COURSEKIT_DATA[\s\S]*python -m coursekit data fetch mr"):
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


def test_mr_download_is_checked(data_root, monkeypatch, tmp_path, offline):
    # the real files, served from a fake Cornell archive: downloaded, unpacked, md5-checked, loaded
    pos = (data_root / "mr_polarity" / "rt-polarity.pos").read_bytes()
    neg = (data_root / "mr_polarity" / "rt-polarity.neg").read_bytes()
    payload = {"data": _archive(pos, neg)}

    def fake_download(url, dest, **kwargs):
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(payload["data"])
        return dest

    monkeypatch.setattr(download, "is_online", lambda url, timeout=None: True)
    monkeypatch.setattr(download, "download_url", fake_download)
    mr = text.load_mr_polarity()
    assert len(mr) == 10662 and str(tmp_path / "cache" / "mr_polarity") in mr.source
    # a tampered archive is refused
    (tmp_path / "cache" / "mr_polarity").rename(tmp_path / "old")
    payload["data"] = _archive(pos[:-10], neg)
    with pytest.raises(OSError, match=r"md5 of the downloaded .*rt-polarity\.pos is .*, expected afcc7ff5"):
        text.load_mr_polarity()


def test_textset_validates_labels():
    with pytest.raises(ValueError, match=r"labels must be int64 of shape \(2,\)"):
        text.TextSet(["a", "b"], torch.tensor([1]), "x")
