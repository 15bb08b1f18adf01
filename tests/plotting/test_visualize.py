"""Tests for coursekit.plotting.visualize: headless (Agg), checking what is drawn, not how it looks."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from coursekit.plotting.visualize import (  # noqa: E402
    patch_mosaic,
    plot_feature_maps,
    plot_filters,
    plot_receptive_field_box,
    plot_top_patches,
)
from coursekit.visualize import Patches  # noqa: E402
from tests.plotting.seeded import GEN  # noqa: E402


def _patches(layer, n_units, k, size, channels=3):
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (n_units, k, channels, size, size), dtype=torch.uint8, generator=g)
    valid = torch.ones(n_units, k, size, size, dtype=torch.bool)
    valid[:, 0, :2] = False  # the first patch of every unit leaves the image at the top
    return Patches(layer, torch.arange(n_units) * 3, images, valid, torch.zeros(n_units, k, 4, dtype=torch.long),
                   torch.rand(n_units, k, generator=g))


def test_mosaic_places_each_patch_and_checkers_the_outside():
    images = torch.stack([torch.full((1, 2, 3), v, dtype=torch.uint8) for v in (0, 51, 102, 153, 204)])
    valid = torch.ones(5, 2, 3, dtype=torch.bool)
    valid[4, 0, 0] = False
    out = patch_mosaic(images, valid, ncols=3, gap=1)
    assert out.shape == (2 * 2 + 1, 3 * 3 + 2, 3)
    np.testing.assert_allclose(out[0, 4], [0.2, 0.2, 0.2])          # patch 1: row 0, column 1
    np.testing.assert_allclose(out[3, 4 + 1], [0.8, 0.8, 0.8])      # patch 4: row 1, column 1
    assert np.isclose(out[3, 4], 0.72).all() or np.isclose(out[3, 4], 0.88).all()  # outside: a grey check
    assert (out[2] == 1).all() and (out[:, 3] == 1).all()            # white gaps
    np.testing.assert_allclose(out[3:, 8:], 1.0)                     # the empty sixth slot stays white
    with pytest.raises(ValueError, match=r"valid must have shape \(5, 2, 3\)"):
        patch_mosaic(images, valid[:, :1])


def test_top_patches_grid_has_one_axes_per_unit_and_layer():
    layers = [_patches("conv1", 5, 9, 7), _patches("conv3", 4, 9, 30, channels=1)]
    fig = plot_top_patches(layers, n_units=3, titles=["layer 1", "layer 3"])
    axes = fig.axes
    assert len(axes) == 3 * 2
    assert axes[0].get_title() == "layer 1\n7px" and axes[1].get_title() == "layer 3\n30px"
    assert axes[2].get_xlabel() == "unit 3"  # second row, first column
    shown = axes[0].get_images()[0].get_array()
    assert shown.shape == (3 * 7 + 2, 3 * 7 + 2, 3)


def test_top_patches_bad_input():
    with pytest.raises(ValueError, match="patches is empty"):
        plot_top_patches([])
    with pytest.raises(ValueError, match=r"n_units must be in 1..4 \(units in the smallest layer\), got 5"):
        plot_top_patches([_patches("a", 6, 9, 5), _patches("b", 4, 9, 5)], n_units=5)
    with pytest.raises(ValueError, match="titles has 1 entries for 2 layers"):
        plot_top_patches([_patches("a", 2, 9, 5), _patches("b", 2, 9, 5)], titles=["x"])


def test_filters_are_scaled_one_by_one():
    w = torch.zeros(3, 3, 2, 2)
    w[0, :, 0, 0] = 5.0   # one bright pixel
    w[1] = torch.linspace(-1, 1, 12).reshape(3, 2, 2)
    fig = plot_filters(w, ncols=2, title="conv1")
    shown = [ax.get_images()[0].get_array() for ax in fig.axes if ax.get_images()]
    assert len(shown) == 3 and len(fig.axes) == 4  # 2x2 grid, one slot empty
    np.testing.assert_allclose(shown[0][0, 0], [1, 1, 1])
    np.testing.assert_allclose(shown[0][1, 1], [0, 0, 0])
    assert shown[1].min() == 0 and shown[1].max() == 1
    gray = plot_filters(torch.randn(4, 16, 3, 3, generator=GEN))  # not RGB: channel 0 in grey
    assert gray.axes[0].get_images()[0].get_array().ndim == 2
    with pytest.raises(ValueError, match=r"weight must be a tensor of shape \(O, C, kh, kw\)"):
        plot_filters(torch.randn(4, 3, 3, generator=GEN))


def test_feature_maps_with_the_input_first():
    maps = torch.randn(20, 6, 6, generator=GEN)
    fig = plot_feature_maps(maps, image=torch.rand(3, 24, 24, generator=GEN), n_maps=7, ncols=4)
    drawn = [ax for ax in fig.axes if ax.get_images()]
    assert len(drawn) == 1 + 7
    assert drawn[0].get_title() == "input" and drawn[1].get_title() == "map 0"
    np.testing.assert_allclose(drawn[2].get_images()[0].get_array(), maps[1].numpy())
    with pytest.raises(ValueError, match=r"maps must be a tensor of shape \(C, H, W\)"):
        plot_feature_maps(torch.randn(1, 2, 6, 6, generator=GEN))


def test_receptive_field_box_is_drawn_where_the_unit_looks():
    ax = plot_receptive_field_box(torch.rand(3, 20, 20, generator=GEN), (-2, 5, 10, 17), title="unit 0")
    (rect,) = ax.patches
    assert rect.get_xy() == (4.5, -2.5) and rect.get_width() == 12 and rect.get_height() == 12
    assert ax.get_title() == "unit 0"
