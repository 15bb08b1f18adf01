"""Figures for learned embeddings: distance histograms before/after, 2-D maps, training curves.

Drawing only: distances come from :func:`coursekit.training.embedding.held_out_distances`,
2-D points from :func:`coursekit.training.embedding.project_2d`, curves from a training
history (``coursekit.training.History`` or any object with the same attributes). This module
imports no training code: a figure never trains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..validation import check_array
from .verification import plot_distance_histograms

__all__ = ["plot_distance_shift", "plot_embedding_2d", "plot_triplet_history"]


def plot_distance_shift(
    before, after, is_same, *, titles: Sequence[str] = ("before training", "after training"), bins: int = 40,
    sharex: bool = False,
) -> Figure:
    """Same-vs-different distance histograms of the same pairs (P,), side by side.

    Each panel has its own x range unless ``sharex`` (the scale itself often changes in training).

    Parameters
    ----------
    before, after : Tensor or array of shape (P,)
        Distances of the same pairs before and after training.
    is_same : Tensor or array of shape (P,), bool
        Whether each pair shows one person.
    titles : (str, str)
        The two panels' titles.
    bins : int
        Histogram bins per panel.
    sharex : bool
        One x range for both panels.

    Returns
    -------
    Figure
        Two Axes, ``before`` on the left.
    """
    before, after = check_array(before, "before"), check_array(after, "after")
    if before.shape != after.shape:
        raise ValueError(f"before and after must hold the same pairs, got shapes {before.shape} and {after.shape}")
    if len(titles) != 2:
        raise ValueError(f"titles must have 2 entries, got {len(titles)}")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharex=sharex)
    for ax, d, title in zip(axes, (before, after), titles, strict=True):
        plot_distance_histograms(d, is_same, ax=ax, bins=bins, xlabel="Euclidean distance between embeddings")
        ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_embedding_2d(
    points, labels, *, names: Sequence[str] | None = None, ax: Axes | None = None, title: str | None = None
) -> Axes:
    """Scatter of 2-D points (N, 2), one colour and marker per identity in ``labels`` (N,).

    Parameters
    ----------
    points : Tensor or array of shape (N, 2)
        2-D coordinates (e.g. a PCA or t-SNE projection of the embeddings).
    labels : Tensor or array of shape (N,), integer
        Identity of each point.
    names : sequence of str, optional
        Legend name of each identity, indexed by label.
    ax : Axes, optional
        Where to draw; a new figure when None.
    title : str, optional

    Returns
    -------
    Axes
    """
    pts = check_array(points, "points", ndim=2, shape="(N, 2)")
    if pts.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {pts.shape}")
    y = check_array(labels, "labels", shape="(N,)")
    if len(y) != len(pts):
        raise ValueError(f"labels has {len(y)} entries for {len(pts)} points")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    cmap, markers = plt.get_cmap("tab10"), "os^DvP*X"
    for i, c in enumerate(np.unique(y)):
        m = y == c
        label = names[int(c)] if names is not None else str(c)
        ax.scatter(pts[m, 0], pts[m, 1], s=28, color=cmap(i % 10), marker=markers[(i // 10) % len(markers)],
                   label=label, edgecolors="white", linewidths=0.4)
    if len(np.unique(y)) <= 20:
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return ax


def _smooth(values: Sequence[float], window: int) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if window <= 1 or len(v) < window:
        return v
    return np.convolve(v, np.ones(window) / window, mode="valid")


_HISTORY_FIELDS = ("step", "loss", "metrics", "eval_step", "eval_metrics")


def _is_history(h) -> bool:
    """Duck typing for ``coursekit.training.History``: plotting never imports training."""
    return all(hasattr(h, name) for name in _HISTORY_FIELDS)


def plot_triplet_history(histories, *, smooth: int = 10) -> Figure:
    """Training loss, fraction of positive triplets and (if recorded) held-out AUC, per run.

    Parameters
    ----------
    histories : History or mapping of str to History
        One training history (``coursekit.training.History``: ``step``, ``loss``,
        ``metrics["fraction_positive"]``, ``eval_step``, ``eval_metrics["held_out_auc"]``) or
        ``{"batch-all": h1, "batch-hard": h2, ...}``.
    smooth : int
        Per-step curves are averaged over a moving window of this many steps.

    Returns
    -------
    Figure
        Two panels (loss, fraction), three when a held-out AUC was recorded.
    """
    runs = {"": histories} if _is_history(histories) else dict(histories) if isinstance(histories, Mapping) else {}
    if not runs or not all(_is_history(h) for h in runs.values()):
        raise TypeError("histories must be a History or a non-empty mapping of name -> History")
    has_auc = any(h.eval_metrics.get("held_out_auc") for h in runs.values())
    fig, axes = plt.subplots(1, 3 if has_auc else 2, figsize=(13 if has_auc else 9, 3.2))
    for name, h in runs.items():
        if not h.step:
            raise ValueError(f"history {name!r} has no steps to draw")
        w = min(smooth, len(h.step))
        x = np.asarray(h.step[w - 1:]) if w > 1 else np.asarray(h.step)
        axes[0].plot(x, _smooth(h.loss, w), label=name or None)
        if "fraction_positive" in h.metrics:
            axes[1].plot(x, _smooth(h.metrics["fraction_positive"], w), label=name or None)
        if has_auc and h.eval_metrics.get("held_out_auc"):
            axes[2].plot(h.eval_step, h.eval_metrics["held_out_auc"], marker="o", ms=3, label=name or None)
    axes[0].set(xlabel="step", ylabel="loss", title="training loss")
    axes[1].set(xlabel="step", ylabel="fraction", title="valid triplets with loss > 0", ylim=(0, 1.02))
    if has_auc:
        axes[2].set(xlabel="step", ylabel="ROC AUC", title="verification on held-out people")
    for ax in axes:
        ax.grid(alpha=0.3)
        if len(runs) > 1:
            ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
