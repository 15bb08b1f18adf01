"""Tests for coursekit.data.lfw: LFW people and the official pair lists."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from coursekit.data import DataNotFoundError, lfw


def _write(path, array, fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(array, dtype=np.uint8)).save(path, format=fmt)
    return path


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


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
