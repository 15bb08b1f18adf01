"""Verification figures: they draw the data they are given (headless, Agg)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from scipy.stats import norm  # noqa: E402

from coursekit.plotting import verification as P  # noqa: E402
from tests.plotting.seeded import GEN  # noqa: E402


def test_roc_draws_the_points():
    far, tar = np.array([0, 0.1, 0.5, 1]), np.array([0, 0.6, 0.9, 1])
    ax = P.plot_roc(far, tar, label="net")
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), far)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), tar)
    assert ax.get_legend().get_texts()[0].get_text() == "net"
    assert P.plot_roc(far, tar, log_far=True).get_xscale() == "log"
    with pytest.raises(ValueError, match="far and tar must have the same length, got 4 and 2"):
        P.plot_roc(far, tar[:2])


def test_det_uses_normal_deviates():
    far, frr = np.array([0.01, 0.1, 0.5]), np.array([0.5, 0.1, 0.01])
    ax = P.plot_det(far, frr)
    np.testing.assert_allclose(ax.lines[0].get_xdata(), norm.ppf(far))
    np.testing.assert_allclose(ax.lines[0].get_ydata(), norm.ppf(frr))


def test_histograms_split_by_label_and_mark_threshold():
    d = torch.tensor([0.1, 0.2, 0.3, 0.9, 1.0])
    same = torch.tensor([True, True, True, False, False])
    ax = P.plot_distance_histograms(d, same, threshold=0.5, bins=5)
    heights = [sum(p.get_height() * p.get_width() for p in c) for c in ax.containers]
    assert heights == pytest.approx([1.0, 1.0])  # two density histograms
    assert ax.lines[0].get_xdata()[0] == 0.5
    assert "same person (3)" in [t.get_text() for t in ax.get_legend().get_texts()]
    with pytest.raises(ValueError, match="is_same must be a bool array"):
        P.plot_distance_histograms(d, same.int())


def test_pairs_figure_colors_decisions():
    imgs = torch.randint(0, 256, (3, 1, 8, 8), dtype=torch.uint8, generator=GEN)
    fig = P.plot_pairs(imgs, imgs, [0.2, 0.9, 0.4], [True, True, False], 0.5, ncols=2, names1=list("abc"), names2=list("abd"))
    labels = [ax.xaxis.label for ax in fig.axes if ax.get_xlabel()]
    assert [lab.get_text() for lab in labels] == ["d=0.20 → same ✓", "d=0.90 → different ✗", "d=0.40 → same ✗"]
    assert [lab.get_color() for lab in labels] == ["tab:green", "tab:red", "tab:red"]
    with pytest.raises(ValueError, match="must all have 3 entries"):
        P.plot_pairs(imgs[:2], imgs, [0.2, 0.9, 0.4], [True, True, False], 0.5)


def test_open_set_confusion_and_timings():
    ax = P.plot_open_set_curve([0, 0.1, 1], [0, 0.7, 0.9])
    assert list(ax.lines[0].get_ydata()) == [0, 0.7, 0.9]
    ax = P.plot_confusion(np.array([[2, 0], [1, 3]]), ["a", "(unknown)"])
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2", "3"]
    with pytest.raises(ValueError, match="one row per label"):
        P.plot_confusion(np.eye(3), ["a", "b"])
    ax = P.plot_timings([10, 100], {"matrix": [1e-4, 2e-4], "loop": [1e-3, 1e-2]})
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"
    with pytest.raises(ValueError, match=r"sizes and seconds\['loop'\] must have the same length"):
        P.plot_timings([10, 100], {"loop": [1.0]})


def test_confusion_is_legible():
    labels = [f"person {i}" for i in range(6)] + ["(unknown)"]
    m = np.arange(49).reshape(7, 7) + 100  # three-digit counts, the widest the notebooks show
    ax = P.plot_confusion(m, labels, title="threshold 0.063")
    w, h = ax.figure.get_size_inches()
    assert w >= 0.5 * 7 + 2 and h >= 0.5 * 7 + 1  # at least half an inch per cell, plus room for labels
    ticks = ax.get_xticklabels() + ax.get_yticklabels()
    assert all(t.get_fontsize() >= 10 for t in ticks)
    assert len(ax.texts) == 49 and all(t.get_fontsize() >= 10 for t in ax.texts)
    assert min(ax.title.get_fontsize(), ax.xaxis.label.get_fontsize(), ax.yaxis.label.get_fontsize()) >= 10
    assert [t.get_text() for t in ax.get_yticklabels()] == labels  # names in full
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    cell = ax.get_window_extent(renderer).width / 7
    widths = [t.get_window_extent(renderer).width for t in ax.texts]
    assert max(widths) < 0.9 * cell  # every count fits inside its cell
    heights = [t.get_window_extent(renderer).height for t in ax.get_yticklabels()]
    assert max(heights) < cell  # row names do not overlap
    # the same fonts when the caller lays out several panels
    fig, axes = plt.subplots(1, 3, figsize=(11.5, 4.4))
    P.plot_confusion(m, labels, ax=axes[1])
    assert all(t.get_fontsize() >= 10 for t in axes[1].texts + axes[1].get_xticklabels())
    long = P.plot_confusion(np.eye(2), ["a rather long person name", "b"])
    assert [t.get_text() for t in long.get_xticklabels()] == ["a rather long…", "b"]
