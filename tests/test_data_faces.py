"""Tests for coursekit.data.faces (Olivetti, ORL, Yale) and coursekit.data.lfw (LFW people and pairs)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from coursekit.data import DataNotFoundError, faces, lfw


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
    ref = fetch_olivetti_faces(data_home=data_root / "scikit_learn_data", download_if_missing=False).images
    assert np.abs(ds.images[:, 0].numpy() / 255.0 - ref).max() <= 0.5 / 255 + 1e-6  # round(255 x)
    assert "Olivetti" in ds.source


def test_olivetti_offline_error_names_env_and_command(offline):
    with pytest.raises(DataNotFoundError, match=r"COURSEKIT_DATA.*\n?.*python -m coursekit data fetch olivetti"):
        faces.load_olivetti()
    assert offline == [faces.OLIVETTI_URL]  # it checked the network before trying a download


def test_olivetti_corrupt_file(tmp_path, offline):
    (tmp_path / "scikit_learn_data").mkdir()
    (tmp_path / "scikit_learn_data" / "olivetti_py3.pkz").write_bytes(b"not a pickle at all")
    with pytest.raises(ValueError, match=r"olivetti_py3\.pkz.*truncated or corrupt"):
        faces.load_olivetti(tmp_path)


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


# ---------------------------------------------------------------- LFW

def _person(root, name, n, value=100):
    for i in range(1, n + 1):
        img = np.full((250, 250, 3), value, dtype=np.uint8)
        img[100:150, 100:150] = 255  # a bright centre square, to check the crop
        _write(root / name / f"{name}_{i:04d}.jpg", img)


@pytest.fixture
def fake_lfw(tmp_path, offline):
    root = tmp_path / "lfw" / "lfw-deepfunneled"
    _person(root, "Alice_A", 3, 20)
    _person(root, "Bob_B", 1, 120)
    _person(root, "Carol_C", 2, 220)
    (root / "Empty_Person").mkdir()
    return tmp_path


def test_lfw_people_filters_and_order(fake_lfw):
    ds = lfw.load_lfw_people(fake_lfw, min_images_per_person=2)
    assert ds.classes == ["Alice_A", "Carol_C"] and ds.labels.tolist() == [0, 0, 0, 1, 1]
    assert ds.images.shape == (5, 3, 250, 250)
    every = lfw.load_lfw_people(fake_lfw, min_images_per_person=1)
    assert every.classes == ["Alice_A", "Bob_B", "Carol_C"]  # the empty folder is no person
    few = lfw.load_lfw_people(fake_lfw, min_images_per_person=1, max_people=2, max_images_per_person=1)
    assert few.classes == ["Alice_A", "Bob_B"] and few.paths[0].endswith("Alice_A_0001.jpg")


def test_lfw_people_crop_size_gray(fake_lfw):
    ds = lfw.load_lfw_people(fake_lfw, min_images_per_person=1, crop=50, size=(8, 6), color=False)
    assert ds.images.shape == (6, 1, 8, 6)
    assert (ds.images >= 250).all()  # the centred 50x50 crop is the bright square only
    full = lfw.load_lfw_people(fake_lfw, min_images_per_person=1, size=25)
    assert full.images.shape == (6, 3, 25, 25) and full.images[0, 0, 0, 0] < 40


def test_lfw_people_bad_arguments(fake_lfw):
    with pytest.raises(ValueError, match=r"crop must be in \[1, 250\].*got 300"):
        lfw.load_lfw_people(fake_lfw, crop=300)
    with pytest.raises(ValueError, match="size must be positive"):
        lfw.load_lfw_people(fake_lfw, size=0)
    with pytest.raises(ValueError, match="min_images_per_person must be >= 1, got 0"):
        lfw.load_lfw_people(fake_lfw, min_images_per_person=0)
    with pytest.raises(TypeError, match="max_people must be an int or None, got float"):
        lfw.load_lfw_people(fake_lfw, max_people=2.0)
    with pytest.raises(ValueError, match="no person .* has min_images_per_person=4"):
        lfw.load_lfw_people(fake_lfw, min_images_per_person=4)


def test_lfw_truncated_image(fake_lfw):
    _truncate(fake_lfw / "lfw" / "lfw-deepfunneled" / "Carol_C" / "Carol_C_0002.jpg")
    with pytest.raises(ValueError, match=r"Carol_C_0002\.jpg.*truncated or corrupt"):
        lfw.load_lfw_people(fake_lfw, min_images_per_person=1)


def test_lfw_missing_offline(offline, tmp_path):
    (tmp_path / "lfw").mkdir()
    with pytest.raises(DataNotFoundError, match="python -m coursekit data fetch lfw"):
        lfw.load_lfw_people(tmp_path)


def test_lfw_sklearn_cache_layout(tmp_path, offline):
    _person(tmp_path / "scikit_learn_data" / "lfw_home" / "lfw_funneled", "Dan_D", 2)
    (tmp_path / "scikit_learn_data" / "lfw_home" / "pairsDevTest.txt").write_text("1\nDan_D\t1\t2\nDan_D\t1\tDan_D\t2\n")
    assert lfw.load_lfw_people(tmp_path, min_images_per_person=1).classes == ["Dan_D"]
    assert len(lfw.load_lfw_pairs(tmp_path)) == 2


def _pairs(tmp_path, text, name="pairs.txt"):
    (tmp_path / "lfw" / name).write_text(text)
    return name


def test_lfw_pairs_ten_fold_format(fake_lfw):
    # "FOLDS N": each fold has N matched lines, then N mismatched ones
    name = _pairs(fake_lfw, "2\t1\nAlice_A\t1\t2\nAlice_A\t3\tBob_B\t1\nCarol_C\t1\t2\nBob_B\t1\tCarol_C\t2\n")
    p = lfw.load_lfw_pairs(fake_lfw, pairs_file=name, size=10)
    assert p.is_same.tolist() == [True, False, True, False] and p.fold.tolist() == [0, 0, 1, 1]
    assert p.names1 == ["Alice_A", "Alice_A", "Carol_C", "Bob_B"] and p.names2[1] == "Bob_B"
    assert p.images1.shape == (4, 3, 10, 10) and p.images1.dtype == torch.uint8
    assert p.paths2[3].endswith("Carol_C/Carol_C_0002.jpg")
    assert torch.equal(p.images1[1], p.images1[0])  # both Alice_A_0001/0003 are the same synthetic face
    assert abs(int(p.images2[1, 0, 0, 0]) - 120) < 5  # Bob's grey, not Alice's


def test_lfw_pairs_missing_person_and_image(fake_lfw):
    name = _pairs(fake_lfw, "1\nAlice_A\t1\t2\nAlice_A\t1\tZed_Z\t1\n")
    with pytest.raises(FileNotFoundError, match=r"line 3: person 'Zed_Z' has no folder.*Zed_Z_0001\.jpg"):
        lfw.load_lfw_pairs(fake_lfw, pairs_file=name)
    name = _pairs(fake_lfw, "1\nAlice_A\t1\t9\nAlice_A\t1\tBob_B\t1\n")
    with pytest.raises(FileNotFoundError, match=r"line 2: person 'Alice_A' has no image number 9"):
        lfw.load_lfw_pairs(fake_lfw, pairs_file=name)
    name = _pairs(fake_lfw, "1\nEmpty_Person\t1\t2\nAlice_A\t1\tBob_B\t1\n")
    with pytest.raises(FileNotFoundError, match=r"line 2: person 'Empty_Person' has no image number 1"):
        lfw.load_lfw_pairs(fake_lfw, pairs_file=name)


def test_lfw_pairs_malformed(fake_lfw):
    with pytest.raises(ValueError, match=r"line 1 must be 'N' or 'FOLDS N'"):
        lfw.load_lfw_pairs(fake_lfw, pairs_file=_pairs(fake_lfw, "ten\nAlice_A\t1\t2\n"))
    with pytest.raises(ValueError, match=r"= 2 lines, found 1"):
        lfw.load_lfw_pairs(fake_lfw, pairs_file=_pairs(fake_lfw, "1\nAlice_A\t1\t2\n"))
    with pytest.raises(ValueError, match=r"line 3: expected 'NAME1 N1 NAME2 N2'"):
        lfw.load_lfw_pairs(fake_lfw, pairs_file=_pairs(fake_lfw, "1\nAlice_A\t1\t2\nAlice_A\t1\t2\n"))
    with pytest.raises(FileNotFoundError, match="pairs_file 'nope.txt' is neither"):
        lfw.load_lfw_pairs(fake_lfw, pairs_file="nope.txt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        lfw.load_lfw_pairs(fake_lfw, pairs_file=fake_lfw / "x" / "pairs.txt")


def test_lfw_people_real_few(data_root):
    ds = lfw.load_lfw_people(min_images_per_person=100, max_images_per_person=2, crop=100, size=24)
    assert ds.classes == ["Colin_Powell", "Donald_Rumsfeld", "George_W_Bush", "Gerhard_Schroeder", "Tony_Blair"]
    assert ds.images.shape == (10, 3, 24, 24)
    assert "lfw-deepfunneled" in ds.source


def test_lfw_pairs_dev_test_real(data_root):
    p = lfw.load_lfw_pairs(pairs_file="pairsDevTest.txt", crop=40, size=8, color=False)
    assert len(p) == 1000 and int(p.is_same.sum()) == 500
    assert p.is_same[:500].all() and not p.is_same[500:].any() and (p.fold == 0).all()
    assert all(a == b for a, b in zip(p.names1[:500], p.names2[:500], strict=True))
    assert all(a != b for a, b in zip(p.names1[500:], p.names2[500:], strict=True))
    assert p.images1.shape == (1000, 1, 8, 8)
    assert p.names1[0] == "Abdullah_Gul" and p.paths2[0].endswith("Abdullah_Gul_0014.jpg")


def test_lfw_crop_matches_center_crop(fake_lfw):
    # cropping while loading (PIL) == loading in full, then lfw.center_crop on the tensor
    rng = np.random.default_rng(0)
    _write(fake_lfw / "lfw" / "lfw-deepfunneled" / "Noise_N" / "Noise_N_0001.jpg",
           rng.integers(0, 256, (250, 250, 3)))
    full = lfw.load_lfw_people(fake_lfw, min_images_per_person=1)
    for side in (101, 250, 1):
        cropped = lfw.load_lfw_people(fake_lfw, min_images_per_person=1, crop=side)
        assert torch.equal(cropped.images, lfw.center_crop(full.images, side))


def test_lfw_pairs_txt_on_the_subset_names_the_missing_person(data_root):
    # the offline copy holds only some people, so the 10-fold pairs.txt cannot be loaded from it;
    # the error must say which line and which file, before any image is decoded
    with pytest.raises(FileNotFoundError, match=r"pairs\.txt line \d+: person '\w+' has no folder: .*_\d{4}\.jpg"):
        lfw.load_lfw_pairs(pairs_file="pairs.txt")
