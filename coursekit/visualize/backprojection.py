"""Measuring receptive fields by back-propagating a gradient from one unit to the input.

The input pixels that can change a unit are those with a non-zero gradient, for *some* input
and weights. To see all of them at once, the network is made linear with positive weights:

- a float64 copy whose conv/linear weights are 1/fan_in and whose 1-D parameters (scales,
  biases) are 1, so no two paths cancel and the values stay O(1);
- run under a ``TorchFunctionMode`` that turns ReLU-like functions into the identity and max
  pooling into average pooling of the same geometry (module or functional form alike), so no
  path is cut off by a ReLU at zero or by the arg-max of a pool.

The bounding box of the gradient's support is then exactly the receptive field of the unit,
clipped by the image borders: this works for residual nets and any other ``nn.Module`` whose
spatial layers are convolutions and pools.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from .hooks import get_layer, hooked, run_hooked
from .receptive_field import Pair, ReceptiveField, as_pair

__all__ = ["receptive_field_by_gradient", "measure_receptive_field", "measure_receptive_fields"]

_PASS_THROUGH = {"relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "hardtanh", "hardtanh_",
                 "elu", "elu_", "selu", "celu", "gelu", "silu", "mish", "prelu", "rrelu", "threshold"}
_MAX_POOLS = {"max_pool2d", "_max_pool2d", "max_pool2d_with_indices"}
_POOL_ARGS = ("input", "kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices")


class _Linearized(TorchFunctionMode):
    """ReLU-likes -> identity, max pool -> average pool, while the mode is active."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name in _PASS_THROUGH:
            return args[0] if args else kwargs["input"]
        if name in _MAX_POOLS:
            a = dict(zip(_POOL_ARGS, args, strict=False)) | kwargs
            if as_pair(a.get("dilation", 1), "dilation", 1) != (1, 1) or a.get("return_indices", False):
                raise ValueError("measuring a receptive field through a dilated max pool, or one that "
                                 "returns indices, is not supported")
            return F.avg_pool2d(a["input"], a["kernel_size"], a.get("stride") or a["kernel_size"],
                                a.get("padding", 0), a.get("ceil_mode", False))
        return func(*args, **kwargs)


def _positive_copy(model: nn.Module) -> nn.Module:
    net = copy.deepcopy(model).double().eval()
    with torch.no_grad():
        for p in net.parameters():
            # conv/linear weights average their inputs; scales and biases are 1
            p.fill_(1.0 / p[0].numel() if p.dim() >= 2 else 1.0)
        for name, b in net.named_buffers():
            if name.endswith("running_var"):
                b.fill_(1.0)  # batch norm's scale 1/sqrt(var + eps) stays positive and O(1)
    return net


def _boxes(model, layers, size, units, in_channels, call):
    """{layer: ([box of each unit that ``units(layer, h, w)`` names], (h, w))}, one forward pass."""
    for layer in layers:
        get_layer(model, layer)
    net = _positive_copy(model)
    param = next(net.parameters(), None)
    x = torch.zeros(1, in_channels, *size, dtype=torch.float64,
                    device=None if param is None else param.device, requires_grad=True)
    found = {}

    def keep(name, output):
        found[name] = output

    with torch.enable_grad(), _Linearized(), hooked(net, list(layers), keep):
        run_hooked(net, x, list(layers), call=call)
    out = {}
    for layer in layers:
        if layer not in found:
            raise ValueError(f"the forward pass finished without running layer {layer!r}")
        act = found[layer]
        if act.dim() != 4:
            raise ValueError(f"layer {layer!r} output must be (N, C, H, W), got {tuple(act.shape)}")
        h, w = act.shape[2:]
        boxes = []
        for unit in units(layer, h, w):
            row, col = unit
            if not (0 <= row < h and 0 <= col < w):
                raise ValueError(f"unit must lie in the {h}x{w} map of layer {layer!r}, got {tuple(unit)}")
            (grad,) = torch.autograd.grad(act[0, :, row, col].sum(), x, retain_graph=True)
            support = grad[0].abs().sum(0)
            rows, cols = support.sum(1).nonzero().flatten(), support.sum(0).nonzero().flatten()
            if rows.numel() == 0:
                raise ValueError(f"no input pixel reaches unit {tuple(unit)} of layer {layer!r}")
            boxes.append((int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1))
        out[layer] = (boxes, (h, w))
    return out


def receptive_field_by_gradient(
    model: nn.Module,
    layer: str,
    input_size: int | Pair,
    unit: Pair | None = None,
    *,
    in_channels: int = 3,
    call: Callable[[nn.Module, torch.Tensor], object] | None = None,
) -> tuple[int, int, int, int]:
    """Box of the input pixels that one unit of ``layer`` depends on, measured by back-propagation.

    Parameters
    ----------
    model : nn.Module (not modified: a float64 copy is made)
    layer : str, a name from ``model.named_modules()``
    input_size : int or (H, W), the size of the probe image
    unit : (row, col) in the layer's map; default the central unit
    in_channels : int, channels of the probe image
    call : callable (model, x) -> anything, optional
        How to run the copy, when ``model(x)`` is not it (e.g. ``lambda m, x: m.features(x)``
        to skip an input-size check).

    Returns
    -------
    (top, left, bottom, right), bottom/right exclusive, clipped to the image.

    Examples
    --------
    >>> receptive_field_by_gradient(nn.Sequential(nn.Conv2d(3, 2, 3), nn.Conv2d(2, 2, 3)), "1", 9)
    (2, 2, 7, 7)
    """
    size = as_pair(input_size, "input_size", 1)
    chosen = (lambda _, h, w: [(h // 2, w // 2)]) if unit is None else (lambda _, h, w: [tuple(unit)])
    return _boxes(model, [layer], size, chosen, in_channels, call)[layer][0][0]


def measure_receptive_field(
    model: nn.Module,
    layer: str,
    input_size: int | Pair,
    *,
    in_channels: int = 3,
    call: Callable[[nn.Module, torch.Tensor], object] | None = None,
) -> ReceptiveField:
    """Size, jump and start of ``layer``'s receptive field, from the boxes of three units.

    The central unit (i, j) gives the size r (its box must not touch the border: make
    ``input_size`` larger than the field) and top = c + i·jump − (r − 1)/2 gives the start c;
    units (i + 1, j) and (i, j + 1) give the jump. The result has no ``out_size``. Parameters
    as in ``receptive_field_by_gradient``.

    Returns
    -------
    ReceptiveField
        ``size``, ``jump`` and ``start`` per axis; ``out_size`` None.

    Examples
    --------
    >>> measure_receptive_field(nn.Sequential(nn.Conv2d(1, 1, 3), nn.MaxPool2d(2)), "1", 12, in_channels=1).size
    (4, 4)
    """
    return measure_receptive_fields(model, [layer], input_size, in_channels=in_channels, call=call)[layer]


def measure_receptive_fields(
    model: nn.Module,
    layers: Sequence[str],
    input_size: int | Pair,
    *,
    in_channels: int = 3,
    call: Callable[[nn.Module, torch.Tensor], object] | None = None,
) -> dict[str, ReceptiveField]:
    """``measure_receptive_field`` for several layers with one copy and one forward pass.

    Parameters
    ----------
    model : nn.Module
        Any network; it is copied (positive weights, linearised), never changed.
    layers : sequence of str
        Names from ``model.named_modules()``; at least one.
    input_size : int or (int, int)
        (H, W) of the probe input; larger than the largest field.
    in_channels : int
        Channels of the probe input.
    call : callable (model, x) -> anything, optional
        How to run the model (default ``model(x)``).

    Returns
    -------
    dict of str to ReceptiveField
        One per layer, in the order of ``layers``; ``out_size`` None.

    Examples
    --------
    >>> net = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3))
    >>> [rf.size for rf in measure_receptive_fields(net, ["0", "1"], 9, in_channels=1).values()]
    [(3, 3), (5, 5)]
    """
    size = as_pair(input_size, "input_size", 1)
    if isinstance(layers, str) or len(layers) == 0:
        raise ValueError(f"layers must be a non-empty list of layer names, got {layers!r}")

    def three(layer, h, w):
        if h < 2 or w < 2:
            raise ValueError(f"layer {layer!r} gives a {h}x{w} map for a {size} input: need at least "
                             "2x2 units to measure the jump; use a larger input_size")
        i, j = min(h // 2, h - 2), min(w // 2, w - 2)
        return [(i, j), (i + 1, j), (i, j + 1)]

    fields = {}
    for layer, ((centre, down, right), (h, w)) in _boxes(model, layers, size, three, in_channels, call).items():
        if centre[0] == 0 or centre[1] == 0 or centre[2] == size[0] or centre[3] == size[1]:
            raise ValueError(f"the field of the central unit of layer {layer!r} reaches the border of "
                             f"the {size[0]}x{size[1]} probe ({centre}): use a larger input_size")
        r = (centre[2] - centre[0], centre[3] - centre[1])
        jump = (down[0] - centre[0], right[1] - centre[1])
        i, j = min(h // 2, h - 2), min(w // 2, w - 2)
        start = (centre[0] + (r[0] - 1) / 2 - i * jump[0], centre[1] + (r[1] - 1) / 2 - j * jump[1])
        fields[layer] = ReceptiveField(layer, r, jump, start)
    return fields
