"""Tests for coursekit.data.faces: Olivetti (never unpickling unknown files), ORL, Yale."""

from __future__ import annotations

import hashlib
import io
import os
import urllib.parse

import numpy as np
import pytest
import torch
from PIL import Image

from coursekit.data import DataNotFoundError, faces


def _write(path, array, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path, format=fmt)
    return path


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


# ---------------------------------------------------------------- Olivetti

def test_olivetti_real(data_root):
    from sklearn.datasets import fetch_olivetti_faces

    ds = faces.load_olivetti()
    assert ds.images.shape == (400, 1, 64, 64) and ds.images.dtype == torch.uint8
    assert ds.labels.tolist() == [k for k in range(40) for _ in range(10)]
    assert ds.classes[0] == "person01" and ds.classes[-1] == "person40" and len(ds.classes) == 40
    ref = fetch_olivetti_faces(data_home=str(data_root / "scikit_learn_data"), download_if_missing=False).images
    assert np.abs(ds.images[:, 0].numpy() / 255.0 - ref).max() <= 0.5 / 255 + 1e-6  # round(255 x)
    assert "Olivetti" in ds.source


def test_olivetti_offline_error_names_env_and_command(offline):
    with pytest.raises(DataNotFoundError, match=r"python -m coursekit data fetch olivetti[\s\S]*COURSEKIT_DATA tells"):
        faces.load_olivetti()
    assert sorted(offline) == sorted(faces.OLIVETTI_MAT[0])  # it checked the network before trying a download


class _Payload:
    """What an attacker would put in a .pkz: loading it runs os.mkdir(marker)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_olivetti_never_unpickles_an_unknown_pkz(tmp_path, offline):
    import joblib

    pkz = tmp_path / "scikit_learn_data" / "olivetti_py3.pkz"
    pkz.parent.mkdir()
    joblib.dump(_Payload(tmp_path / "pwned"), pkz, compress=6)
    with pytest.raises(DataNotFoundError, match=r"(?s)no local copy.*Skipped, because their SHA-256 is not one "
                       r"coursekit knows .*never loaded unchecked\): .*olivetti_py3\.pkz$"):
        faces.load_olivetti(tmp_path)  # skipped: the search went on, found nothing, and says why
    with pytest.raises(ValueError, match=r"refusing to read .*olivetti_py3\.pkz.*loading a pickle can run code.*sha256 is [0-9a-f]{64}"):
        faces._read_olivetti(pkz)  # and reading it directly is refused too
    assert not (tmp_path / "pwned").exists()  # the payload never ran
    joblib.load(pkz)  # the payload is live: an unchecked load runs it
    assert (tmp_path / "pwned").is_dir()
    pkz.write_bytes(b"not a pickle at all")
    with pytest.raises(ValueError, match=r"refusing to read .*\(truncated, corrupt, altered, or written by another"):
        faces._read_olivetti(pkz)


def test_olivetti_mat_with_wrong_checksum_and_damaged_npz(tmp_path, offline):
    from scipy.io import savemat

    (tmp_path / "olivetti").mkdir()
    savemat(tmp_path / "olivetti" / "olivettifaces.mat", {"faces": np.zeros((4096, 400), np.uint8)})
    with pytest.raises(DataNotFoundError, match=r"(?s)Skipped.*olivetti/olivettifaces\.mat$"):
        faces.load_olivetti(tmp_path)
    with pytest.raises(ValueError, match=r"is not the original olivettifaces\.mat: its sha256 is [0-9a-f]{64}, expected b612fb96"):
        faces._read_olivetti(tmp_path / "olivetti" / "olivettifaces.mat")
    np.savez(tmp_path / "olivetti" / "olivetti_faces.npz", images=np.zeros((400, 64, 64), np.uint8))
    with pytest.raises(ValueError, match=r"olivetti_faces\.npz' are damaged or altered: their sha256 is"):
        faces.load_olivetti(tmp_path)  # the .npz comes first, and is checked
    np.savez(tmp_path / "olivetti" / "olivetti_faces.npz", images=np.zeros((4, 64, 64), np.uint8))
    with pytest.raises(ValueError, match=r"must hold uint8 images of shape \(400, 64, 64\), got uint8 \(4, 64, 64\)"):
        faces.load_olivetti(tmp_path)
    (tmp_path / "olivetti" / "olivetti_faces.npz").write_bytes(b"PK\x03\x04 cut")
    with pytest.raises(ValueError, match=r"olivetti_faces\.npz'.*truncated or corrupt"):
        faces.load_olivetti(tmp_path)


def test_olivetti_fetch_converts_the_checked_mat_once(data_root, local_server, redirect_downloads, monkeypatch, tmp_path):
    import joblib
    from scipy.io import savemat

    reference = faces.load_olivetti(data_root).images  # from the offline copy's verified .pkz
    raw = joblib.load(data_root / "scikit_learn_data" / "olivetti_py3.pkz")  # trusted: the course's own copy
    buf = io.BytesIO()
    savemat(buf, {"faces": raw.T})  # what olivettifaces.mat holds: (4096, 400)
    mat = buf.getvalue()
    urls = faces.OLIVETTI_MAT[0]
    monkeypatch.setattr(faces, "OLIVETTI_MAT", (urls, hashlib.sha256(mat).hexdigest()))
    server = local_server("files", {urllib.parse.urlparse(urls[0]).path: mat})
    redirect_downloads(server)
    ds = faces.load_olivetti()
    assert torch.equal(ds.images, reference) and server.requests == [urllib.parse.urlparse(urls[0]).path]
    cache = tmp_path / "cache"
    assert sorted(str(p.relative_to(cache)) for p in cache.rglob("*")) == ["olivetti", "olivetti/olivetti_faces.npz"]
    server.stop()
    assert torch.equal(faces.load_olivetti().images, reference) and "olivetti_faces.npz" in faces.load_olivetti().source


def test_wrong_data_home_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        faces.load_olivetti(tmp_path / "nowhere")


# ---------------------------------------------------------------- ORL

def test_orl_real(data_root):
    ds = faces.load_orl()
    assert ds.images.shape == (400, 1, 112, 92)
    assert ds.classes[:2] == ["person01", "person02"]
    assert ds.labels.tolist() == [k for k in range(40) for _ in range(10)]  # s1..s40 in numeric order
    assert ds.paths[10].endswith("s2/1.pgm") and ds.paths[9].endswith("s1/10.pgm")


def test_orl_synthetic_order_and_errors(tmp_path, offline):
    for s in (1, 2, 10):
        for i in (1, 2, 10):
            _write(tmp_path / "orl_faces" / f"s{s}" / f"{i}.pgm", np.full((112, 92), s * 10 + i), "PPM")
    ds = faces.load_orl(tmp_path)
    assert ds.classes == ["person01", "person02", "person10"]
    assert ds.images[:3, 0, 0, 0].tolist() == [11, 12, 20]  # 1.pgm, 2.pgm, 10.pgm: numeric order
    (tmp_path / "orl_faces" / "s11").mkdir()
    with pytest.raises(FileNotFoundError, match=r"s11.*holds no \.pgm images"):
        faces.load_orl(tmp_path)
    (tmp_path / "orl_faces" / "s11").rmdir()
    _truncate(tmp_path / "orl_faces" / "s2" / "1.pgm")
    with pytest.raises(ValueError, match=r"s2/1\.pgm.*truncated or corrupt"):
        faces.load_orl(tmp_path)


def test_orl_empty_folder(tmp_path, offline):
    (tmp_path / "orl_faces").mkdir()
    with pytest.raises(FileNotFoundError, match="no person folders"):
        faces.load_orl(tmp_path)


# ---------------------------------------------------------------- Yale

def test_yale_real(data_root):
    ds, conditions = faces.load_yale(return_conditions=True)
    assert ds.images.shape == (164, 1, 243, 320)  # subject01.centerlight is missing from the copy
    assert ds.classes == [f"subject{k:02d}" for k in range(1, 16)]
    assert len(conditions) == 164 and set(conditions) == set(faces.YALE_CONDITIONS)
    assert conditions[:2] == ["glasses", "happy"]  # subject01 has no centerlight


def test_yale_ignores_other_files(tmp_path, offline):
    folder = tmp_path / "yale" / "yalefaces"
    _write(folder / "subject03.happy", np.zeros((243, 320)), "GIF")
    _write(folder / "subject01.wink", np.ones((243, 320)), "GIF")
    (folder / "Readme.txt").write_text("not an image")
    _write(folder / "subject01.gif", np.ones((243, 320)), "GIF")
    ds, cond = faces.load_yale(tmp_path, return_conditions=True)
    assert ds.classes == ["subject01", "subject03"] and cond == ["wink", "happy"]
    assert ds.labels.tolist() == [0, 1]
    assert faces.load_yale(tmp_path).classes == ["subject01", "subject03"]  # no tuple by default
