"""Tests for coursekit.visualize.backprojection: receptive fields measured by back-propagation."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.vgg import cfgs, make_layers

from coursekit.visualize import (
    LayerSpec,
    measure_receptive_field,
    measure_receptive_fields,
    receptive_field,
    receptive_field_by_gradient,
    receptive_fields,
)

from .nets import small_net


def _thin_vgg16():
    cfg = [v if v == "M" else v // 32 for v in cfgs["D"]]  # VGG-16's layers, 1/32 of its channels
    torch.manual_seed(0)
    return make_layers(cfg)


def test_backprojection_matches_arithmetic_on_vgg16():
    net = _thin_vgg16()
    rf = receptive_field(net, "28", 224)
    assert rf.size == (196, 196)
    assert receptive_field_by_gradient(net, "28", 224) == rf.box(7, 7) == (22, 22, 218, 218)
    # a corner unit's box is clipped by the border the same way
    top, left, bottom, right = rf.box(0, 13)
    assert receptive_field_by_gradient(net, "28", 224, (0, 13)) == (max(top, 0), max(left, 0),
                                                                   min(bottom, 224), min(right, 224))


def test_measured_field_equals_arithmetic_with_dilation_padding_and_pools():
    net = small_net()
    measured = measure_receptive_fields(net, ["0", "2", "3", "6", "7"], 64)  # one pass for all
    for layer, got in measured.items():
        expected = receptive_field(net, layer)
        assert (got.size, got.jump, got.start) == (expected.size, expected.jump, expected.start), layer
    assert measure_receptive_field(net, "6", 64) == measured["6"]
    with pytest.raises(ValueError, match="layers must be a non-empty list"):
        measure_receptive_fields(net, [], 64)


class _Residual(nn.Module):
    """Functional ReLU and max pool, and a skip path: what module replacement would miss."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 5, stride=2)
        self.a = nn.Conv2d(4, 4, 3, padding=1)
        self.b = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        x = F.max_pool2d(F.relu(-self.conv1(x)), 3, 2)  # negated: ReLU is zero almost everywhere
        return F.relu(x + self.b(F.relu(self.a(x))))


def test_measured_field_on_a_residual_net_follows_its_longest_path():
    main_path = [LayerSpec("conv1", 5, 2), LayerSpec("pool", 3, 2, kind="maxpool"),
                 LayerSpec("a", 3, 1, 1), LayerSpec("b", 3, 1, 1)]
    expected = receptive_fields(main_path)[-1]  # r = 5 + 2·2 + 2·4 + 2·4 = 25, j = 4
    got = measure_receptive_field(_Residual(), "b", 80, in_channels=1)
    assert (got.size, got.jump, got.start) == ((25, 25), (4, 4), (expected.start))



def test_backprojection_errors():
    with pytest.raises(ValueError, match="reaches the border.*larger input_size"):
        measure_receptive_field(small_net(), "7", 20)
    with pytest.raises(ValueError, match=r"unit must lie in the 6x6 map"):
        receptive_field_by_gradient(small_net(), "3", 16, (6, 0))
