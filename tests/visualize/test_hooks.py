"""Tests for coursekit.visualize.hooks: layer outputs through forward hooks."""

import pytest
import torch
from torch import nn

from coursekit.visualize import (
    feature_maps,
    get_layer,
    layer_activations,
    top_k_activations,
)
from coursekit.visualize.hooks import hooked, run_hooked

from .nets import hooks_left, small_net


def test_layer_activations_equal_the_sliced_sequential_and_hooks_are_removed():
    net, x = small_net(), torch.randn(2, 3, 16, 16)
    acts = layer_activations(net, x, ["2", "5"])
    torch.testing.assert_close(acts["2"], net[:3](x))
    torch.testing.assert_close(acts["5"], net[:6](x))
    assert hooks_left(net) == 0
    maps = feature_maps(net, x[0], "3")
    torch.testing.assert_close(maps, net[:4](x[:1])[0])
    assert hooks_left(net) == 0


def test_unknown_layer_name_lists_close_matches():
    net = nn.Sequential()
    net.add_module("conv1", nn.Conv2d(1, 1, 3))
    with pytest.raises(ValueError, match=r"unknown layer name 'conv_1'.*close matches: \['conv1'\]"):
        get_layer(net, "conv_1")
    with pytest.raises(ValueError, match="unknown layer name 'fc'"):
        top_k_activations(net, [torch.randn(2, 1, 5, 5)], {"fc": [0]}, k=1)
    with pytest.raises(ValueError, match=r"shape \(C, H, W\) or \(1, C, H, W\)"):
        feature_maps(net, torch.randn(2, 1, 5, 5), "conv1")




def test_run_hooked_stops_after_the_last_layer_and_reports_unused_layers():
    net = small_net()
    seen = []
    with hooked(net, ["2"], lambda name, out: seen.append((name, tuple(out.shape)))):
        run_hooked(net, torch.randn(1, 3, 16, 16), ["2"])
    assert seen == [("2", (1, 6, 8, 8))]  # once, then the pass stopped
    calls = []

    def call(model, x):
        calls.append(x.shape)
        return model(x)

    with hooked(net, ["0"], lambda name, out: None):
        run_hooked(net, torch.randn(2, 3, 8, 8), ["0"], call=call)
    assert calls == [(2, 3, 8, 8)]

    class Unused(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.spare = nn.Linear(2, 2), nn.Linear(2, 2)

        def forward(self, x):
            return self.used(x)

    model = Unused()
    with pytest.raises(ValueError, match=r"finished without running layer\(s\) \['spare'\]"):
        with hooked(model, ["spare"], lambda name, out: None):
            run_hooked(model, torch.zeros(1, 2), ["spare"])
    assert hooks_left(model) == 0
    with pytest.raises(TypeError, match="call must be a callable"):
        run_hooked(net, torch.zeros(1, 3, 8, 8), ["0"], call=3)
