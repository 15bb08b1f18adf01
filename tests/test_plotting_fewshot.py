import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from coursekit.plotting import plot_accuracy_vs_way_shot, plot_episode, plot_nearest_neighbours  # noqa: E402


def test_plot_episode_layout():
    fig = plot_episode(torch.rand(3, 2, 1, 8, 8), torch.rand(3, 4, 1, 8, 8), class_names=["a", "b", "c"])
    assert len(fig.axes) == 3 * (2 + 1 + 4)
    assert fig.axes[0].get_ylabel() == "a" and "3-way 2-shot" in fig._suptitle.get_text()
    plt.close(fig)
    with pytest.raises(ValueError, match=r"support must be a tensor of shape \(n_way, k_shot, C, H, W\)"):
        plot_episode(torch.rand(3, 1, 8, 8), torch.rand(3, 4, 1, 8, 8))
    with pytest.raises(ValueError, match="query must have n_way=3 rows"):
        plot_episode(torch.rand(3, 1, 1, 8, 8), torch.rand(2, 4, 1, 8, 8))


def test_plot_nearest_neighbours_colours():
    fig = plot_nearest_neighbours(torch.rand(2, 1, 8, 8), torch.rand(5, 1, 8, 8), torch.tensor([1, 2]),
                                  torch.tensor([1, 3]), distances=torch.tensor([0.5, 2.0]))
    axes = fig.axes
    assert len(axes) == 6
    assert axes[2].title.get_color() == "green" and axes[3].title.get_color() == "red"  # row 1: matches
    assert axes[2].get_title() == "d=0.5"
    plt.close(fig)
    with pytest.raises(ValueError, match=r"answer must be a tensor of shape \(2,\)"):
        plot_nearest_neighbours(torch.rand(2, 1, 8, 8), torch.rand(5, 1, 8, 8), torch.tensor([1, 2]), torch.tensor([1]))
    with pytest.raises(ValueError, match="must index training's 5 images"):
        plot_nearest_neighbours(torch.rand(2, 1, 8, 8), torch.rand(5, 1, 8, 8), torch.tensor([1, 7]), torch.tensor([1, 2]))


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
