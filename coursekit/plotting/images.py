"""Images and grids of images, with optional titles (names, distances, decisions)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["to_hwc", "show_image", "image_grid"]


def to_hwc(image: torch.Tensor | np.ndarray) -> np.ndarray:
    """Convert one image to a float array in [0, 1] of shape (H, W) or (H, W, 3) for imshow.

    Accepts a tensor of shape (C, H, W) or (H, W) (float in [0, 1] or uint8 in [0, 255]) or a
    NumPy array of shape (H, W), (H, W, C) or (C, H, W) with C in {1, 3}.

    Parameters
    ----------
    image : Tensor or ndarray
        Shape (C, H, W) or (H, W) (tensor), or (H, W), (H, W, C), (C, H, W) (array), C in {1, 3}.

    Returns
    -------
    ndarray of shape (H, W) or (H, W, 3), float in [0, 1]

    Raises
    ------
    TypeError
        If ``image`` is neither a tensor nor an array.
    ValueError
        If its shape is not one of the above.
    """
    if isinstance(image, torch.Tensor):
        arr = image.detach().cpu()
        if arr.dim() == 3:
            arr = arr.permute(1, 2, 0)
        arr = arr.numpy()
    elif isinstance(image, np.ndarray):
        arr = image
        if arr.ndim == 3 and arr.shape[0] in (1, 3) and arr.shape[-1] not in (1, 3):
            arr = arr.transpose(1, 2, 0)
    else:
        raise TypeError(f"image must be a tensor or ndarray, got {type(image).__name__}")
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[-1] != 3):
        raise ValueError(f"image must be (H, W), (H, W, 3) or (C, H, W) with C in (1, 3), got {arr.shape}")
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    if arr.dtype == bool:
        return arr.astype(np.float32)
    return np.clip(arr.astype(np.float32), 0.0, 1.0)


def show_image(
    image: torch.Tensor | np.ndarray,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    cmap: str = "gray",
    title_color: str | None = None,
) -> Axes:
    """Draw one image without axes ticks; grayscale images use ``cmap`` with a fixed 0..1 range.

    Parameters
    ----------
    image : Tensor or ndarray
        One image, any layout :func:`to_hwc` accepts.
    ax : Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
    cmap : str
        Colour map for grayscale images.
    title_color : str, optional
        e.g. ``"green"``/``"red"`` for a right/wrong decision.

    Returns
    -------
    Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(3, 3))
    arr = to_hwc(image)
    if arr.ndim == 2:
        ax.imshow(arr, cmap=cmap, vmin=0.0, vmax=1.0)
    else:
        ax.imshow(arr)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        style = {"color": title_color} if title_color is not None else {}
        ax.set_title(title, fontsize=9, **style)
    return ax


def image_grid(
    images: torch.Tensor | np.ndarray | Sequence,
    *,
    ncols: int | None = None,
    titles: Sequence[str] | None = None,
    title_colors: Sequence[str] | None = None,
    cmap: str = "gray",
    size: float = 1.6,
    suptitle: str | None = None,
) -> Figure:
    """Draw images in a grid, one Axes each, and return the Figure.

    Parameters
    ----------
    images : Tensor of shape (N, C, H, W) or (N, H, W), array, or a sequence of single images
    ncols : int, optional
        Columns; default ``ceil(sqrt(N))``.
    titles, title_colors : sequences of length N, optional
    size : float
        Inches per image.

    Returns
    -------
    Figure
        One Axes per image (empty slots switched off).
    """
    items = list(images) if not isinstance(images, (torch.Tensor, np.ndarray)) else [im for im in images]
    n = len(items)
    if n == 0:
        raise ValueError("images is empty: nothing to draw")
    if titles is not None and len(titles) != n:
        raise ValueError(f"titles has {len(titles)} entries for {n} images")
    if title_colors is not None and len(title_colors) != n:
        raise ValueError(f"title_colors has {len(title_colors)} entries for {n} images")
    ncols = ncols or math.ceil(math.sqrt(n))
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    nrows = math.ceil(n / ncols)
    extra = 0.35 if titles is not None else 0.0
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, (size + extra) * nrows + (0.4 if suptitle else 0)),
        squeeze=False,
    )
    for i, ax in enumerate(axes.flat):
        if i < n:
            show_image(
                items[i], ax=ax, cmap=cmap,
                title=None if titles is None else titles[i],
                title_color=None if title_colors is None else title_colors[i],
            )
        else:
            ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig
