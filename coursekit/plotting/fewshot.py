"""Few-shot figures: a Siamese network, an episode, the nearest neighbours a one-shot classifier found,
accuracy vs N and K."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .images import show_image

__all__ = ["plot_siamese", "plot_episode", "plot_nearest_neighbours", "plot_accuracy_vs_way_shot"]


def _check_images(x: torch.Tensor, name: str, dims: int, shape: str) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() != dims:
        raise ValueError(f"{name} must be a tensor of shape {shape}, got {getattr(x, 'shape', type(x).__name__)}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty: nothing to draw")


def plot_siamese(x1: torch.Tensor, x2: torch.Tensor, *, distance: float | None = None,
                 network: str = "f  (weights θ)") -> Figure:
    """The Siamese idea: ONE network f applied to two inputs, its two outputs compared by a distance.

    Two towers are drawn, one per input, both labelled with the same ``network`` name and joined by a
    "shared weights" link (they are the same function with the same parameters, drawn twice); the
    encodings f(x1) and f(x2) meet in d = ‖f(x1) − f(x2)‖².

    Parameters
    ----------
    x1, x2 : Tensor of shape (C, H, W) or (H, W)
        The two images (values in [0, 1] or uint8).
    distance : float, optional
        A measured d to print in the distance box.
    network : str
        The label of both towers.

    Returns
    -------
    Figure
        One Axes; the two images are its inset Axes ``fig.axes[0].child_axes``, the tower boxes its
        patches whose ``get_gid()`` is ``"tower"``.
    """
    for name, x in (("x1", x1), ("x2", x2)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a tensor of shape (C, H, W) or (H, W), got {type(x).__name__}")
        if x.dim() not in (2, 3) or x.numel() == 0:
            raise ValueError(f"{name} must be a non-empty tensor of shape (C, H, W) or (H, W), got {tuple(x.shape)}")
    if distance is not None and (isinstance(distance, bool) or not isinstance(distance, (int, float))):
        raise TypeError(f"distance must be a float or None, got {type(distance).__name__}")
    if not isinstance(network, str):
        raise TypeError(f"network must be a str, got {type(network).__name__}")
    fig, ax = plt.subplots(figsize=(9, 3.6))
    ax.set(xlim=(0, 10), ylim=(0, 4))
    ax.axis("off")

    def box(x, y, w, h, text, color, gid=None):
        patch = FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.05", fc=color, ec="k", gid=gid)
        ax.add_patch(patch)
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=10)

    def arrow(a, b, **kw):
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, **kw))

    for k, (x, y) in enumerate(((x1, 2.9), (x2, 1.1))):
        inset = ax.inset_axes((0.1, y - 0.75, 1.5, 1.5), transform=ax.transData)
        show_image(x, ax=inset)
        inset.set_title(f"$x^{{({k + 1})}}$", fontsize=9)
        box(2.4, y - 0.45, 2.4, 0.9, network, "#cfe2f3", gid="tower")
        box(5.6, y - 0.35, 1.5, 0.7, f"$f(x^{{({k + 1})}})$", "#fff2cc")
        arrow((1.7, y), (2.35, y))
        arrow((4.9, y), (5.55, y))
        arrow((7.15, y), (7.9, 2.0 + (0.3 if k == 0 else -0.3)))
    ax.annotate("", xy=(3.6, 1.6), xytext=(3.6, 2.4), arrowprops=dict(arrowstyle="<->", ls="--", color="tab:red"))
    ax.text(3.75, 2.0, "same weights θ (shared)", color="tab:red", fontsize=9, va="center")
    d_text = r"$d = \|f(x^{(1)}) - f(x^{(2)})\|^2$"
    if distance is not None:
        d_text += f"\n= {float(distance):.3g}"
    box(7.95, 1.55, 1.95, 0.9, d_text, "#d9ead3")
    fig.tight_layout()
    return fig


def plot_episode(
    support: torch.Tensor, query: torch.Tensor, *, class_names: Sequence[str] | None = None, size: float = 1.1,
) -> Figure:
    """One row per class: its ``k_shot`` support images, a gap, then its ``n_query`` query images.

    Parameters
    ----------
    support : Tensor of shape (n_way, k_shot, C, H, W)
    query : Tensor of shape (n_way, n_query, C, H, W)
    class_names : sequence of n_way str, optional

    Returns
    -------
    Figure
        ``n_way`` rows of ``k_shot + 1 + n_query`` Axes (the gap column is blank).
    """
    _check_images(support, "support", 5, "(n_way, k_shot, C, H, W)")
    _check_images(query, "query", 5, "(n_way, n_query, C, H, W)")
    n_way, k_shot = support.shape[:2]
    n_query = query.shape[1]
    if query.shape[0] != n_way:
        raise ValueError(f"query must have n_way={n_way} rows like support, got {query.shape[0]}")
    if class_names is not None and len(class_names) != n_way:
        raise ValueError(f"class_names has {len(class_names)} entries for n_way={n_way}")
    ncols = k_shot + 1 + n_query
    fig, axes = plt.subplots(n_way, ncols, figsize=(size * ncols, size * n_way + 0.5), squeeze=False)
    for j in range(n_way):
        for c in range(ncols):
            ax = axes[j, c]
            if c < k_shot:
                show_image(support[j, c], ax=ax)
            elif c > k_shot:
                show_image(query[j, c - k_shot - 1], ax=ax)
            else:
                ax.axis("off")
        name = class_names[j] if class_names is not None else f"class {j}"
        axes[j, 0].set_ylabel(name, fontsize=7, rotation=0, ha="right", va="center")
    axes[0, 0].set_title("support", fontsize=9, loc="left")
    axes[0, k_shot + 1].set_title("query", fontsize=9, loc="left")
    fig.suptitle(f"{n_way}-way {k_shot}-shot episode, {n_query} queries per class", fontsize=10)
    fig.tight_layout()
    return fig


def plot_nearest_neighbours(
    test: torch.Tensor, training: torch.Tensor, predicted: torch.Tensor, answer: torch.Tensor,
    *, distances: torch.Tensor | None = None, size: float = 1.2,
) -> Figure:
    """For each test item: the item, the training image it was matched to (green when right,
    red when wrong) and the correct training image.

    Parameters
    ----------
    test : Tensor of shape (M, C, H, W)
    training : Tensor of shape (S, C, H, W)
    predicted, answer : Tensor of shape (M,), integer indices into ``training``
    distances : Tensor of shape (M,), optional
        Distance to the matched image, shown in its title.

    Returns
    -------
    Figure
        One row per test item, three Axes each.
    """
    _check_images(test, "test", 4, "(M, C, H, W)")
    _check_images(training, "training", 4, "(S, C, H, W)")
    m = test.shape[0]
    for name, v in (("predicted", predicted), ("answer", answer), ("distances", distances)):
        if v is not None and (not isinstance(v, torch.Tensor) or v.shape != (m,)):
            raise ValueError(f"{name} must be a tensor of shape ({m},), got {getattr(v, 'shape', type(v).__name__)}")
    if int(predicted.max()) >= training.shape[0] or int(answer.max()) >= training.shape[0]:
        raise ValueError(f"predicted and answer must index training's {training.shape[0]} images")
    fig, axes = plt.subplots(3, m, figsize=(size * m, size * 3 + 0.6), squeeze=False)
    for i in range(m):
        ok = int(predicted[i]) == int(answer[i])
        show_image(test[i], ax=axes[0, i], title=f"test {i + 1}")
        title = "match" if distances is None else f"d={float(distances[i]):.2g}"
        show_image(training[int(predicted[i])], ax=axes[1, i], title=title, title_color="green" if ok else "red")
        for spine in axes[1, i].spines.values():
            spine.set_edgecolor("green" if ok else "red")
            spine.set_linewidth(2)
        show_image(training[int(answer[i])], ax=axes[2, i], title="correct")
    axes[0, 0].set_ylabel("test item", fontsize=8)
    axes[1, 0].set_ylabel("nearest", fontsize=8)
    axes[2, 0].set_ylabel("answer", fontsize=8)
    fig.tight_layout()
    return fig


def plot_accuracy_vs_way_shot(
    results: Mapping[tuple[int, int], tuple[float, float]], *, ax: Axes | None = None, label: str | None = None,
) -> Axes:
    """Accuracy (± 95% CI) against the number of classes N, one line per number of shots K.

    Parameters
    ----------
    results : mapping (n_way, k_shot) -> (mean accuracy, ci95 half-width), accuracies in [0, 1]
    label : str, optional
        Prefix for the legend entries (e.g. the model's name), to overlay several models.

    Returns
    -------
    Axes
        Accuracy in [0, 1] against N, with error bars of the 95% CI.
    """
    if not isinstance(results, Mapping) or not results:
        raise ValueError("results must be a non-empty mapping (n_way, k_shot) -> (mean, ci95)")
    for key, val in results.items():
        if not (isinstance(key, tuple) and len(key) == 2) or len(val) != 2:
            raise ValueError(f"results must map (n_way, k_shot) to (mean, ci95), got {key!r}: {val!r}")
    created = ax is None
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    for k in sorted({k for _, k in results}):
        ways = sorted(n for n, kk in results if kk == k)
        means = [100 * results[(n, k)][0] for n in ways]
        cis = [100 * results[(n, k)][1] for n in ways]
        name = f"{k}-shot" if label is None else f"{label}, {k}-shot"
        ax.errorbar(ways, means, yerr=cis, marker="o", capsize=3, label=name)
    ax.set_xlabel("N (classes per episode)")
    ax.set_ylabel("accuracy (%)")
    ax.set_xticks(sorted({n for n, _ in results}))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if created:
        ax.figure.tight_layout()
    return ax
