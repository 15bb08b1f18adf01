import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from coursekit.plotting import (  # noqa: E402
    plot_accuracy_vs_way_shot,
    plot_episode,
    plot_nearest_neighbours,
    plot_siamese,
)
from tests.plotting.seeded import GEN  # noqa: E402


def test_plot_episode_layout():
    fig = plot_episode(torch.rand(3, 2, 1, 8, 8, generator=GEN), torch.rand(3, 4, 1, 8, 8, generator=GEN), class_names=["a", "b", "c"])
    assert len(fig.axes) == 3 * (2 + 1 + 4)
    assert fig.axes[0].get_ylabel() == "a" and "3-way 2-shot" in fig._suptitle.get_text()
    plt.close(fig)
    with pytest.raises(ValueError, match=r"support must be a tensor of shape \(n_way, k_shot, C, H, W\)"):
        plot_episode(torch.rand(3, 1, 8, 8, generator=GEN), torch.rand(3, 4, 1, 8, 8, generator=GEN))
    with pytest.raises(ValueError, match="query must have n_way=3 rows"):
        plot_episode(torch.rand(3, 1, 1, 8, 8, generator=GEN), torch.rand(2, 4, 1, 8, 8, generator=GEN))


def test_plot_nearest_neighbours_colours():
    fig = plot_nearest_neighbours(torch.rand(2, 1, 8, 8, generator=GEN), torch.rand(5, 1, 8, 8, generator=GEN), torch.tensor([1, 2]),
                                  torch.tensor([1, 3]), distances=torch.tensor([0.5, 2.0]))
    axes = fig.axes
    assert len(axes) == 6
    assert axes[2].title.get_color() == "green" and axes[3].title.get_color() == "red"  # row 1: matches
    assert axes[2].get_title() == "d=0.5"
    plt.close(fig)
    with pytest.raises(ValueError, match=r"answer must be a tensor of shape \(2,\)"):
        plot_nearest_neighbours(torch.rand(2, 1, 8, 8, generator=GEN), torch.rand(5, 1, 8, 8, generator=GEN), torch.tensor([1, 2]), torch.tensor([1]))
    with pytest.raises(ValueError, match="must index training's 5 images"):
        plot_nearest_neighbours(torch.rand(2, 1, 8, 8, generator=GEN), torch.rand(5, 1, 8, 8, generator=GEN), torch.tensor([1, 7]), torch.tensor([1, 2]))


def test_plot_accuracy_vs_way_shot_lines():
    res = {(5, 1): (0.9, 0.02), (20, 1): (0.7, 0.03), (5, 5): (0.97, 0.01), (20, 5): (0.9, 0.02)}
    ax = plot_accuracy_vs_way_shot(res, label="conv4")
    ys = sorted(tuple(c.lines[0].get_ydata()) for c in ax.containers)  # the data line of each errorbar
    assert ys == [(90.0, 70.0), (97.0, 90.0)]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["conv4, 1-shot", "conv4, 5-shot"]
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="non-empty mapping"):
        plot_accuracy_vs_way_shot({})
    with pytest.raises(ValueError, match=r"results must map \(n_way, k_shot\) to \(mean, ci95\)"):
        plot_accuracy_vs_way_shot({5: (0.9, 0.1)})


def test_plot_siamese_draws_one_network_twice():
    a, b = torch.rand(1, 16, 16, generator=GEN), torch.rand(16, 16, generator=GEN)
    fig = plot_siamese(a, b, distance=0.25, network="f (θ)")
    ax = fig.axes[0]
    towers = [p for p in ax.patches if p.get_gid() == "tower"]
    assert len(towers) == 2                                                     # two towers ...
    labels = [t.get_text() for t in ax.texts]
    assert labels.count("f (θ)") == 2 and any("shared" in t for t in labels)   # ... one set of weights
    assert any("0.25" in t for t in labels)
    assert len(ax.child_axes) == 2
    np.testing.assert_allclose(ax.child_axes[1].images[0].get_array(), b.numpy(), atol=1e-6)
    plt.close(fig)


def test_plot_siamese_rejects_bad_input():
    with pytest.raises(TypeError, match="x1 must be a tensor"):
        plot_siamese([[0.0]], torch.rand(4, 4, generator=GEN))
    with pytest.raises(ValueError, match=r"x2 must be a non-empty tensor of shape \(C, H, W\) or \(H, W\), got \(4,\)"):
        plot_siamese(torch.rand(4, 4, generator=GEN), torch.rand(4, generator=GEN))
    with pytest.raises(TypeError, match="distance must be a float or None, got str"):
        plot_siamese(torch.rand(4, 4, generator=GEN), torch.rand(4, 4, generator=GEN), distance="0.3")
