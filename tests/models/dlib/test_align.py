"""Tests for coursekit.models.dlib.align: detection + alignment with dlib, the crop path for data
sets, and what happens without dlib (the optional ``align`` extra).

Tests of the detector take the ``aligner`` fixture, which needs the ``dlib`` fixture: skipped without
dlib, a failure when COURSEKIT_EXPECT_DLIB=1."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import skimage.color
import skimage.data
import torch
from PIL import Image

from coursekit.models.dlib.align import (
    LFW_DEEPFUNNELED_CENTER,
    LFW_DEEPFUNNELED_CROP,
    FaceAligner,
    align_dataset,
    align_faces,
    crops_to_chips,
)
from coursekit.models.dlib.optional import dlib_install_hint
from coursekit.models.dlib.pretrained import find_package_file


@pytest.fixture(scope="module")
def aligner(dlib):
    return FaceAligner()


@pytest.fixture(scope="module")
def astronaut():
    return skimage.data.astronaut()


def test_astronaut_chip_equals_dlibs_own(aligner, astronaut, dlib):
    faces = aligner(astronaut)
    assert faces.chips.shape[1:] == (150, 150, 3) and faces.chips.dtype == np.uint8
    assert faces.boxes.shape == (len(faces), 4) and faces.boxes.dtype == np.int64
    # reference: the recipe of dlib's examples, written out
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(find_package_file("shape_predictor_5_face_landmarks.dat")))
    rects = detector(astronaut, 1)
    left, top = faces.boxes[0, :2]
    rect = next(r for r in rects if (r.left(), r.top()) == (left, top))
    np.testing.assert_array_equal(faces.chips[0], dlib.get_face_chip(astronaut, predictor(astronaut, rect), 150, 0.25))
    # the astronaut's face is at about (x 220, y 120) in the 512x512 picture
    assert any(b[0] < 220 < b[2] and b[1] < 120 < b[3] for b in faces.boxes)


def test_boxes_are_sorted_left_to_right(aligner, astronaut):
    pair = np.concatenate([astronaut, astronaut[:, ::-1]], axis=1)  # two astronauts side by side
    faces = aligner(pair)
    assert len(faces) >= 2
    assert np.all(np.diff(faces.boxes[:, 0]) >= 0)


def test_grayscale_photo_gives_rgb_chips(aligner, astronaut):
    gray = (skimage.color.rgb2gray(astronaut) * 255).round().astype(np.uint8)
    faces = aligner(gray)
    assert len(faces) >= 1 and faces.chips.shape[-1] == 3
    np.testing.assert_array_equal(faces.chips[..., 0], faces.chips[..., 2])


@pytest.mark.parametrize("image", [np.zeros((120, 90, 3), np.uint8),
                                   np.random.default_rng(0).integers(0, 256, (100, 100, 3), dtype=np.uint8)])
def test_no_face_gives_an_empty_result(aligner, image):
    faces = aligner(image)
    assert len(faces) == 0
    assert faces.chips.shape == (0, 150, 150, 3) and faces.chips.dtype == np.uint8
    assert faces.boxes.shape == (0, 4)


def test_align_faces_function(aligner, astronaut):
    assert len(align_faces(astronaut[::2, ::2], upsample=1)) >= 1  # loads its own models
    assert len(align_faces(np.full((50, 50), 7, np.uint8), aligner=aligner)) == 0


@pytest.mark.parametrize(
    "image, error, match",
    [
        (np.zeros((50, 50, 3), np.float32), TypeError, "dtype uint8"),
        (np.zeros((50, 50, 4), np.uint8), ValueError, r"\(H, W, 3\) RGB or \(H, W\) grayscale, got \(50, 50, 4\)"),
        (np.zeros((2, 50, 50, 3), np.uint8), ValueError, r"got \(2, 50, 50, 3\)"),
        (np.zeros((1, 50, 3), np.uint8), ValueError, "at least 2x2"),
        ([[1, 2]], TypeError, "numpy array"),
    ],
)
def test_bad_images_are_rejected(aligner, image, error, match):
    with pytest.raises(error, match=match):
        aligner(image)


@pytest.mark.parametrize("kwargs, match", [({"upsample": -1}, "upsample must be an int in"),
                                           ({"upsample": 1.0}, "upsample must be an int in"),
                                           ({"padding": -0.1}, "padding must be a number in")])
def test_bad_aligner_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FaceAligner(**kwargs)


def test_chip_boxes_match_the_chips(aligner, astronaut):
    boxes = aligner.chip_boxes(astronaut)
    assert boxes.shape == (len(aligner(astronaut)), 5)
    assert np.all(boxes[:, 2] > 50)  # the astronaut's face is about 90 px wide


# --- already-cropped data sets


def test_crop_of_chip_size_is_exact():
    images = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (2, 3, 250, 250), dtype=np.uint8))
    chips = crops_to_chips(images, 150)
    np.testing.assert_array_equal(chips, images[:, :, 50:200, 50:200].permute(0, 2, 3, 1).numpy())
    shifted = crops_to_chips(images, 150, center=(135, 126))
    np.testing.assert_array_equal(shifted, images[:, :, 60:210, 51:201].permute(0, 2, 3, 1).numpy())


def test_grayscale_upscaling_matches_a_loop_reference():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (1, 1, 4, 4), dtype=np.uint8)
    chips = crops_to_chips(images)
    assert chips.shape == (1, 150, 150, 3) and chips.dtype == np.uint8
    np.testing.assert_array_equal(chips[..., 0], chips[..., 1])
    # bilinear with half-pixel centres: output pixel i samples input coordinate (i + 0.5) * 4/150 - 0.5
    src = images[0, 0].astype(np.float64)
    for i, j in [(0, 0), (20, 77), (75, 75), (149, 3), (149, 149)]:
        y, x = [min(max((k + 0.5) * 4 / 150 - 0.5, 0), 3) for k in (i, j)]
        y0, x0 = int(y), int(x)
        y1, x1 = min(y0 + 1, 3), min(x0 + 1, 3)
        v = (src[y0, x0] * (1 - (y - y0)) * (1 - (x - x0)) + src[y0, x1] * (1 - (y - y0)) * (x - x0)
             + src[y1, x0] * (y - y0) * (1 - (x - x0)) + src[y1, x1] * (y - y0) * (x - x0))
        assert abs(int(chips[0, i, j, 0]) - v) <= 0.5 + 1e-3


def test_crop_bad_input():
    ok = np.zeros((1, 1, 64, 64), np.uint8)
    with pytest.raises(TypeError, match="dtype uint8"):
        crops_to_chips(ok.astype(np.float32))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) with C 1 or 3, got \(1, 64, 64\)"):
        crops_to_chips(ok[0])
    with pytest.raises(ValueError, match=r"crop must be None or an int in \[1, 64\]"):
        crops_to_chips(ok, 65)
    with pytest.raises(ValueError, match="does not fit in 64x64"):
        crops_to_chips(ok, 40, center=(10, 32))
    with pytest.raises(ValueError, match=r"center must be a \(row, column\) pair"):
        crops_to_chips(ok, 40, center=(32.5, 32))


def test_lfw_crop_close_to_dlib_alignment(aligner, data_root):
    """The LFW constants describe where dlib's chips sit in deep-funneled images."""
    folder = data_root / "lfw" / "lfw-deepfunneled" / "Colin_Powell"
    rows = []
    for k in range(1, 7):
        boxes = aligner.chip_boxes(np.asarray(Image.open(folder / f"Colin_Powell_{k:04d}.jpg").convert("RGB")))
        rows.append(boxes[np.argmin(np.hypot(boxes[:, 0] - 125, boxes[:, 1] - 125))])
    cx, cy, side = np.mean(rows, axis=0)[:3]
    assert abs(cy - LFW_DEEPFUNNELED_CENTER[0]) < 8 and abs(cx - LFW_DEEPFUNNELED_CENTER[1]) < 8
    assert abs(side - LFW_DEEPFUNNELED_CROP) < 20


def test_align_dataset_aligns_faces_and_falls_back_to_the_crop(aligner, data_root):
    path = data_root / "lfw" / "lfw-deepfunneled" / "Colin_Powell" / "Colin_Powell_0001.jpg"
    face = np.asarray(Image.open(path).convert("RGB"))
    images = np.stack([face, np.full_like(face, 90)]).transpose(0, 3, 1, 2).copy()
    chips, is_detected = align_dataset(images, LFW_DEEPFUNNELED_CROP, LFW_DEEPFUNNELED_CENTER, aligner=aligner)
    assert chips.shape == (2, 150, 150, 3) and is_detected.tolist() == [True, False]
    found = aligner(face)
    centres = (found.boxes[:, :2] + found.boxes[:, 2:]) / 2
    np.testing.assert_array_equal(chips[0], found.chips[np.argmin(np.abs(centres - 125).sum(axis=1))])
    np.testing.assert_array_equal(chips[1], crops_to_chips(images[1:], LFW_DEEPFUNNELED_CROP, LFW_DEEPFUNNELED_CENTER)[0])


def test_align_dataset_upscales_small_images(aligner, astronaut):
    small = astronaut[40:232:3, 120:312:3]  # the face, 64x64 like Olivetti
    chips, is_detected = align_dataset(small.transpose(2, 0, 1)[None].copy(), aligner=aligner)
    assert is_detected.tolist() == [True]
    with pytest.raises(ValueError, match="min_side must be an int >= 1, got 0"):
        align_dataset(small.transpose(2, 0, 1)[None].copy(), min_side=0, aligner=aligner)


# --- without dlib


@pytest.fixture
def no_dlib(monkeypatch):
    """`import dlib` raises ImportError, as where the align extra is not installed."""
    monkeypatch.setitem(sys.modules, "dlib", None)


def test_without_dlib_the_aligner_says_what_it_needs(no_dlib):
    with pytest.raises(ImportError, match=r"FaceAligner \(face detection and alignment\) needs dlib") as err:
        FaceAligner()
    message = str(err.value)
    assert "crops_to_chips" in message and dlib_install_hint() in message
    with pytest.raises(ImportError, match="needs dlib"):
        align_faces(np.zeros((60, 60, 3), np.uint8))
    with pytest.raises(ImportError, match="needs dlib"):
        align_dataset(np.zeros((1, 1, 64, 64), np.uint8))


def test_without_dlib_the_crop_path_works(no_dlib):
    chips = crops_to_chips(np.full((2, 1, 64, 64), 9, np.uint8))
    assert chips.shape == (2, 150, 150, 3) and (chips == 9).all()


def test_importing_coursekit_never_imports_dlib():
    code = ("import sys; sys.modules['dlib'] = None\n"  # any `import dlib` now raises ImportError
            "import coursekit, coursekit.models, coursekit.models.dlib, coursekit.models.dlib.align\n"
            "from coursekit.models.dlib import crops_to_chips, pretrained_face_embedder, FaceAligner\n"
            "print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
