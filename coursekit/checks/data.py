"""Checks for the exercises of notebook 00 (a first look at the data).

``check_invert_ink`` checks turning Omniglot's black-on-white files into ink = 255 on 0;
``check_center_crop`` checks cutting the centred square out of a batch of LFW-sized images.
The cases use non-square images and odd margins so that swapped axes or off-by-one offsets fail.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..data.lfw import center_crop  # the references (module paths may move: keep them here)
from ..data.omniglot import invert_ink
from ._harness import Case, Mistake, run_check

__all__ = ["check_invert_ink", "check_center_crop"]


def _page(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """A white (255) uint8 page with a few black (0) and grey strokes."""
    gen = torch.Generator().manual_seed(seed)
    page = torch.full(shape, 255, dtype=torch.uint8)
    mask = torch.rand(shape, generator=gen) < 0.2
    page[mask] = torch.randint(0, 200, (int(mask.sum()),), generator=gen, dtype=torch.uint8)
    return page


def _ink_one_minus(x):
    return 1 - x


def _ink_float(x):
    return (255 - x.float()) / 255


def _ink_threshold(x):
    return ((x < 128) * 255).to(torch.uint8)


def _ink_unchanged(x):
    return x.clone()


def _ink_negated(x):
    return -x


def check_invert_ink(learner_fn: Callable) -> None:
    """Check ``invert_ink(images) = 255 − images`` on uint8 tensors of several shapes: a new uint8
    tensor of the input's shape, the input left unchanged.

    Parameters
    ----------
    learner_fn : callable (Tensor (..., H, W) uint8) -> Tensor (..., H, W) uint8
        The learner's ``invert_ink``.

    Returns
    -------
    None
        Prints ``invert_ink: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When a pixel is not 255 − x, the dtype is not uint8 (1 − x, floats), grey pixels
        are binarised, or the input was changed in place.
    """
    cases = [
        Case("one 6x5 page", (_page((6, 5), 0),)),
        Case("a batch (3, 1, 4, 7)", (_page((3, 1, 4, 7), 1),)),
        Case("pure white and pure black", (torch.tensor([[255, 0], [0, 255]], dtype=torch.uint8),)),
    ]
    return run_check(
        "invert_ink", learner_fn, invert_ink, cases,
        mistakes=[
            Mistake(_ink_one_minus, "1 − x is for images in [0, 1]; these are uint8 in 0..255: use 255 − x."),
            Mistake(_ink_float, "keep the uint8 range: return 255 − x, not (255 − x) / 255 as floats."),
            Mistake(_ink_threshold, "do not binarise: grey pixels (anti-aliased edges) must stay grey, 255 − x."),
            Mistake(_ink_unchanged, "the image came back unchanged: every pixel x becomes 255 − x."),
            Mistake(_ink_negated, "−x on uint8 wraps around (−x = 256 − x): use 255 − x."),
        ],
        verified="uint8 in and out, same shape, 255 − x (grey stays grey), the input left unchanged",
    )


def _crop_corner(images, side):
    return images[..., :side, :side]


def _crop_swapped(images, side):
    h, w = images.shape[-2:]
    top, left = (w - side) // 2, (h - side) // 2
    return images[..., top:top + side, left:left + side]


def _crop_ceil(images, side):
    h, w = images.shape[-2:]
    top, left = (h - side + 1) // 2, (w - side + 1) // 2
    return images[..., top:top + side, left:left + side]


def _crop_first_dims(images, side):
    h, w = images.shape[1:3]
    top, left = (h - side) // 2, (w - side) // 2
    return images[:, top:top + side, left:left + side]


def _crop_one_more(images, side):
    h, w = images.shape[-2:]
    top, left = (h - side) // 2, (w - side) // 2
    return images[..., top:top + side + 1, left:left + side + 1]


def check_center_crop(learner_fn: Callable) -> None:
    """Check ``center_crop(images, side)``: top = ⌊(H − side)/2⌋, left = ⌊(W − side)/2⌋, on (..., H, W).

    Parameters
    ----------
    learner_fn : callable (images (..., H, W), side: int) -> Tensor (..., side, side)
        The learner's ``center_crop``.

    Returns
    -------
    None
        Prints ``center_crop: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When the crop is not the centred one: the top-left corner, H and W swapped, the
        margin rounded up, or the wrong dimensions cropped.
    """
    gen = torch.Generator().manual_seed(0)
    cases = [
        Case("(2, 3, 9, 12) to 4", (torch.randint(0, 256, (2, 3, 9, 12), generator=gen, dtype=torch.uint8), 4)),
        Case("(1, 1, 250, 250) to 125", (torch.arange(250 * 250).reshape(1, 1, 250, 250), 125)),
        Case("odd margins (1, 2, 7, 10) to 2", (torch.randn(1, 2, 7, 10, generator=gen), 2)),
        Case("side = min(H, W)", (torch.randn(2, 1, 5, 8, generator=gen), 5)),
    ]
    return run_check(
        "center_crop", learner_fn, center_crop, cases,
        mistakes=[
            Mistake(_crop_corner, "that is the top-left corner: start at top = (H − side) // 2, left = (W − side) // 2."),
            Mistake(_crop_swapped, "H and W are swapped: rows are the second-to-last dimension, columns the last."),
            Mistake(_crop_ceil, "round the margin down: top = (H − side) // 2, not (H − side + 1) // 2."),
            Mistake(_crop_first_dims, "crop the last two dimensions (H, W) of (N, C, H, W), not dimensions 1 and 2."),
            Mistake(_crop_one_more, "a slice start:stop stops before stop: rows top … top + side − 1 are "
                    "images[..., top:top + side, :]."),
        ],
        verified="(..., side, side) of the input's dtype, top = ⌊(H − side)/2⌋ and left = ⌊(W − side)/2⌋ "
                 "on non-square images with odd margins",
    )
