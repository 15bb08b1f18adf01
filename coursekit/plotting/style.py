"""Figures for neural style transfer: Gram matrices, rows and grids of images, loss curves."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..validation import check_choice, check_int
from .images import show_image

__all__ = ["plot_gram_matrix", "style_grid", "image_row", "plot_transfer_history"]

_COST_KEYS = ("total", "content", "style", "tv")


def plot_gram_matrix(gram: torch.Tensor | np.ndarray, *, ax: Axes | None = None,
                     title: str | None = None, max_channels: int | None = 64) -> Axes:
    """Draw a Gram matrix as a heat map (its first ``max_channels`` channels), with a colour bar.

    Parameters
    ----------
    gram : Tensor or ndarray of shape (C, C)
        A Gram matrix, e.g. ``coursekit.style.gram_matrix(a)`` for activations (C, H, W).
    ax : Axes, optional
        Where to draw (default: a new figure).
    title : str, optional
    max_channels : int >= 1 or None
        Draw only the top-left ``max_channels`` × ``max_channels`` block (None: all of it).

    Returns
    -------
    Axes
        The heat map's axes (its figure also holds the colour bar's axes).

    Examples
    --------
    >>> plot_gram_matrix(torch.eye(3), title="G").get_title()
    'G'
    """
    if not isinstance(gram, (torch.Tensor, np.ndarray)):
        raise TypeError(f"gram must be a torch.Tensor or np.ndarray of shape (C, C), got {type(gram).__name__}")
    g = gram.detach().cpu().numpy() if isinstance(gram, torch.Tensor) else np.asarray(gram)
    if g.ndim != 2 or g.shape[0] != g.shape[1]:
        raise ValueError(f"gram must have shape (C, C), got {g.shape}")
    if max_channels is not None:
        max_channels = check_int(max_channels, "max_channels", minimum=1)
        g = g[:max_channels, :max_channels]
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 3))
    im = ax.imshow(g, cmap="magma")
    ax.figure.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xlabel("channel k'")
    ax.set_ylabel("channel k")
    if title is not None:
        ax.set_title(title, fontsize=9)
    return ax


def _show(image, ax: Axes, title: str | None) -> None:
    show_image(image, ax=ax)
    if title is not None:
        ax.set_title(title, fontsize=9)


def _check_names(names, n: int, arg: str, per: str = "image") -> None:
    if names is not None and len(names) != n:
        raise ValueError(f"{arg} must have one entry per {per} ({n}), got {len(names)}")


def image_row(images: Sequence, titles: Sequence[str] | None = None, *, size: float = 2.4) -> Figure:
    """Draw images side by side, each with an optional title.

    Parameters
    ----------
    images : sequence of Tensor (3, H, W) or (H, W), or ndarray (H, W, 3) / (H, W)
        Values in [0, 1]; the images may have different sizes.
    titles : sequence of str, optional
        One per image.
    size : float
        Height and width of each panel in inches.

    Returns
    -------
    Figure
        One axes per image, left to right.

    Examples
    --------
    >>> len(image_row([torch.rand(3, 8, 8), torch.rand(3, 8, 8)], ["a", "b"]).axes)
    2
    """
    if isinstance(images, (torch.Tensor, np.ndarray)) and images.ndim < 4:
        raise TypeError("images must be a sequence of images (a list, or a batch (N, 3, H, W)), got one image")
    if len(images) == 0:
        raise ValueError("images must hold at least one image, got none")
    _check_names(titles, len(images), "titles")
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size + 0.3), squeeze=False)
    for i, image in enumerate(images):
        _show(image, axes[0, i], None if titles is None else titles[i])
    fig.tight_layout()
    return fig


def style_grid(contents: Sequence, styles: Sequence, results: Sequence[Sequence], *,
               size: float = 2.0, content_names: Sequence[str] | None = None,
               style_names: Sequence[str] | None = None) -> Figure:
    """Draw a content × style grid: styles along the top row, contents down the left column.

    Parameters
    ----------
    contents : sequence of n_c images, Tensor (3, H, W) in [0, 1] (or arrays ``to_hwc`` accepts)
    styles : sequence of n_s images
    results : n_c sequences of n_s images
        ``results[i][j]`` is content i painted in style j.
    size : float
        Side of each panel in inches.
    content_names, style_names : sequence of str, optional
        Titles of the contents (n_c) and the styles (n_s); default "content" and "style".

    Returns
    -------
    Figure
        (n_c + 1) × (n_s + 1) axes in row-major order; the top-left one is switched off.

    Examples
    --------
    >>> im = torch.rand(3, 8, 8)
    >>> len(style_grid([im], [im, im], [[im, im]]).axes)
    6
    """
    n_c, n_s = len(contents), len(styles)
    if n_c == 0 or n_s == 0:
        raise ValueError(f"need at least one content and one style, got {n_c} and {n_s}")
    if len(results) != n_c or any(len(row) != n_s for row in results):
        shape = [len(row) for row in results]
        raise ValueError(f"results must be {n_c} rows of {n_s} images, got rows of lengths {shape}")
    _check_names(content_names, n_c, "content_names", "content")
    _check_names(style_names, n_s, "style_names", "style")
    fig, axes = plt.subplots(n_c + 1, n_s + 1, figsize=(size * (n_s + 1), size * (n_c + 1)), squeeze=False)
    axes[0, 0].axis("off")
    for j, s in enumerate(styles):
        _show(s, axes[0, j + 1], style_names[j] if style_names else "style")
    for i, c in enumerate(contents):
        _show(c, axes[i + 1, 0], content_names[i] if content_names else "content")
        for j in range(n_s):
            _show(results[i][j], axes[i + 1, j + 1], None)
    fig.tight_layout()
    return fig


def plot_transfer_history(histories, labels: Sequence[str] | None = None, *, ax: Axes | None = None,
                          key: str = "total") -> Axes:
    """Draw one cost of style-transfer runs against the number of evaluations of J.

    The y axis is logarithmic; dotted vertical lines mark where a coarse-to-fine stage changed
    the image size.

    Parameters
    ----------
    histories : TransferHistory or list of TransferHistory
        From ``coursekit.style.transfer_style``; each has lists ``evaluation``, ``size`` and
        the costs, all of length n_evaluations.
    labels : sequence of str, optional
        One legend entry per history.
    ax : Axes, optional
        Where to draw (default: a new figure).
    key : {"total", "content", "style", "tv"}
        Which cost to draw.

    Returns
    -------
    Axes
        One line per history.
    """
    if not isinstance(histories, (list, tuple)):
        histories = [histories]
    check_choice(key, "key", _COST_KEYS)
    for i, h in enumerate(histories):
        if not all(hasattr(h, name) for name in ("evaluation", "size", key)):
            raise TypeError(f"histories[{i}] must be a TransferHistory, got {type(h).__name__}")
    _check_names(labels, len(histories), "labels", "history")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    for i, h in enumerate(histories):
        values = np.asarray(getattr(h, key), dtype=float)
        line, = ax.plot(h.evaluation, np.maximum(values, 1e-12), lw=1.2,
                        label=labels[i] if labels is not None else None)
        for n, (a, b) in enumerate(zip(h.size[:-1], h.size[1:], strict=True)):
            if a != b:
                ax.axvline(h.evaluation[n + 1], color=line.get_color(), ls=":", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("evaluations of J (forward + backward passes)")
    ax.set_ylabel(f"{key} cost")
    if labels is not None:
        ax.legend(fontsize=8)
    return ax
