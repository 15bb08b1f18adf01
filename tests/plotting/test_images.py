import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from coursekit.plotting import image_grid, show_image, to_hwc
from tests.plotting.seeded import GEN


def test_to_hwc_layouts_and_ranges():
    assert to_hwc(torch.full((3, 4, 5), 255, dtype=torch.uint8)).shape == (4, 5, 3)
    assert to_hwc(torch.full((3, 4, 5), 255, dtype=torch.uint8)).max() == 1.0
    assert to_hwc(torch.zeros(1, 4, 5)).shape == (4, 5)
    assert to_hwc(np.zeros((3, 4, 5))).shape == (4, 5, 3)
    assert to_hwc(np.full((4, 5, 3), 2.0)).max() == 1.0  # clipped for display


@pytest.mark.parametrize("bad", [torch.zeros(2, 4, 5), torch.zeros(1, 1, 4, 5), np.zeros((4, 5, 2))])
def test_to_hwc_rejects_bad_shapes(bad):
    with pytest.raises(ValueError, match=r"image must be"):
        to_hwc(bad)


def test_to_hwc_rejects_non_arrays():
    with pytest.raises(TypeError, match="tensor or ndarray"):
        to_hwc([[0.0]])


def test_show_image_title_with_and_without_colour():
    ax = show_image(torch.rand(3, 8, 8, generator=GEN), title="a")
    assert ax.get_title() == "a"
    ax = show_image(torch.rand(8, 8, generator=GEN), title="b", title_color="red")
    assert ax.title.get_color() == "red"


def test_image_grid_layout_and_titles():
    fig = image_grid(torch.rand(5, 1, 8, 8, generator=GEN), ncols=3, titles=list("abcde"))
    axes = fig.axes
    assert len(axes) == 6
    assert [ax.get_title() for ax in axes[:5]] == list("abcde")
    assert not axes[5].axison


def test_image_grid_bad_input():
    with pytest.raises(ValueError, match="empty"):
        image_grid([])
    with pytest.raises(ValueError, match="titles has 1 entries for 2 images"):
        image_grid(torch.rand(2, 1, 4, 4, generator=GEN), titles=["a"])
