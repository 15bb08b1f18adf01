"""Figures for 1-D and 3-D convolutions: a 3-D kernel in a volume, clip frames, signals, 1-D feature maps,
training curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

from ..validation import check_int

__all__ = ["plot_conv3d_kernel", "plot_clips", "plot_signals", "plot_token_activations", "plot_accuracy_curves"]


def _np(x: torch.Tensor | np.ndarray, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().float().numpy()
    if isinstance(x, np.ndarray):
        return x.astype(np.float32)
    raise TypeError(f"{name} must be a tensor or ndarray, got {type(x).__name__}")


def plot_clips(clips: torch.Tensor | np.ndarray, titles: Sequence[str] | None = None, *,
               max_frames: int = 8, cell: float = 1.1) -> Figure:
    """One row per clip, one column per frame (time runs left to right).

    Parameters
    ----------
    clips : Tensor or ndarray of shape (N, 1, T, H, W) or (N, T, H, W)
        Grayscale clips, values in [0, 1].
    titles : sequence of str, optional
        One title per clip, shown at the start of its row.
    max_frames : int
        At most this many frames per clip, evenly spaced (default 8).
    cell : float
        Size of one frame in inches.

    Returns
    -------
    Figure
        N rows × min(T, max_frames) columns of images.
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

    Parameters
    ----------
    signals : Tensor or ndarray of shape (N, 1, L) or (N, L)
        The signals, one panel each.
    fs : float
        Sampling rate in Hz: sample ``i`` is drawn at ``t = i / fs``.
    titles : sequence of str, optional
        One title per panel.
    marks : sequence of int, optional
        One sample index per signal (−1 for none): a red line at an event.
    activations : Tensor or ndarray of shape (N, L'), optional
        A feature map per signal, drawn on a twin axis stretched to the signal's length.

    Returns
    -------
    Figure
        N panels stacked vertically, sharing the time axis.
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

    Parameters
    ----------
    tokens : sequence of str
        The sentence, one token per position.
    activations : Tensor or ndarray of shape (C, L'), L' <= len(tokens)
        Column ``t`` is the window that starts at ``tokens[t]``.
    ax : Axes, optional
        Where to draw; a new figure when None.
    title : str, optional
        The axes' title.

    Returns
    -------
    Axes
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
    """Test accuracy per epoch of several runs (``{"C3D": [...], "per-frame 2-D": [...]}``), with a chance line.

    Parameters
    ----------
    curves : mapping of str to sequence of float
        One non-empty list of accuracies (one per epoch) per run name.
    chance : float, optional
        Draws a dashed line at this accuracy (e.g. 1 / number of classes).
    ax : Axes, optional
        Where to draw; a new figure when None.
    xlabel : str
        Label of the x axis (default "epoch").

    Returns
    -------
    Axes
    """
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


def _triple(value, name: str, minimum: int = 1) -> tuple[int, int, int]:
    if not isinstance(value, (tuple, list)) or len(value) != 3:
        raise TypeError(f"{name} must be a tuple of 3 ints (depth, height, width), got {value!r}")
    return tuple(check_int(v, f"{name}[{i}]", minimum=minimum) for i, v in enumerate(value))


def _box_faces(origin: Sequence[float], size: Sequence[float]) -> list[np.ndarray]:
    """The six faces of the axis-aligned box ``origin + [0, size]`` as (4, 3) vertex arrays (x, y, z)."""
    o, d = np.asarray(origin, dtype=float), np.asarray(size, dtype=float)
    corners = np.array([[i, j, k] for i in (0, 1) for j in (0, 1) for k in (0, 1)], dtype=float) * d + o
    quads = [(0, 1, 3, 2), (4, 5, 7, 6), (0, 1, 5, 4), (2, 3, 7, 6), (0, 2, 6, 4), (1, 3, 7, 5)]
    return [corners[list(q)] for q in quads]


def _draw_box(ax, origin, size, *, color: str, alpha: float, edge: str = "k") -> Poly3DCollection:
    box = Poly3DCollection(_box_faces(origin, size), facecolors=color, edgecolors=edge, linewidths=0.6, alpha=alpha)
    ax.add_collection3d(box)
    return box


def plot_conv3d_kernel(volume: Sequence[int] = (14, 14, 14), kernel: Sequence[int] = (5, 5, 5), *,
                       positions: Sequence[Sequence[int]] | None = None, in_channels: int = 1,
                       out_channels: int = 16) -> Figure:
    """A 3-D kernel sliding through a volume (left) and the output volume it fills (right).

    Each kernel position (depth, height, width offsets, no padding, stride 1) is drawn as a box inside the
    input volume, and the output voxel it computes is drawn in the same colour inside the output volume of
    size ``volume - kernel + 1`` per axis. Axes: x = width, y = height, z = depth (or time).

    Parameters
    ----------
    volume : tuple of 3 int
        (depth, height, width) of the input, e.g. a CT scan (slices, rows, columns) or a clip (T, H, W).
    kernel : tuple of 3 int
        (depth, height, width) of the filter; each at most the volume's size on that axis.
    positions : sequence of (d, h, w) int offsets, optional
        Kernel positions to draw, each with ``0 <= offset <= volume - kernel``. Default: three positions
        along the depth axis (start, middle, end), at height and width 0.
    in_channels, out_channels : int
        Only for the titles: the kernel spans all ``in_channels``; ``out_channels`` filters give that many
        output volumes.

    Returns
    -------
    Figure
        Two 3-D Axes: ``fig.axes[0]`` the input, ``fig.axes[1]`` the output. In each, the first collection
        is the volume and the next ones are the kernel boxes (input) or output voxels (output), in the order
        of ``positions``.
    """
    vol, ker = _triple(volume, "volume"), _triple(kernel, "kernel")
    for i, (n, f) in enumerate(zip(vol, ker, strict=True)):
        if f > n:
            raise ValueError(f"kernel[{i}] must be at most volume[{i}]={n}, got {f}")
    c_in = check_int(in_channels, "in_channels", minimum=1)
    c_out = check_int(out_channels, "out_channels", minimum=1)
    out = tuple(n - f + 1 for n, f in zip(vol, ker, strict=True))
    if positions is None:
        positions = [(0, 0, 0), ((out[0] - 1) // 2, 0, 0), (out[0] - 1, 0, 0)]
    if not isinstance(positions, (list, tuple)) or len(positions) == 0:
        raise TypeError(f"positions must be a non-empty sequence of (d, h, w) offsets, got {positions!r}")
    pos = []
    for j, p in enumerate(positions):
        q = _triple(p, f"positions[{j}]", minimum=0)
        for i, (v, m) in enumerate(zip(q, out, strict=True)):
            if v > m - 1:
                raise ValueError(f"positions[{j}][{i}] must be at most volume - kernel = {m - 1}, got {v}")
        pos.append(q)
    colors = plt.get_cmap("autumn")(np.linspace(0, 0.8, len(pos)))
    fig = plt.figure(figsize=(10, 4.6))
    panels = [(vol, f"input {'×'.join(map(str, vol))}×{c_in}, kernel {'×'.join(map(str, ker))}×{c_in}"),
              (out, f"output {'×'.join(map(str, out))} per filter; {c_out} filters: {'×'.join(map(str, out))}×{c_out}")]
    for k, (size, title) in enumerate(panels):
        ax = fig.add_subplot(1, 2, k + 1, projection="3d")
        d, h, w = size
        _draw_box(ax, (0, 0, 0), (w, h, d), color="lightsteelblue", alpha=0.08, edge="gray")
        for (pd, ph, pw), color in zip(pos, colors, strict=True):
            if k == 0:
                _draw_box(ax, (pw, ph, pd), (ker[2], ker[1], ker[0]), color=color, alpha=0.35)
            else:
                _draw_box(ax, (pw, ph, pd), (1, 1, 1), color=color, alpha=0.9)
        lim = max(vol)
        ax.set(xlim=(0, lim), ylim=(0, lim), zlim=(0, lim), xlabel="width", ylabel="height", zlabel="depth / time")
        ax.set_box_aspect((1, 1, 1))
        ax.set_title(title, fontsize=9)
        ax.view_init(elev=18, azim=-60)
    fig.tight_layout()
    return fig
