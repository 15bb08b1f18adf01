"""Figures for neural style transfer: Gram matrices, grids of results, loss curves."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .images import show_image

__all__ = ["plot_gram_matrix", "style_grid", "image_row", "plot_transfer_history"]


def plot_gram_matrix(gram: torch.Tensor | np.ndarray, *, ax: Axes | None = None,
                     title: str | None = None, max_channels: int | None = 64) -> Axes:
    """Draw a Gram matrix (C, C) as a heat map (first ``max_channels`` channels), with a colour bar."""
    g = gram.detach().cpu().numpy() if isinstance(gram, torch.Tensor) else np.asarray(gram)
    if g.ndim != 2 or g.shape[0] != g.shape[1]:
        raise ValueError(f"gram must have shape (C, C), got {g.shape}")
    if max_channels is not None:
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


def image_row(images: Sequence, titles: Sequence[str] | None = None, *, size: float = 2.4) -> Figure:
    """Draw images side by side, each with an optional title; returns the Figure."""
    if len(images) == 0:
        raise ValueError("images must hold at least one image, got none")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles must have one entry per image ({len(images)}), got {len(titles)}")
    fig, axes = plt.subplots(1, len(images), figsize=(size * len(images), size + 0.3), squeeze=False)
    for i, image in enumerate(images):
        _show(image, axes[0, i], None if titles is None else titles[i])
    fig.tight_layout()
    return fig


def style_grid(contents: Sequence, styles: Sequence, results: Sequence[Sequence], *,
               size: float = 2.0, content_names: Sequence[str] | None = None,
               style_names: Sequence[str] | None = None) -> Figure:
    """Draw a content × style grid: styles along the top row, contents down the left column.

    ``results[i][j]`` is content i painted in style j; images are (3, H, W) tensors in [0, 1]
    or arrays accepted by ``to_hwc``.
    """
    n_c, n_s = len(contents), len(styles)
    if n_c == 0 or n_s == 0:
        raise ValueError(f"need at least one content and one style, got {n_c} and {n_s}")
    if len(results) != n_c or any(len(row) != n_s for row in results):
        shape = [len(row) for row in results]
        raise ValueError(f"results must be {n_c} rows of {n_s} images, got rows of lengths {shape}")
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
    """Draw a cost (``"total"``, ``"content"``, ``"style"`` or ``"tv"``) against evaluations of J.

    ``histories`` is one ``TransferHistory`` or a list of them; the y axis is logarithmic and
    dotted vertical lines mark where a coarse-to-fine stage changed size.
    """
    if not isinstance(histories, (list, tuple)):
        histories = [histories]
    if key not in ("total", "content", "style", "tv"):
        raise ValueError(f"key must be 'total', 'content', 'style' or 'tv', got {key!r}")
    if labels is not None and len(labels) != len(histories):
        raise ValueError(f"labels must have one entry per history ({len(histories)}), got {len(labels)}")
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
