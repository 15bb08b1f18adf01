"""Shape arithmetic for 1-D, 2-D and 3-D convolutions and pooling, and parameter counts.

Per spatial dimension, a window of f taps, dilation d, stride s and zero padding p gives

    n_out = ⌊(n + 2p − d(f − 1) − 1) / s⌋ + 1        (= (n + 2p − f)/s + 1 when d = 1)

and a convolution with C_in → C_out channels has C_out · (C_in / groups) · ∏ f_i weights plus
C_out biases. The formula is the same in every dimension: Conv1d, Conv2d and Conv3d only differ
in how many spatial dimensions they apply it to. ``shape_table`` walks a model layer by layer.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from torch import nn

from .validation import check_int

__all__ = ["conv_output_size", "conv_output_shape", "conv_param_count", "LayerShape", "shape_table",
           "format_shape_table"]


def _pos_int(value: object, name: str, low: int = 1) -> int:
    return check_int(value, name, minimum=low)


def conv_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1,
                     *, ceil_mode: bool = False) -> int:
    """Output length of a convolution or pooling along one dimension.

    Parameters
    ----------
    n : int
        Input length (>= 1).
    kernel_size, stride, dilation : int
        f, s, d (each >= 1).
    padding : int
        p zeros added at each end (>= 0).
    ceil_mode : bool
        Pooling's ``ceil_mode``: round up, but never start a window in the right padding.

    Returns
    -------
    int
        ``⌊(n + 2p − d(f − 1) − 1)/s⌋ + 1``.

    Examples
    --------
    >>> conv_output_size(6, 3), conv_output_size(32, 3, stride=2, padding=1)
    (4, 16)
    """
    n = _pos_int(n, "n")
    kernel_size = _pos_int(kernel_size, "kernel_size")
    stride = _pos_int(stride, "stride")
    padding = _pos_int(padding, "padding", 0)
    dilation = _pos_int(dilation, "dilation")
    span = dilation * (kernel_size - 1) + 1
    if n + 2 * padding < span:
        raise ValueError(
            f"the window (kernel_size={kernel_size}, dilation={dilation}: span {span}) is longer than the "
            f"padded input n + 2p = {n + 2 * padding}"
        )
    return _conv_output_size(n, kernel_size, stride, padding, dilation, ceil_mode)


def _conv_output_size(n: int, f: int, s: int, p: int, d: int, ceil_mode: bool = False) -> int:
    num = n + 2 * p - d * (f - 1) - 1
    out = (math.ceil(num / s) if ceil_mode else num // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:  # PyTorch drops a last window that starts in the padding
        out -= 1
    return out


def _per_dim(value: int | Sequence[int], k: int, name: str) -> tuple[int, ...]:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),) * k
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == k:
        return tuple(value)
    raise ValueError(f"{name} must be an int or a sequence of {k} ints (one per spatial dim), got {value!r}")


def conv_output_shape(input_size: Sequence[int], kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
                      padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1,
                      *, ceil_mode: bool = False) -> tuple[int, ...]:
    """Spatial output shape: ``conv_output_size`` applied to each dimension of ``input_size``.

    ``input_size`` is (L,), (H, W) or (T, H, W) — 1, 2 or 3 dims, no batch or channel.
    ``padding`` may be ``"valid"`` (0) or ``"same"`` (output = input, stride 1), as in PyTorch.

    Parameters
    ----------
    input_size : sequence of 1 to 3 int
        (L,), (H, W) or (T, H, W), each >= 1.
    kernel_size, stride, dilation : int or sequence of int
        One value for every dimension, or one per dimension (each >= 1).
    padding : int, sequence of int, "valid" or "same"
        Zeros added at each end of each dimension (>= 0).
    ceil_mode : bool
        Pooling's ``ceil_mode``.

    Returns
    -------
    tuple of int
        The output size per dimension, as many as ``input_size`` has.

    Raises
    ------
    ValueError
        If a size is not an int (or a sequence of them) of the right length and range, or the
        kernel is larger than the padded input.

    Examples
    --------
    >>> conv_output_shape((16, 112, 112), 3, padding=1), conv_output_shape((16, 56, 56), (1, 2, 2), (1, 2, 2))
    ((16, 112, 112), (16, 28, 28))
    """
    if isinstance(input_size, (int, str)) or not isinstance(input_size, Sequence) or not 1 <= len(input_size) <= 3:
        raise ValueError(f"input_size must be a sequence of 1 to 3 sizes, e.g. (L,), (H, W) or (T, H, W), got {input_size!r}")
    k = len(input_size)
    n = tuple(_pos_int(v, "input_size entries") for v in input_size)
    f, s, d = _per_dim(kernel_size, k, "kernel_size"), _per_dim(stride, k, "stride"), _per_dim(dilation, k, "dilation")
    if padding == "valid":
        padding = 0
    if padding == "same":
        if any(v != 1 for v in s):
            raise ValueError(f"padding='same' needs stride 1, got stride {s}")
        return n
    p = _per_dim(padding, k, "padding")
    return tuple(conv_output_size(*args, ceil_mode=ceil_mode) for args in zip(n, f, s, p, d, strict=True))


def conv_param_count(in_channels: int, out_channels: int, kernel_size: int | Sequence[int], *,
                     groups: int = 1, bias: bool = True) -> int:
    """Learnable numbers in a convolution: ``C_out · (C_in / groups) · ∏ f_i + (C_out if bias)``.

    Parameters
    ----------
    in_channels, out_channels : int
        C_in and C_out (>= 1; both divisible by ``groups``).
    kernel_size : int or sequence of int
        f, or (f_1, ..., f_k) for a k-D kernel.
    groups : int
        As in ``nn.Conv*d``.
    bias : bool
        Whether the layer has a bias per output channel.

    Returns
    -------
    int

    Examples
    --------
    >>> conv_param_count(300, 100, 3), conv_param_count(3, 64, (3, 3, 3))
    (90100, 5248)
    """
    in_channels = _pos_int(in_channels, "in_channels")
    out_channels = _pos_int(out_channels, "out_channels")
    groups = _pos_int(groups, "groups")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide in_channels={in_channels} and out_channels={out_channels}")
    if not isinstance(kernel_size, (numbers.Integral, Sequence)) or isinstance(kernel_size, (bool, str)):
        raise TypeError(f"kernel_size must be an int or 1 to 3 ints, got {type(kernel_size).__name__} {kernel_size!r}")
    ks = (kernel_size,) if isinstance(kernel_size, numbers.Integral) else tuple(kernel_size)
    if not 1 <= len(ks) <= 3:
        raise ValueError(f"kernel_size must be an int or 1 to 3 ints, got {kernel_size!r}")
    ks = tuple(_pos_int(v, "kernel_size") for v in ks)
    return out_channels * (in_channels // groups) * math.prod(ks) + (out_channels if bias else 0)


@dataclass(frozen=True)
class LayerShape:
    """One row of ``shape_table``: a layer, its input and output shapes (no batch dim), its parameter count.

    Attributes
    ----------
    name : str
        The layer's type and size, e.g. ``"Conv1d(300→100, 3)"`` or ``"MaxPool2d(2)"``.
    input_shape, output_shape : tuple of int
        (C, *spatial), without the batch dimension.
    n_params : int
        The layer's learnable numbers (0 for pooling and activations).
    """

    name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    n_params: int


_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_POOL = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
_ADAPTIVE = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
             nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)
_SAME_SHAPE = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.Tanh, nn.Sigmoid, nn.Identity, nn.Dropout, nn.Dropout1d,
               nn.Dropout2d, nn.Dropout3d, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LocalResponseNorm)
_DIMS = {nn.Conv1d: 1, nn.Conv2d: 2, nn.Conv3d: 3, nn.MaxPool1d: 1, nn.MaxPool2d: 2, nn.MaxPool3d: 3,
         nn.AvgPool1d: 1, nn.AvgPool2d: 2, nn.AvgPool3d: 3}


def _layer_output(layer: nn.Module, shape: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    n_params = sum(p.numel() for p in layer.parameters())
    if isinstance(layer, _CONV + _POOL):
        k = _DIMS[type(layer)]
        if len(shape) != k + 1:
            raise ValueError(f"{type(layer).__name__} needs an input of shape (C, {k} spatial dims), got {shape}")
        if isinstance(layer, _CONV):
            if shape[0] != layer.in_channels:
                raise ValueError(f"{type(layer).__name__} expects {layer.in_channels} input channels, got shape {shape}")
            n_params = conv_param_count(layer.in_channels, layer.out_channels, layer.kernel_size,
                                        groups=layer.groups, bias=layer.bias is not None)
            spatial = conv_output_shape(shape[1:], layer.kernel_size, layer.stride, layer.padding, layer.dilation)
            return (layer.out_channels, *spatial), n_params
        stride = layer.stride if layer.stride is not None else layer.kernel_size
        dilation = getattr(layer, "dilation", 1)
        spatial = conv_output_shape(shape[1:], layer.kernel_size, stride, layer.padding, dilation,
                                    ceil_mode=layer.ceil_mode)
        return (shape[0], *spatial), n_params
    if isinstance(layer, _ADAPTIVE):
        k = int(type(layer).__name__[-2])
        return (shape[0], *_per_dim(layer.output_size, k, "output_size")), n_params
    if isinstance(layer, nn.Flatten):
        if layer.start_dim != 1 or layer.end_dim != -1:
            raise ValueError("shape_table only follows nn.Flatten() with its defaults (start_dim=1, end_dim=-1)")
        return (math.prod(shape),), n_params
    if isinstance(layer, nn.Linear):
        if shape[-1] != layer.in_features:
            raise ValueError(f"Linear expects {layer.in_features} input features, got shape {shape}")
        return (*shape[:-1], layer.out_features), n_params
    if isinstance(layer, _SAME_SHAPE):
        return shape, n_params
    raise ValueError(f"shape_table does not know how {type(layer).__name__} changes shapes; "
                     "use convolutions, pooling, flatten, linear, norms, dropout and activations")


def shape_table(layers: nn.Module | Sequence[nn.Module], input_shape: Sequence[int]) -> list[LayerShape]:
    """Follow an input of shape ``input_shape`` = (C, *spatial) through ``layers``, computing each shape.

    Shapes come from ``conv_output_shape``, not from running the layers, so a table can be made
    for a model too big to run. Nested ``nn.Sequential`` are walked in order.

    Parameters
    ----------
    layers : nn.Module or sequence of nn.Module
        Convolutions, pooling (1-D to 3-D), activations, dropout, batch norm, flatten, linear.
    input_shape : sequence of int
        (C, *spatial) of one example, without the batch dimension.

    Returns
    -------
    list of LayerShape
        One row per leaf layer, in order.

    Raises
    ------
    ValueError
        For a layer whose effect on shapes is not known here, a layer whose channels or features
        do not match its input, or a malformed ``input_shape``.

    Examples
    --------
    >>> rows = shape_table(nn.Sequential(nn.Conv1d(300, 100, 3), nn.ReLU()), (300, 56))
    >>> rows[0].output_shape, rows[0].n_params
    ((100, 54), 90100)
    """
    if isinstance(layers, nn.Sequential):
        layers = list(layers)
    elif isinstance(layers, nn.Module):
        layers = [layers]
    if not isinstance(layers, Sequence) or not layers or not all(isinstance(m, nn.Module) for m in layers):
        raise ValueError(f"layers must be an nn.Module or a non-empty sequence of them, got {type(layers).__name__}")
    if isinstance(input_shape, (int, str)) or not isinstance(input_shape, Sequence) or not 2 <= len(input_shape) <= 4:
        raise ValueError(f"input_shape must be (C, L), (C, H, W) or (C, T, H, W) without the batch dim, got {input_shape!r}")
    shape = tuple(_pos_int(v, "input_shape entries") for v in input_shape)
    rows: list[LayerShape] = []
    for layer in layers:
        if isinstance(layer, nn.Sequential):
            sub = shape_table(layer, shape)
            rows.extend(sub)
            shape = sub[-1].output_shape
            continue
        out, n_params = _layer_output(layer, shape)
        rows.append(LayerShape(_describe(layer), shape, out, n_params))
        shape = out
    return rows


def _describe(layer: nn.Module) -> str:
    name = type(layer).__name__
    if isinstance(layer, _CONV):
        k = "×".join(map(str, layer.kernel_size))
        return f"{name}({layer.in_channels}→{layer.out_channels}, {k})"
    if isinstance(layer, _POOL):
        k = layer.kernel_size if isinstance(layer.kernel_size, int) else "×".join(map(str, layer.kernel_size))
        return f"{name}({k})"
    return name


def format_shape_table(rows: Sequence[LayerShape]) -> str:
    """A plain-text table of ``shape_table`` rows, with a total parameter count.

    Parameters
    ----------
    rows : sequence of LayerShape
        As ``shape_table`` returns them.

    Returns
    -------
    str
        A header, one line per row (name, input shape, output shape, parameters), and the total.

    Raises
    ------
    ValueError
        If ``rows`` is empty or holds anything but ``LayerShape`` rows.
    """
    if not rows or not all(isinstance(r, LayerShape) for r in rows):
        raise ValueError("rows must be a non-empty list of LayerShape (from shape_table)")
    header = ("layer", "input", "output", "params")
    body = [(r.name, str(r.input_shape), str(r.output_shape), f"{r.n_params:,}") for r in rows]
    body.append(("total", "", "", f"{sum(r.n_params for r in rows):,}"))
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(4)]
    fmt = lambda row: "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))  # noqa: E731
    return "\n".join([fmt(header), "  ".join("-" * w for w in widths), *map(fmt, body)])
