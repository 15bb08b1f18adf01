"""Tests for coursekit.plotting.style: the figures draw exactly the data they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from coursekit.plotting.style import (  # noqa: E402
    image_row,
    plot_gram_matrix,
    plot_transfer_history,
    style_grid,
)
from coursekit.style import TransferHistory  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _img(h, w, seed):
    return torch.rand(3, h, w, generator=torch.Generator().manual_seed(seed))


def _drawn(ax) -> np.ndarray:
    (im,) = ax.get_images()
    return np.asarray(im.get_array())


def _history(sizes, totals) -> TransferHistory:
    h = TransferHistory()
    h.evaluation = list(range(1, len(sizes) + 1))
    h.size, h.total = list(sizes), list(totals)
    h.content = h.style = h.tv = [1.0] * len(sizes)
    return h


# ---- plot_gram_matrix -------------------------------------------------------------------------

def test_plot_gram_matrix_draws_the_matrix_with_a_colour_bar():
    g = torch.arange(16, dtype=torch.float32).reshape(4, 4)
    ax = plot_gram_matrix(g, title="relu3_1")
    np.testing.assert_array_equal(_drawn(ax), g.numpy())
    assert ax.get_title() == "relu3_1"
    assert ax.get_xlabel() == "channel k'" and ax.get_ylabel() == "channel k"
    assert len(ax.figure.axes) == 2  # the heat map and its colour bar
    ax2 = plot_gram_matrix(g.numpy(), max_channels=2)
    np.testing.assert_array_equal(_drawn(ax2), g.numpy()[:2, :2])


def test_plot_gram_matrix_draws_into_the_given_axes():
    fig, axes = plt.subplots(1, 2)
    out = plot_gram_matrix(torch.eye(3), ax=axes[1])
    assert out is axes[1]
    assert len(axes[0].get_images()) == 0 and len(axes[1].get_images()) == 1


def test_plot_gram_matrix_bad_inputs():
    with pytest.raises(ValueError, match=r"gram must have shape \(C, C\), got \(2, 3\)"):
        plot_gram_matrix(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="gram must be a torch.Tensor or np.ndarray of shape \\(C, C\\), got list"):
        plot_gram_matrix([[1.0]])
    with pytest.raises(ValueError, match="max_channels must be an int >= 1, got 0"):
        plot_gram_matrix(torch.eye(2), max_channels=0)


# ---- image_row ----------------------------------------------------------------------------------

def test_image_row_one_axes_per_image_with_the_images_and_titles():
    images = [_img(8, 8, 0), _img(6, 10, 1), _img(8, 4, 2)]
    fig = image_row(images, titles=["C", "S", "G"])
    assert len(fig.axes) == 3
    for ax, image, title in zip(fig.axes, images, ["C", "S", "G"], strict=True):
        np.testing.assert_allclose(_drawn(ax), image.permute(1, 2, 0).numpy())
        assert ax.get_title() == title
    assert [ax.get_title() for ax in image_row(images[:2]).axes] == ["", ""]


def test_image_row_bad_inputs():
    with pytest.raises(ValueError, match="at least one image, got none"):
        image_row([])
    with pytest.raises(ValueError, match=r"titles must have one entry per image \(2\), got 1"):
        image_row([_img(8, 8, 0), _img(8, 8, 1)], titles=["a"])
    with pytest.raises(TypeError, match="got one image"):
        image_row(_img(8, 8, 0))


# ---- style_grid ---------------------------------------------------------------------------------

def test_style_grid_layout_images_and_titles():
    contents = [_img(8, 8, 0), _img(8, 8, 1)]
    styles = [_img(8, 8, 2), _img(8, 8, 3), _img(8, 8, 4)]
    results = [[_img(8, 8, 10 + 3 * i + j) for j in range(3)] for i in range(2)]
    fig = style_grid(contents, styles, results, content_names=["cat", "mug"], style_names=["a", "b", "c"])
    axes = np.array(fig.axes).reshape(3, 4)
    assert not axes[0, 0].axison and len(axes[0, 0].get_images()) == 0
    for j in range(3):
        np.testing.assert_allclose(_drawn(axes[0, j + 1]), styles[j].permute(1, 2, 0).numpy())
        assert axes[0, j + 1].get_title() == "abc"[j]
    for i in range(2):
        np.testing.assert_allclose(_drawn(axes[i + 1, 0]), contents[i].permute(1, 2, 0).numpy())
        assert axes[i + 1, 0].get_title() == ["cat", "mug"][i]
        for j in range(3):
            np.testing.assert_allclose(_drawn(axes[i + 1, j + 1]), results[i][j].permute(1, 2, 0).numpy())
            assert axes[i + 1, j + 1].get_title() == ""
    default = np.array(style_grid(contents[:1], styles[:1], [results[0][:1]]).axes).reshape(2, 2)
    assert default[0, 1].get_title() == "style" and default[1, 0].get_title() == "content"


def test_style_grid_bad_inputs():
    im = _img(8, 8, 0)
    with pytest.raises(ValueError, match="at least one content and one style, got 0 and 1"):
        style_grid([], [im], [])
    with pytest.raises(ValueError, match=r"results must be 1 rows of 2 images, got rows of lengths \[1\]"):
        style_grid([im], [im, im], [[im]])
    with pytest.raises(ValueError, match=r"style_names must have one entry per style \(2\), got 1"):
        style_grid([im], [im, im], [[im, im]], style_names=["a"])


# ---- plot_transfer_history ------------------------------------------------------------------------

def test_plot_transfer_history_lines_stage_marks_and_labels():
    a = _history([16, 16, 32, 32], [4.0, 2.0, 1.0, 0.5])
    b = _history([32, 32, 32], [3.0, 2.0, 1.5])
    ax = plot_transfer_history([a, b], labels=["coarse to fine", "one stage"])
    lines = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]  # the cost curves
    assert len(lines) == 2
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(lines[0].get_ydata(), [4.0, 2.0, 1.0, 0.5])
    np.testing.assert_array_equal(lines[1].get_ydata(), [3.0, 2.0, 1.5])
    marks = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert len(marks) == 1 and list(marks[0].get_xdata()) == [3, 3]  # only a changes size, at evaluation 3
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "total cost"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["coarse to fine", "one stage"]


def test_plot_transfer_history_one_history_and_key():
    h = _history([16, 16], [2.0, 1.0])
    h.style = [0.0, 0.25]
    ax = plot_transfer_history(h, key="style")
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_ydata(), [1e-12, 0.25])  # zeros clipped for the log axis
    assert ax.get_ylabel() == "style cost" and ax.get_legend() is None


def test_plot_transfer_history_bad_inputs():
    h = _history([16], [1.0])
    with pytest.raises(ValueError, match=r"key must be one of \('total', 'content', 'style', 'tv'\), got 'J'"):
        plot_transfer_history(h, key="J")
    with pytest.raises(ValueError, match=r"labels must have one entry per history \(1\), got 2"):
        plot_transfer_history(h, labels=["a", "b"])
    with pytest.raises(TypeError, match=r"histories\[0\] must be a TransferHistory, got dict"):
        plot_transfer_history({"total": [1.0]})
