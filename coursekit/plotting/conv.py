"""Figures for 1-D and 3-D convolutions: clip frames, signals, 1-D feature maps, training curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["plot_clips", "plot_signals", "plot_token_activations", "plot_accuracy_curves"]


def _np(x: torch.Tensor | np.ndarray, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().float().numpy()
    if isinstance(x, np.ndarray):
        return x.astype(np.float32)
    raise TypeError(f"{name} must be a tensor or ndarray, got {type(x).__name__}")


def plot_clips(clips: torch.Tensor | np.ndarray, titles: Sequence[str] | None = None, *,
               max_frames: int = 8, cell: float = 1.1) -> Figure:
    """One row per clip, one column per frame (time runs left to right).

    clips : (N, 1, T, H, W) or (N, T, H, W), values in [0, 1].
    """
    arr = _np(clips, "clips")
    if arr.ndim == 5:
        if arr.shape[1] != 1:
            raise ValueError(f"clips must be grayscale (N, 1, T, H, W), got {arr.shape}")
        arr = arr[:, 0]
    if arr.ndim != 4 or arr.shape[0] == 0:
        raise ValueError(f"clips must have shape (N, 1, T, H, W) or (N, T, H, W) with N >= 1, got {arr.shape}")
    if titles is not None and len(titles) != arr.shape[0]:
        raise ValueError(f"titles must have one entry per clip ({arr.shape[0]}), got {len(titles)}")
    n, t = arr.shape[0], min(arr.shape[1], max_frames)
    fig, axes = plt.subplots(n, t, figsize=(cell * t + 1.2, cell * n), squeeze=False)
    for i in range(n):
        for j in range(t):
            ax = axes[i, j]
            ax.imshow(arr[i, j], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"t={j}", fontsize=8)
        if titles is not None:
            axes[i, 0].set_ylabel(titles[i], rotation=0, ha="right", va="center", fontsize=9)
    fig.tight_layout()
    return fig


def plot_signals(signals: torch.Tensor | np.ndarray, *, fs: float = 1.0, titles: Sequence[str] | None = None,
                 marks: Sequence[int] | None = None, activations: torch.Tensor | np.ndarray | None = None) -> Figure:
    """Stacked 1-D signals (N, 1, L) or (N, L) against time ``t = i / fs``.

    ``marks`` (one sample index per signal, −1 for none) draws a red line at an event;
    ``activations`` (N, L') is drawn on a twin axis, stretched to the signal's length.
    """
    arr = _np(signals, "signals")
    if arr.ndim == 3:
        arr = arr[:, 0]
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f"signals must have shape (N, 1, L) or (N, L) with N >= 1, got {arr.shape}")
    n, length = arr.shape
    for name, seq in (("titles", titles), ("marks", marks)):
        if seq is not None and len(seq) != n:
            raise ValueError(f"{name} must have one entry per signal ({n}), got {len(seq)}")
    act = None if activations is None else _np(activations, "activations")
    if act is not None and (act.ndim != 2 or act.shape[0] != n):
        raise ValueError(f"activations must have shape ({n}, L'), got {act.shape}")
    t = np.arange(length) / fs
    fig, axes = plt.subplots(n, 1, figsize=(10, 1.6 * n), sharex=True, squeeze=False)
    for i, ax in enumerate(axes[:, 0]):
        ax.plot(t, arr[i], lw=0.8, color="tab:blue")
        if marks is not None and int(marks[i]) >= 0:
            ax.axvline(int(marks[i]) / fs, color="tab:red", alpha=0.4, lw=4)
        if act is not None:
            twin = ax.twinx()
            ta = np.linspace(0, t[-1], act.shape[1])
            twin.fill_between(ta, act[i], color="tab:orange", alpha=0.35)
            twin.set_ylim(min(0.0, float(act.min())), float(act.max()) or 1.0)  # one scale for every row
            twin.set_yticks([])
        if titles is not None:
            ax.set_title(titles[i], fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("time (s)" if fs != 1.0 else "sample")
    fig.tight_layout()
    return fig


def plot_token_activations(tokens: Sequence[str], activations: torch.Tensor | np.ndarray, *,
                           ax: Axes | None = None, title: str | None = None) -> Axes:
    """Heat map of feature maps over a sentence: rows = maps, columns = n-gram start positions.

    activations : (C, L') with L' <= len(tokens); column t is the window starting at ``tokens[t]``.
    """
    act = _np(activations, "activations")
    if act.ndim != 2 or act.shape[1] == 0 or act.shape[1] > len(tokens):
        raise ValueError(f"activations must have shape (C, L') with 1 <= L' <= {len(tokens)} tokens, got {act.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4, 0.45 * len(tokens)), 0.25 * act.shape[0] + 1.5))
    ax.imshow(act, aspect="auto", cmap="viridis")
    ax.set_xticks(range(act.shape[1]))
    ax.set_xticklabels(tokens[: act.shape[1]], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("feature map")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def plot_accuracy_curves(curves: Mapping[str, Sequence[float]], *, chance: float | None = None,
                         ax: Axes | None = None, xlabel: str = "epoch") -> Axes:
    """Test accuracy per epoch of several runs (``{"C3D": [...], "per-frame 2-D": [...]}``), with a chance line."""
    if not curves or not all(len(v) for v in curves.values()):
        raise ValueError("curves must map run names to non-empty lists of accuracies")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    for name, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", label=name)
    if chance is not None:
        ax.axhline(chance, color="gray", ls="--", label=f"chance ({chance:.0%})")
    ax.set_xlabel(xlabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    return ax
