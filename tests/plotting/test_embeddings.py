"""coursekit.plotting.embeddings draws what it is given, headless, and rejects bad input."""

import numpy as np
import pytest
import torch

from coursekit.plotting.embeddings import (
    plot_distance_shift,
    plot_embedding_2d,
    plot_triplet_history,
)
from coursekit.training import History
from tests.plotting.seeded import GEN


def _history(n=30, auc=True):
    h = History(step=list(range(1, n + 1)), loss=list(np.linspace(1, 0.1, n)),
                metrics={"fraction_positive": list(np.linspace(0.9, 0.2, n))})
    if auc:
        h.eval_step, h.eval_metrics = [0, 15, 30], {"held_out_auc": [0.8, 0.9, 0.95]}
    return h


def test_distance_shift_draws_both_panels_with_the_same_pairs():
    is_same = torch.tensor([True, False, False, True, False])
    fig = plot_distance_shift(torch.rand(5, generator=GEN), torch.rand(5, generator=GEN), is_same)
    assert len(fig.axes) == 2
    assert [ax.get_title() for ax in fig.axes] == ["before training", "after training"]
    assert all(len(ax.patches) > 0 for ax in fig.axes)
    shared = plot_distance_shift(torch.rand(5, generator=GEN), 3 + torch.rand(5, generator=GEN), is_same, sharex=True)
    assert shared.axes[0].get_xlim() == shared.axes[1].get_xlim()
    apart = plot_distance_shift(torch.rand(5, generator=GEN), 3 + torch.rand(5, generator=GEN), is_same)
    assert apart.axes[0].get_xlim()[1] < 2 < apart.axes[1].get_xlim()[0]
    with pytest.raises(ValueError, match=r"before and after must hold the same pairs, got shapes \(5,\) and \(4,\)"):
        plot_distance_shift(torch.rand(5, generator=GEN), torch.rand(4, generator=GEN), is_same)
    with pytest.raises(ValueError, match=r"is_same must be a bool array"):
        plot_distance_shift(torch.rand(5, generator=GEN), torch.rand(5, generator=GEN), torch.ones(5))


def test_embedding_2d_one_series_per_identity():
    pts = np.random.default_rng(0).normal(size=(12, 2))
    labels = np.repeat([0, 1, 2], 4)
    ax = plot_embedding_2d(pts, labels, names=["ann", "bob", "cy"], title="held-out")
    assert len(ax.collections) == 3 and ax.get_title() == "held-out"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["ann", "bob", "cy"]
    np.testing.assert_allclose(ax.collections[1].get_offsets(), pts[4:8])
    with pytest.raises(ValueError, match=r"points must have shape \(N, 2\), got \(12, 3\)"):
        plot_embedding_2d(np.zeros((12, 3)), labels)
    with pytest.raises(ValueError, match=r"labels has 3 entries for 12 points"):
        plot_embedding_2d(pts, labels[:3])


def test_triplet_history_smoothed_curves_and_auc_panel():
    fig = plot_triplet_history({"batch-all": _history(), "batch-hard": _history()}, smooth=5)
    assert len(fig.axes) == 3
    loss_line = fig.axes[0].lines[0]
    np.testing.assert_allclose(loss_line.get_ydata(), np.convolve(_history().loss, np.ones(5) / 5, "valid"))
    assert loss_line.get_xdata()[0] == 5
    assert list(fig.axes[2].lines[0].get_ydata()) == [0.8, 0.9, 0.95]
    assert len(plot_triplet_history(_history(auc=False)).axes) == 2


def test_triplet_history_rejects_bad_input():
    with pytest.raises(TypeError, match=r"histories must be a History or a non-empty mapping"):
        plot_triplet_history({"x": [1, 2]})
    with pytest.raises(ValueError, match=r"history 'empty' has no steps"):
        plot_triplet_history({"empty": History()})
