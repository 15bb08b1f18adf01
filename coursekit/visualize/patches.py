"""Cutting out the image patch that a unit sees, using its receptive field.

A unit at (row, col) of a layer sees the input box given by ``ReceptiveField.box``. Near the
borders part of that box lies outside the image (in the zero padding); the patch keeps its full
size r × r, the outside part is filled with ``fill`` and marked False in ``valid`` so a plot
can show it as "not image".
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .receptive_field import ReceptiveField
from .topk import TopActivations

__all__ = ["Patches", "crop_box", "crop_patches"]


@dataclass
class Patches:
    """Patches of the top-k images of each unit of one layer.

    Attributes
    ----------
    layer : str
    units : Tensor of shape (U,)
    images : Tensor of shape (U, k, C, r_h, r_w), same dtype as the source images
    valid : Tensor of shape (U, k, r_h, r_w), bool: True inside the image
    boxes : Tensor of shape (U, k, 4), (top, left, bottom, right) before clipping
    values : Tensor of shape (U, k), the activations
    """

    layer: str
    units: torch.Tensor
    images: torch.Tensor
    valid: torch.Tensor
    boxes: torch.Tensor
    values: torch.Tensor


def crop_box(
    image: torch.Tensor, box: tuple[int, int, int, int], fill: float = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut ``box`` = (top, left, bottom, right) out of ``image`` (C, H, W), padding outside it.

    Returns the patch (C, bottom − top, right − left), with ``fill`` where the box leaves the
    image, and the bool mask (bottom − top, right − left) of pixels inside the image.

    Parameters
    ----------
    image : Tensor of shape (C, H, W)
    box : (int, int, int, int)
        (top, left, bottom, right), bottom/right exclusive; may leave the image.
    fill : float
        Value of the pixels outside the image.

    Examples
    --------
    >>> crop_box(torch.ones(1, 4, 4), (-1, 2, 2, 6))[1].tolist()
    [[False, False, False, False], [True, True, False, False], [True, True, False, False]]
    """
    if not isinstance(image, torch.Tensor) or image.dim() != 3:
        raise ValueError(f"image must be a tensor of shape (C, H, W), got {getattr(image, 'shape', type(image).__name__)}")
    top, left, bottom, right = (int(v) for v in box)
    if bottom <= top or right <= left:
        raise ValueError(f"box must have bottom > top and right > left, got {tuple(box)}")
    return _crop_box(image, top, left, bottom, right, fill)


def _crop_box(image, top, left, bottom, right, fill):
    _, h, w = image.shape
    patch = torch.full((image.shape[0], bottom - top, right - left), fill, dtype=image.dtype, device=image.device)
    valid = torch.zeros(bottom - top, right - left, dtype=torch.bool, device=image.device)
    t, b, lft, rgt = max(top, 0), min(bottom, h), max(left, 0), min(right, w)
    if t < b and lft < rgt:  # the part of the box inside the image
        patch[:, t - top:b - top, lft - left:rgt - left] = image[:, t:b, lft:rgt]
        valid[t - top:b - top, lft - left:rgt - left] = True
    return patch, valid


def crop_patches(
    images: torch.Tensor, top: TopActivations, field: ReceptiveField, *, fill: float = 0
) -> Patches:
    """The input patch behind each kept activation of ``top``.

    Parameters
    ----------
    images : Tensor of shape (N, C, H, W)
        The images that were streamed, in the same order and at the same size as the model saw
        them (before any ``preprocess`` that does not move pixels).
    top : TopActivations, from ``top_k_activations``
    field : ReceptiveField of the same layer (``receptive_field`` or built from a measured box)
    fill : value for the part of a patch outside the image

    Returns
    -------
    Patches, images of shape (U, k, C, r_h, r_w).

    Examples
    --------
    >>> from coursekit.visualize import ReceptiveField, TopActivations
    >>> t = TopActivations("c", torch.tensor([0]), torch.ones(1, 1), torch.zeros(1, 1, dtype=torch.long),
    ...                    torch.zeros(1, 1, dtype=torch.long), torch.zeros(1, 1, dtype=torch.long), (4, 4), 1)
    >>> crop_patches(torch.ones(1, 1, 4, 4), t, ReceptiveField("c", (3, 3), (1, 1), (1.0, 1.0))).images.shape
    torch.Size([1, 1, 1, 3, 3])
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ValueError(f"images must be a tensor of shape (N, C, H, W), got {getattr(images, 'shape', type(images).__name__)}")
    if not isinstance(top, TopActivations):
        raise TypeError(f"top must be a TopActivations, got {type(top).__name__}")
    if not isinstance(field, ReceptiveField):
        raise TypeError(f"field must be a ReceptiveField, got {type(field).__name__}")
    if len(images) != top.n_images:
        raise ValueError(f"images has {len(images)} images but {top.n_images} were streamed for layer {top.layer!r}")
    if field.out_size is not None and tuple(field.out_size) != tuple(top.map_size):
        raise ValueError(f"field is for a {field.out_size} map but layer {top.layer!r} gave a {top.map_size} "
                         "map: a receptive field of another layer or input size?")
    return _crop_patches(images, top, field, fill)


def _crop_patches(images, top, field, fill):
    n_units, k = top.values.shape
    patches = torch.empty(n_units, k, images.shape[1], *field.size, dtype=images.dtype)
    valid = torch.empty(n_units, k, *field.size, dtype=torch.bool)
    boxes = torch.empty(n_units, k, 4, dtype=torch.long)
    for u in range(n_units):
        for i in range(k):
            box = field.box(int(top.row[u, i]), int(top.col[u, i]))
            image = images[int(top.image_index[u, i])].cpu()
            patches[u, i], valid[u, i] = _crop_box(image, *box, fill)
            boxes[u, i] = torch.tensor(box)
    return Patches(top.layer, top.units.clone(), patches, valid, boxes, top.values.clone())
