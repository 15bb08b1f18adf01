import itertools

import pytest
import torch
from torch import nn

from coursekit.conv_shapes import (
    LayerShape,
    conv_output_shape,
    conv_output_size,
    conv_param_count,
    format_shape_table,
    shape_table,
)


def _output_size_by_sliding(n, f, s, p, d):
    """Count window positions one by one: a window starts at i and spans d(f − 1) + 1 padded samples."""
    count, i = 0, 0
    while i + d * (f - 1) < n + 2 * p:
        count += 1
        i += s
    return count


def test_output_size_matches_sliding_the_window():
    for n, f, s, p, d in itertools.product(range(1, 12), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2), (1, 2)):
        if n + 2 * p < d * (f - 1) + 1:
            continue
        assert conv_output_size(n, f, s, p, d) == _output_size_by_sliding(n, f, s, p, d), (n, f, s, p, d)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_shapes_and_params_match_pytorch_conv_layers(dims):
    conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[dims]
    g = torch.Generator().manual_seed(dims)
    sizes = {1: (37,), 2: (13, 10), 3: (6, 11, 9)}[dims]
    for f, s, p, d, groups, bias in itertools.product((1, 3, (2, 3, 1)[:dims]), (1, 2), (0, 1), (1, 2), (1, 2), (True, False)):
        try:
            layer = conv(4, 6, f, stride=s, padding=p, dilation=d, groups=groups, bias=bias)
            out = layer(torch.randn(1, 4, *sizes, generator=g))
        except RuntimeError:  # window longer than the input: we raise too
            with pytest.raises(ValueError, match="longer than the padded input"):
                conv_output_shape(sizes, f, s, p, d)
            continue
        assert conv_output_shape(sizes, f, s, p, d) == tuple(out.shape[2:])
        assert conv_param_count(4, 6, layer.kernel_size, groups=groups, bias=bias) == sum(
            q.numel() for q in layer.parameters()
        )


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pooling_shapes_match_pytorch_including_ceil_mode(ceil_mode):
    for n, k, s, p in itertools.product(range(4, 14), (2, 3), (1, 2, 3), (0, 1)):
        if p > k // 2:
            continue
        out = nn.MaxPool1d(k, s, p, ceil_mode=ceil_mode)(torch.randn(1, 1, n))
        assert conv_output_size(n, k, s, p, ceil_mode=ceil_mode) == out.shape[-1], (n, k, s, p)


def test_same_and_valid_padding_strings():
    assert conv_output_shape((9, 9), 3, padding="same") == nn.Conv2d(1, 1, 3, padding="same")(torch.zeros(1, 1, 9, 9)).shape[2:]
    assert conv_output_shape((9,), 3, padding="valid") == (7,)


def test_shape_table_agrees_with_running_the_model():
    model = nn.Sequential(
        nn.Conv3d(1, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(), nn.MaxPool3d((1, 2, 2)),
        nn.Sequential(nn.Conv3d(4, 8, (3, 5, 5), stride=(1, 2, 2)), nn.ReLU()),
        nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Dropout(0.5), nn.Linear(8, 3),
    )
    rows = shape_table(model, (1, 8, 33, 40))
    x = torch.zeros(1, 1, 8, 33, 40)
    flat = [m for m in model.modules() if not isinstance(m, nn.Sequential)]
    assert [r.name.split("(")[0] for r in rows] == [type(m).__name__ for m in flat]
    for row, layer in zip(rows, flat, strict=True):
        assert row.input_shape == tuple(x.shape[1:])
        x = layer.eval()(x)
        assert row.output_shape == tuple(x.shape[1:]), row
        assert row.n_params == sum(q.numel() for q in layer.parameters())
    text = format_shape_table(rows)
    assert "Conv3d(1→4, 3×3×3)" in text and text.splitlines()[-1].split()[-1] == f"{sum(r.n_params for r in rows):,}"


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: conv_output_size(0, 3), "n must be an int >= 1, got 0"),
        (lambda: conv_output_size(5, 3, stride=0), "stride must be an int >= 1, got 0"),
        (lambda: conv_output_size(5, 3, padding=-1), "padding must be an int >= 0, got -1"),
        (lambda: conv_output_size(2, 3), r"span 3\) is longer than the padded input n \+ 2p = 2"),
        (lambda: conv_output_shape((5, 5), (3, 3, 3)), "kernel_size must be an int or a sequence of 2 ints"),
        (lambda: conv_output_shape((5, 5, 5, 5), 3), "input_size must be a sequence of 1 to 3 sizes"),
        (lambda: conv_output_shape((9,), 3, 2, padding="same"), "padding='same' needs stride 1"),
        (lambda: conv_param_count(3, 4, 3, groups=2), "groups=2 must divide in_channels=3"),
        (lambda: shape_table(nn.Conv2d(3, 4, 3), (1, 8, 8)), "Conv2d expects 3 input channels"),
        (lambda: shape_table(nn.Conv2d(3, 4, 3), (3, 8, 8, 8)), r"Conv2d needs an input of shape \(C, 2 spatial dims\)"),
        (lambda: shape_table(nn.LSTM(3, 4), (3, 8)), "does not know how LSTM changes shapes"),
        (lambda: shape_table([], (3, 8)), "non-empty sequence"),
        (lambda: shape_table(nn.ReLU(), 8), r"input_shape must be \(C, L\)"),
        (lambda: format_shape_table([]), "rows must be a non-empty list of LayerShape"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_layer_shape_is_a_plain_record():
    row = LayerShape("ReLU", (2, 3), (2, 3), 0)
    assert row.output_shape == (2, 3)
