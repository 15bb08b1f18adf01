"""Figures for verification and recognition: ROC/DET, distance histograms, pairs with decisions,
the open-set curve, an open-set confusion matrix and identification time vs gallery size.

Drawing only: the numbers come from :mod:`coursekit.verification` and :mod:`coursekit.recognition.open_set`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy.stats import norm

from ..validation import check_array
from .images import show_image

__all__ = [
    "plot_roc", "plot_det", "plot_distance_histograms", "plot_pairs",
    "plot_open_set_curve", "plot_confusion", "plot_timings",
]


def _np(x, name: str) -> np.ndarray:
    return check_array(x, name).astype(np.float64)


def _same_len(a: np.ndarray, b: np.ndarray, na: str, nb: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{na} and {nb} must have the same length, got {len(a)} and {len(b)}")


def _ax(ax: Axes | None, size=(4.5, 4)) -> Axes:
    return plt.subplots(figsize=size)[1] if ax is None else ax


def plot_roc(far, tar, *, ax: Axes | None = None, label: str | None = None, log_far: bool = False) -> Axes:
    """ROC: true accept rate (T,) against false accept rate (T,); ``log_far`` for the low-FAR end.

    Parameters
    ----------
    far, tar : Tensor or array of shape (T,)
        False and true accept rates at T thresholds, in [0, 1] (e.g. from ``roc_curve``).
    ax : Axes, optional
        Where to draw; a new figure when None.
    label : str, optional
        Legend entry, to overlay several curves.
    log_far : bool
        Logarithmic FAR axis.

    Returns
    -------
    Axes
    """
    far, tar = _np(far, "far"), _np(tar, "tar")
    _same_len(far, tar, "far", "tar")
    ax = _ax(ax)
    ax.plot(far, tar, label=label, drawstyle="steps-post")
    if log_far:
        ax.set_xscale("log")
        ax.set_xlim(max(far[far > 0].min(initial=1e-3) / 2, 1e-5), 1)
    else:
        ax.plot([0, 1], [0, 1], ls=":", color="gray", lw=1)
    ax.set(xlabel="false accept rate (FAR)", ylabel="true accept rate (TAR)", ylim=(0, 1.01))
    if label:
        ax.legend(loc="lower right", fontsize=8)
    return ax


def plot_det(far, frr, *, ax: Axes | None = None, label: str | None = None) -> Axes:
    """DET: FRR against FAR on normal-deviate axes (straight lines for Gaussian scores).

    Rates of exactly 0 or 1 cannot be drawn on these axes and are clipped to [1e-4, 1 − 1e-4].

    Parameters
    ----------
    far, frr : Tensor or array of shape (T,)
        False accept and false reject rates at T thresholds, in [0, 1].
    ax : Axes, optional
        Where to draw; a new figure when None.
    label : str, optional
        Legend entry.

    Returns
    -------
    Axes
        Ticks labelled in rates (probit scale underneath).
    """
    far, frr = _np(far, "far"), _np(frr, "frr")
    _same_len(far, frr, "far", "frr")
    ax = _ax(ax)
    clip = (1e-4, 1 - 1e-4)
    ax.plot(norm.ppf(np.clip(far, *clip)), norm.ppf(np.clip(frr, *clip)), label=label)
    ticks = np.array([0.001, 0.01, 0.05, 0.2, 0.5, 0.8])
    for set_ticks, set_labels in ((ax.set_xticks, ax.set_xticklabels), (ax.set_yticks, ax.set_yticklabels)):
        set_ticks(norm.ppf(ticks))
        set_labels([f"{t:g}" for t in ticks])
    lim = norm.ppf([5e-4, 0.9])
    ax.set(xlim=lim, ylim=lim, xlabel="false accept rate (FAR)", ylabel="false reject rate (FRR)")
    ax.plot(lim, lim, ls=":", color="gray", lw=1)  # FAR = FRR: the EER is where a curve crosses it
    ax.grid(alpha=0.3)
    if label:
        ax.legend(loc="upper right", fontsize=8)
    return ax


def plot_distance_histograms(
    distances, is_same, *, threshold: float | None = None, ax: Axes | None = None, bins: int = 40,
    xlabel: str = "distance",
) -> Axes:
    """Histograms of the distances (P,) of same and different pairs, with the threshold as a line.

    Parameters
    ----------
    distances : Tensor or array of shape (P,)
    is_same : Tensor or array of shape (P,), bool
    threshold : float, optional
        Drawn as a vertical line.
    ax : Axes, optional
        Where to draw; a new figure when None.
    bins : int
        Bins shared by both histograms.
    xlabel : str

    Returns
    -------
    Axes
    """
    d = _np(distances, "distances")
    y = np.asarray(is_same.detach().cpu() if isinstance(is_same, torch.Tensor) else is_same)
    if y.dtype != bool or y.shape != d.shape:
        raise ValueError(f"is_same must be a bool array of shape {d.shape}, got {y.dtype} {y.shape}")
    ax = _ax(ax, (5.5, 3.2))
    edges = np.histogram_bin_edges(d, bins=bins)
    ax.hist(d[y], bins=edges, alpha=0.6, color="tab:green", label=f"same person ({int(y.sum())})", density=True)
    ax.hist(d[~y], bins=edges, alpha=0.6, color="tab:red", label=f"different people ({int((~y).sum())})", density=True)
    if threshold is not None:
        ax.axvline(float(threshold), color="black", ls="--", label=f"threshold {float(threshold):.3g}")
    ax.set(xlabel=xlabel, ylabel="density")
    ax.legend(fontsize=8)
    return ax


def plot_pairs(
    images1, images2, distances, is_same, threshold: float, *, names1: Sequence[str] | None = None,
    names2: Sequence[str] | None = None, ncols: int = 4, size: float = 1.5, kind: str = "distance",
) -> Figure:
    """Each pair side by side with its score and decision; green title = correct, red = wrong.

    images1, images2 : (P, C, H, W) tensors (uint8 or float in [0, 1]); distances (P,);
    is_same (P,) bool. The decision is ``d <= threshold`` (``kind="similarity"``: ``>=``).

    Parameters
    ----------
    images1, images2 : Tensor of shape (P, C, H, W)
        The two sides of each pair, uint8 or float in [0, 1].
    distances : Tensor, array or sequence of shape (P,)
        Score of each pair.
    is_same : Tensor, array or sequence of shape (P,), bool
        The truth.
    threshold : float
        The decision threshold.
    names1, names2 : sequence of P str, optional
        Shown under the images.
    ncols : int
        Pairs per row.
    size : float
        Inches per image.
    kind : {"distance", "similarity"}
        How the score is compared with ``threshold``.

    Returns
    -------
    Figure
    """
    d = _np(distances, "distances")
    y = np.asarray(is_same.detach().cpu() if isinstance(is_same, torch.Tensor) else is_same).astype(bool)
    n = len(d)
    if len(images1) != n or len(images2) != n or y.shape != (n,):
        raise ValueError(f"images1, images2, distances and is_same must all have {n} entries, got "
                         f"{len(images1)}, {len(images2)}, {n} and {len(y)}")
    if kind not in ("distance", "similarity"):
        raise ValueError(f"kind must be 'distance' or 'similarity', got {kind!r}")
    accept = d <= threshold if kind == "distance" else d >= threshold
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, 2 * ncols, figsize=(2 * size * ncols, (size + 0.55) * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for k in range(n):
        a1, a2 = axes[k // ncols, 2 * (k % ncols)], axes[k // ncols, 2 * (k % ncols) + 1]
        # title_color given explicitly: show_image passes None on to matplotlib, which rejects it
        show_image(images1[k], ax=a1, title=None if names1 is None else names1[k][:14], title_color="black")
        show_image(images2[k], ax=a2, title=None if names2 is None else names2[k][:14], title_color="black")
        a1.axis("on")
        a2.axis("on")
        ok = accept[k] == y[k]
        color = "tab:green" if ok else "tab:red"
        verdict = ("same" if accept[k] else "different") + (" ✓" if ok else " ✗")
        a1.set_xlabel(f"d={d[k]:.2f} → {verdict}", color=color, fontsize=9, loc="left")
        for a in (a1, a2):  # a coloured frame groups the two images of a pair
            for spine in a.spines.values():
                spine.set(color=color, linewidth=2)
    fig.suptitle(f"decision: {'d ≤' if kind == 'distance' else 's ≥'} {threshold:.3g}; "
                 "green = correct, red = wrong", fontsize=10)
    fig.tight_layout()
    return fig


def plot_open_set_curve(far, dir_, *, ax: Axes | None = None, label: str | None = None, log_far: bool = True) -> Axes:
    """Detection-and-identification rate (T,) against false accept rate (T,) (open-set ROC).

    Parameters
    ----------
    far : Tensor or array of shape (T,)
        False accept rate: unknown probes accepted as someone.
    dir_ : Tensor or array of shape (T,)
        Detection and identification rate: known probes accepted as the right person.
    ax : Axes, optional
        Where to draw; a new figure when None.
    label : str, optional
        Legend entry.
    log_far : bool
        Logarithmic FAR axis (default).

    Returns
    -------
    Axes
    """
    far, dir_ = _np(far, "far"), _np(dir_, "dir_")
    _same_len(far, dir_, "far", "dir_")
    ax = _ax(ax)
    ax.plot(far, dir_, label=label, drawstyle="steps-post")
    if log_far and (far > 0).any():
        ax.set_xscale("log")
        ax.set_xlim(far[far > 0].min() / 2, 1.05)
    ax.set(xlabel="false accept rate (unknown people accepted)", ylabel="detection & identification rate",
           ylim=(0, 1.01))
    if label:
        ax.legend(loc="lower right", fontsize=8)
    return ax


# legible at a notebook's width: points, for tick labels, counts in the cells, axis labels and title
CONFUSION_FONTSIZE = {"ticks": 10, "counts": 11, "labels": 11, "title": 12}
_CELL_INCHES = 0.55  # one matrix cell on a figure plot_confusion makes itself


def plot_confusion(matrix, labels: Sequence[str], *, ax: Axes | None = None, title: str | None = None) -> Axes:
    """A (K, K) confusion matrix (rows: truth, columns: decision) with the counts in the cells.

    Font sizes are ``CONFUSION_FONTSIZE`` (points); without ``ax`` the figure gives each cell
    0.55 inch, so a K = 7 matrix is about 6.3 x 5.5 inches. Labels longer than 14 characters
    end in an ellipsis.

    Parameters
    ----------
    matrix : array of shape (K, K), counts
    labels : sequence of K str
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Axes
    """
    m = np.asarray(matrix)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] != len(labels):
        raise ValueError(f"matrix must be square with one row per label ({len(labels)}), got shape {m.shape}")
    k = len(labels)
    fs = CONFUSION_FONTSIZE
    ax = _ax(ax, (_CELL_INCHES * k + 2.5, _CELL_INCHES * k + 1.6))
    ax.imshow(m, cmap="Blues", vmin=0)
    names = [str(s) if len(str(s)) <= 14 else str(s)[:13] + "…" for s in labels]
    ax.set_xticks(range(k), names, rotation=45, ha="right", rotation_mode="anchor", fontsize=fs["ticks"])
    ax.set_yticks(range(k), names, fontsize=fs["ticks"])
    for i, j in zip(*np.nonzero(m), strict=True):
        ax.text(j, i, int(m[i, j]), ha="center", va="center", fontsize=fs["counts"],
                color="white" if m[i, j] > m.max() / 2 else "black")
    ax.set_xlabel("decision", fontsize=fs["labels"])
    ax.set_ylabel("truth", fontsize=fs["labels"])
    if title:
        ax.set_title(title, fontsize=fs["title"])
    return ax


def plot_timings(sizes, seconds: Mapping[str, Sequence[float]], *, ax: Axes | None = None,
                 ylabel: str = "seconds per probe") -> Axes:
    """Time (one line per method) against gallery size, log-log.

    Parameters
    ----------
    sizes : sequence of S int
        Gallery sizes.
    seconds : mapping str -> sequence of S float
        Measured time per method, one value per size.
    ax : Axes, optional
        Where to draw; a new figure when None.
    ylabel : str

    Returns
    -------
    Axes
    """
    x = _np(sizes, "sizes")
    ax = _ax(ax)
    for name, t in seconds.items():
        t = _np(t, f"seconds[{name!r}]")
        _same_len(x, t, "sizes", f"seconds[{name!r}]")
        ax.plot(x, t, marker="o", label=name)
    ax.set(xscale="log", yscale="log", xlabel="people enrolled", ylabel=ylabel)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.17), frameon=False)  # below: long names
    return ax
