"""Tests for coursekit.visualize.maximize: activation maximisation."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.visualize import (
    layer_activations,
    maximize_activation,
)

from .nets import hooks_left, small_net


def test_maximisation_of_a_linear_unit_recovers_its_filter():
    # a = w·x at the centre; ascent with decay converges to x − m ∝ w (no jitter, no blur)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 2, 5, bias=False))
    image, history = maximize_activation(net, "0", 1, 5, steps=80, lr=0.05, jitter=0, blur_every=0,
                                         decay=0.2, value_range=None)
    w = net[0].weight[1].detach()
    cosine = F.cosine_similarity(image.flatten(), w.flatten(), dim=0)
    assert cosine > 0.999
    assert history[-1] > history[0]


def test_maximisation_raises_the_unit_and_is_seeded():
    net = small_net(4)
    args = dict(steps=25, generator=None)
    a, hist = maximize_activation(net, "3", 2, 24, **args)
    b, _ = maximize_activation(net, "3", 2, 24, **args)
    assert torch.equal(a, b) and a.shape == (3, 24, 24)
    assert 0 <= float(a.min()) and float(a.max()) <= 1
    noise = torch.rand(8, 3, 24, 24, generator=torch.Generator().manual_seed(1))
    assert layer_activations(net, a[None], ["3"])["3"][0, 2].mean() > \
        layer_activations(net, noise, ["3"])["3"][:, 2].mean(dim=(1, 2)).max()
    assert hist[-1] > hist[0]


def test_maximisation_bad_input():
    net = small_net()
    with pytest.raises(ValueError, match="unit 9 is out of range for layer '3', which has 8 channels"):
        maximize_activation(net, "3", 9, 16, steps=1)
    with pytest.raises(ValueError, match=r"location must lie in the 6x6 map of layer '3', got \(6, 0\)"):
        maximize_activation(net, "3", 0, 16, steps=1, location=(6, 0))
    with pytest.raises(ValueError, match="need steps >= 1"):
        maximize_activation(net, "3", 0, 16, steps=0)
    with pytest.raises(ValueError, match="unknown layer name"):
        maximize_activation(net, "99", 0, 16)
    assert hooks_left(net) == 0
