"""Figures for looking inside a CNN: top-patch grids, first-layer filters, feature maps.

``coursekit.visualize`` computes (receptive fields, top-k patches); this module only draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .images import show_image, to_hwc

__all__ = ["patch_mosaic", "plot_top_patches", "plot_filters", "plot_feature_maps", "plot_receptive_field_box"]


def _rgb(image: torch.Tensor | np.ndarray) -> np.ndarray:
    arr = to_hwc(image)
    return np.repeat(arr[..., None], 3, axis=2) if arr.ndim == 2 else arr


def _checkerboard(h: int, w: int) -> np.ndarray:
    """Light grey checks: the mark for 'outside the image' (zero padding)."""
    cell = max(2, round(max(h, w) / 12))
    checks = (np.add.outer(np.arange(h) // cell, np.arange(w) // cell) % 2).astype(np.float32)
    return np.repeat((0.72 + 0.16 * checks)[..., None], 3, axis=2)


def patch_mosaic(
    images: torch.Tensor, valid: torch.Tensor | None = None, *, ncols: int = 3, gap: int = 1
) -> np.ndarray:
    """Tile k patches (k, C, h, w) into one RGB array (rows·h + gaps, ncols·w + gaps, 3).

    Pixels where ``valid`` (k, h, w) is False (outside the image) get a grey checkerboard;
    gaps are white. Patch i goes to row i // ncols, column i % ncols.

    Parameters
    ----------
    images : Tensor of shape (k, C, h, w)
        Patches, uint8 or float in [0, 1]; C in {1, 3}.
    valid : Tensor of shape (k, h, w), bool, optional
        False where a patch left the image; None: every pixel is valid.
    ncols : int
        Patches per row.
    gap : int
        White pixels between patches.

    Returns
    -------
    ndarray of shape (rows·h + (rows − 1)·gap, ncols·w + (ncols − 1)·gap, 3), float in [0, 1]

    Examples
    --------
    >>> patch_mosaic(torch.zeros(4, 3, 5, 5)).shape
    (11, 17, 3)
    """
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ValueError(f"images must be a tensor of shape (k, C, h, w), got {getattr(images, 'shape', type(images).__name__)}")
    k, _, h, w = images.shape
    if valid is not None and tuple(valid.shape) != (k, h, w):
        raise ValueError(f"valid must have shape {(k, h, w)}, got {tuple(valid.shape)}")
    nrows = math.ceil(k / ncols)
    out = np.ones((nrows * (h + gap) - gap, ncols * (w + gap) - gap, 3), dtype=np.float32)
    checks = _checkerboard(h, w)
    for i in range(k):
        tile = _rgb(images[i])
        if valid is not None:
            inside = valid[i].cpu().numpy()[..., None]
            tile = np.where(inside, tile, checks)
        r, c = divmod(i, ncols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = tile
    return out


def plot_top_patches(
    patches: Sequence,
    *,
    n_units: int | None = None,
    n_patches: int = 9,
    titles: Sequence[str] | None = None,
    size: float = 1.4,
    suptitle: str | None = None,
) -> Figure:
    """The lecture's figure: for each layer (a column), several units (rows), each a 3×3
    mosaic of the patches that activate it most. Outside-the-image parts are checkered.

    Parameters
    ----------
    patches : list of ``coursekit.visualize.Patches``, one per layer, shallow to deep
    n_units : int, optional, units shown per layer (default: all, up to the fewest any layer has)
    n_patches : int, patches per unit (9 as in Zeiler & Fergus)
    titles : column titles (default the layer names)

    Returns
    -------
    Figure with n_units × len(patches) Axes.

    Examples
    --------
    >>> from coursekit.visualize import Patches
    >>> p = Patches("conv1", torch.arange(2), torch.zeros(2, 9, 3, 7, 7), torch.ones(2, 9, 7, 7, dtype=torch.bool),
    ...             torch.zeros(2, 9, 4), torch.zeros(2, 9))
    >>> len(plot_top_patches([p, p]).axes)
    4
    """
    if len(patches) == 0:
        raise ValueError("patches is empty: give one Patches per layer")
    if titles is not None and len(titles) != len(patches):
        raise ValueError(f"titles has {len(titles)} entries for {len(patches)} layers")
    available = min(p.images.shape[0] for p in patches)
    n_units = available if n_units is None else n_units
    if not 1 <= n_units <= available:
        raise ValueError(f"n_units must be in 1..{available} (units in the smallest layer), got {n_units}")
    n_patches = min(n_patches, min(p.images.shape[1] for p in patches))
    ncols = math.ceil(math.sqrt(n_patches))
    fig, axes = plt.subplots(n_units, len(patches), figsize=(size * len(patches), size * n_units + 0.6),
                             squeeze=False)
    for c, p in enumerate(patches):
        for u in range(n_units):
            ax = axes[u, c]
            ax.imshow(patch_mosaic(p.images[u, :n_patches], p.valid[u, :n_patches], ncols=ncols))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel(f"unit {int(p.units[u])}", fontsize=7, labelpad=1)
        size_px = p.images.shape[-1]
        axes[0, c].set_title(f"{titles[c] if titles else p.layer}\n{size_px}px", fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_filters(
    weight: torch.Tensor, *, ncols: int = 8, size: float = 0.7, title: str | None = None
) -> Figure:
    """First-layer filters (O, C, kh, kw) as small images: RGB when C = 3, else channel 0 in grey.

    Each filter is min-max scaled on its own, (w − min w) / (max w − min w), so the colour
    shows the pattern, not the norm. Returns the Figure (one Axes per grid slot).

    Parameters
    ----------
    weight : Tensor of shape (O, C, kh, kw)
        The first layer's weights.
    ncols : int
        Filters per row.
    size : float
        Inches per filter.
    title : str, optional

    Examples
    --------
    >>> len(plot_filters(torch.randn(8, 3, 7, 7), ncols=4).axes)
    8
    """
    if not isinstance(weight, torch.Tensor) or weight.dim() != 4:
        raise ValueError(f"weight must be a tensor of shape (O, C, kh, kw), got {getattr(weight, 'shape', type(weight).__name__)}")
    w = weight.detach().float().cpu()
    w = w if w.shape[1] == 3 else w[:, :1]
    lo = w.amin(dim=(1, 2, 3), keepdim=True)
    hi = w.amax(dim=(1, 2, 3), keepdim=True)
    w = (w - lo) / (hi - lo).clamp_min(1e-12)
    n = w.shape[0]
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if title else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            img = to_hwc(w[i])
            ax.imshow(img, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(pad=0.2)
    return fig


def plot_feature_maps(
    maps: torch.Tensor,
    *,
    image: torch.Tensor | None = None,
    n_maps: int = 15,
    ncols: int = 8,
    size: float = 1.1,
    cmap: str = "viridis",
    title: str | None = None,
) -> Figure:
    """Feature maps (C, H, W) of one image, each scaled on its own; the image first if given.

    Shows the first ``n_maps`` maps with ``cmap``; ``image`` is (C, H, W) in [0, 1] or uint8.
    Returns the Figure.

    Parameters
    ----------
    maps : Tensor of shape (C, H, W)
        Feature maps of one image at one layer.
    image : Tensor of shape (C_in, H_in, W_in), optional
        The input image, drawn first.
    n_maps : int
        How many maps (the first ones).
    ncols : int
        Axes per row.
    size : float
        Inches per map.
    cmap : str
    title : str, optional

    Examples
    --------
    >>> len([ax for ax in plot_feature_maps(torch.randn(4, 5, 5), ncols=2).axes if ax.get_images()])
    4
    """
    if not isinstance(maps, torch.Tensor) or maps.dim() != 3:
        raise ValueError(f"maps must be a tensor of shape (C, H, W), got {getattr(maps, 'shape', type(maps).__name__)}")
    m = maps.detach().float().cpu()[:n_maps]
    items = ([image] if image is not None else []) + list(m)
    ncols = min(ncols, len(items))
    nrows = math.ceil(len(items) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if title else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(items):
            continue
        if image is not None and i == 0:
            show_image(image, ax=ax)
            ax.set_title("input", fontsize=7)  # (show_image's title= needs a colour on this matplotlib)
            continue
        c = i - (image is not None)
        ax.imshow(items[i].numpy(), cmap=cmap, interpolation="nearest")
        ax.set_title(f"map {c}", fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(pad=0.3)
    return fig


def plot_receptive_field_box(
    image: torch.Tensor, box: tuple[int, int, int, int], *, ax: Axes | None = None,
    color: str = "red", title: str | None = None,
) -> Axes:
    """The image with the box (top, left, bottom, right) that one unit sees drawn on it.

    The box may leave the image (a unit near the border); bottom/right are exclusive.

    Parameters
    ----------
    image : Tensor of shape (C, H, W)
        uint8 or float in [0, 1].
    box : (int, int, int, int)
        (top, left, bottom, right) in pixels, e.g. ``ReceptiveField.box(row, col)``.
    ax : Axes, optional
        Where to draw; a new figure when None.
    color : str
        The rectangle's colour.
    title : str, optional

    Returns
    -------
    Axes
        With one Rectangle patch.

    Examples
    --------
    >>> len(plot_receptive_field_box(torch.rand(3, 8, 8), (-1, 2, 4, 7)).patches)
    1
    """
    ax = show_image(image, ax=ax)
    if title is not None:
        ax.set_title(title, fontsize=9)
    top, left, bottom, right = (int(v) for v in box)
    ax.add_patch(Rectangle((left - 0.5, top - 0.5), right - left, bottom - top,
                           fill=False, edgecolor=color, linewidth=1.5, clip_on=False))
    return ax
