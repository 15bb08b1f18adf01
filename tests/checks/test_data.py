"""coursekit.checks.data (notebook 00): wrong learner solutions are caught, correct alternatives pass."""

from __future__ import annotations

import pytest
import torch

from coursekit.checks import data as checks
from coursekit.data.lfw import center_crop
from coursekit.data.omniglot import invert_ink

from ._table import assert_caught, assert_passes


def test_references_pass_with_one_line(capsys):
    assert_passes(checks.check_invert_ink, invert_ink)
    assert_passes(checks.check_center_crop, center_crop)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("invert_ink: 3 cases pass — uint8 in and out")
    assert out[1].startswith("center_crop: 4 cases pass — ")


# ---- invert_ink ----------------------------------------------------------------------------------

def _ink_in_place(images):
    images[...] = 255 - images
    return images


def _ink_sub_in_place(images):
    return images.neg_().add_(255)


INK_WRONG = {
    "in place": (_ink_in_place, "changed its input `images` in place"),
    "in place with _ methods": (_ink_sub_in_place, "changed its input `images` in place"),
    "scaled to float": (lambda images: (255 - images.float()) / 255, "expected torch.uint8"),
    "float 255.0 - x": (lambda images: 255.0 - images, "dtype torch.float32, expected torch.uint8"),
    "int32": (lambda images: 255 - images.int(), "keep the images uint8"),
    "numpy": (lambda images: 255 - images.numpy(), "numpy array"),
    "a list": (lambda images: (255 - images).tolist(), "should be a uint8 tensor"),
    "1 - x": (checks._ink_one_minus, "1 − x is for images in [0, 1]"),
    "threshold": (checks._ink_threshold, "do not binarise"),
    "unchanged": (checks._ink_unchanged, "came back unchanged"),
    "negated": (checks._ink_negated, "wraps around"),
}

INK_RIGHT = {
    "255 - x": lambda images: 255 - images,
    "bitwise not": lambda images: ~images,
    "full_like": lambda images: torch.full_like(images, 255) - images,
    "through int, back to uint8": lambda images: (255 - images.int()).to(torch.uint8),
    "rsub": lambda images: torch.sub(255, images),
}


@pytest.mark.parametrize("name", INK_WRONG)
def test_invert_ink_catches(name):
    fn, fragment = INK_WRONG[name]
    assert_caught(checks.check_invert_ink, fn, fragment=fragment)


@pytest.mark.parametrize("name", INK_RIGHT)
def test_invert_ink_accepts(name):
    assert_passes(checks.check_invert_ink, INK_RIGHT[name])


# ---- center_crop ---------------------------------------------------------------------------------

def _crop_top_for_both(images, side):
    H, W = images.shape[-2:]
    top = (H - side) // 2
    return images[..., top:top + side, top:top + side]


def _crop_rows_only(images, side):
    H = images.shape[-2]
    top = (H - side) // 2
    return images[..., top:top + side, :]


def _crop_round(images, side):
    H, W = images.shape[-2:]
    top, left = round((H - side) / 2), round((W - side) / 2)
    return images[..., top:top + side, left:left + side]


def _crop_float(images, side):
    return center_crop(images, side).float()


def _crop_numpy(images, side):
    return center_crop(images, side).numpy()


CROP_WRONG = {
    "top-left corner": (checks._crop_corner, "top-left corner"),
    "swapped axes": (checks._crop_swapped, "H and W are swapped"),
    "rounded up (off by one)": (checks._crop_ceil, "round the margin down"),
    "dims 1 and 2": (checks._crop_first_dims, "last two dimensions"),
    "one pixel too many": (checks._crop_one_more, "a slice start:stop stops before stop"),
    "top used for both": (_crop_top_for_both, "expected"),
    "rows only": (_crop_rows_only, "has shape"),
    "Python round (banker's)": (_crop_round, "case 'side = min(H, W)' fails"),
    "converted to float": (_crop_float, "expected torch.uint8"),
    "numpy": (_crop_numpy, "numpy array"),
}


def _crop_narrow(images, side):
    H, W = images.shape[-2:]
    return images.narrow(-2, (H - side) // 2, side).narrow(-1, (W - side) // 2, side)


def _crop_index_select(images, side):
    H, W = images.shape[-2:]
    rows = torch.arange((H - side) // 2, (H - side) // 2 + side)
    cols = torch.arange((W - side) // 2, (W - side) // 2 + side)
    return images.index_select(-2, rows).index_select(-1, cols)


def _crop_margins(images, side):
    H, W = images.shape[-2:]
    top, left = (H - side) // 2, (W - side) // 2
    bottom, right = H - side - top, W - side - left
    return images[..., top:H - bottom, left:W - right].clone()


CROP_RIGHT = {"narrow": _crop_narrow, "index_select": _crop_index_select, "margins": _crop_margins}


@pytest.mark.parametrize("name", CROP_WRONG)
def test_center_crop_catches(name):
    fn, fragment = CROP_WRONG[name]
    assert_caught(checks.check_center_crop, fn, fragment=fragment)


@pytest.mark.parametrize("name", CROP_RIGHT)
def test_center_crop_accepts(name):
    assert_passes(checks.check_center_crop, CROP_RIGHT[name])


def test_learner_exceptions_are_shown_as_theirs():
    message = assert_caught(checks.check_center_crop, lambda images, side: images[9, 9, 9, 9, 9],
                            fragment="your function raised IndexError")
    assert "not implemented" not in message


# ---- the references themselves -------------------------------------------------------------------

def test_center_crop_brute_force():
    images = torch.randn(2, 3, 7, 10, generator=torch.Generator().manual_seed(0))
    out = center_crop(images, 3)
    for i in range(3):  # out[..., i, j] = images[..., 2 + i, 3 + j]: (7 − 3) // 2 = 2, (10 − 3) // 2 = 3
        for j in range(3):
            assert torch.equal(out[..., i, j], images[..., 2 + i, 3 + j])
    with pytest.raises(ValueError, match=r"side must be an int in \[1, 7\] for images of size 7x10, got 8"):
        center_crop(images, 8)
    with pytest.raises(ValueError, match=r"images must have shape \(\.\.\., H, W\)"):
        center_crop(torch.zeros(5), 2)


def test_invert_ink_validates():
    assert invert_ink(torch.tensor([0, 255, 10], dtype=torch.uint8)).tolist() == [255, 0, 245]
    with pytest.raises(TypeError, match="images must be uint8 .*, got torch.float32"):
        invert_ink(torch.zeros(3))
    with pytest.raises(TypeError, match="images must be a tensor, got list"):
        invert_ink([1, 2])
