"""Small networks shared by the tests of coursekit.visualize."""

import torch
from torch import nn


def small_net(seed=0):
    """Convs with padding and dilation, max/avg pools (one with ceil_mode), BN and ReLU: (N, 3, H, W) in."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3, dilation=2, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), nn.Conv2d(8, 5, (3, 1)),
    ).eval()


def hooks_left(model):
    """How many forward hooks are still registered anywhere in ``model``."""
    return sum(len(m._forward_hooks) for m in model.modules())
