"""Tests for coursekit.checks.data: each check passes the reference and catches each mistake."""

from __future__ import annotations

import pytest
import torch

from coursekit.checks import CheckFailed
from coursekit.checks import data as checks
from coursekit.data.lfw import center_crop
from coursekit.data.omniglot import invert_ink


def test_references_pass(capsys):
    assert checks.check_invert_ink(invert_ink) == 3
    assert checks.check_center_crop(center_crop) == 4
    assert "center_crop: all 4 cases pass." in capsys.readouterr().out


def test_plain_notebook_solutions_pass():
    checks.check_invert_ink(lambda images: 255 - images)

    def crop(images, side):
        H, W = images.shape[-2:]
        top, left = (H - side) // 2, (W - side) // 2
        return images[..., top:top + side, left:left + side]

    checks.check_center_crop(crop)


@pytest.mark.parametrize("wrong, hint", [
    (checks._ink_one_minus, "255 − x"),
    (checks._ink_float, "keep the uint8 range"),
    (checks._ink_threshold, "do not binarise"),
    (checks._ink_unchanged, "came back unchanged"),
])
def test_invert_ink_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_invert_ink(wrong)


@pytest.mark.parametrize("wrong, hint", [
    (checks._crop_corner, "top-left corner"),
    (checks._crop_swapped, "H and W are swapped"),
    (checks._crop_ceil, "round the margin down"),
    (checks._crop_first_dims, "last two dimensions"),
])
def test_center_crop_catches_mistakes(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_center_crop(wrong)


def test_unimplemented_and_crashing():
    def todo(images):
        raise NotImplementedError("write invert_ink")

    with pytest.raises(CheckFailed, match="not implemented yet"):
        checks.check_invert_ink(todo)
    with pytest.raises(CheckFailed, match="raised IndexError"):
        checks.check_center_crop(lambda images, side: images[9, 9, 9, 9, 9])


def test_center_crop_brute_force():
    images = torch.randn(2, 3, 7, 10, generator=torch.Generator().manual_seed(0))
    out = center_crop(images, 3)
    for i in range(3):  # out[..., i, j] = images[..., 2 + i, 3 + j]: (7 − 3) // 2 = 2, (10 − 3) // 2 = 3
        for j in range(3):
            assert torch.equal(out[..., i, j], images[..., 2 + i, 3 + j])
    with pytest.raises(ValueError, match=r"side must be an int in \[1, 7\] for images of size 7x10, got 8"):
        center_crop(images, 8)
    with pytest.raises(ValueError, match=r"images must be a tensor of shape \(\.\.\., H, W\)"):
        center_crop(torch.zeros(5), 2)


def test_invert_ink_validates():
    assert invert_ink(torch.tensor([0, 255, 10], dtype=torch.uint8)).tolist() == [255, 0, 245]
    with pytest.raises(TypeError, match="images must be uint8 .*, got torch.float32"):
        invert_ink(torch.zeros(3))
    with pytest.raises(TypeError, match="images must be a tensor, got list"):
        invert_ink([1, 2])
