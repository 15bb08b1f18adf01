"""Receptive-field arithmetic: which input pixels a unit of a conv/pool layer can see.

For a chain of layers, each with kernel k, stride s, padding p and dilation d, the effective
kernel is k_eff = d (k − 1) + 1 and, going from a layer's input to its output (Dang Ha The Hien,
"A guide to receptive field arithmetic", 2017; Araujo et al., Distill 2019):

    n_out = floor((n_in + 2p − k_eff) / s) + 1      output size (ceil in ``ceil_mode``)
    j_out = j_in · s                                jump: input pixels between adjacent units
    r_out = r_in + (k_eff − 1) · j_in               size of the receptive field
    c_out = c_in + ((k_eff − 1) / 2 − p) · j_in     centre of the first unit's field

starting from the image itself (n_in = image size, j = 1, r = 1, c = 0). Unit i of a layer
then sees input rows [c + i·j − (r − 1)/2, c + i·j + (r − 1)/2], partly outside the image near
the borders. Each quantity is kept per axis, (height, width).

``coursekit.visualize.backprojection`` measures the same boxes on any ``nn.Module``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from torch import nn

__all__ = [
    "LayerSpec",
    "ReceptiveField",
    "layer_specs",
    "receptive_fields",
    "receptive_field",
    "format_receptive_fields",
    "as_pair",
]

Pair = tuple[int, int]
_POINTWISE = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU, nn.SiLU,
    nn.Mish, nn.Sigmoid, nn.Tanh, nn.Hardtanh, nn.Hardswish, nn.Hardsigmoid, nn.Softplus,
    nn.BatchNorm2d, nn.InstanceNorm2d, nn.GroupNorm, nn.LayerNorm, nn.LocalResponseNorm,
    nn.Dropout, nn.Dropout2d, nn.AlphaDropout, nn.Identity,
)
# after these there is no spatial map any more: every unit sees the whole image
_GLOBAL = (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.Flatten, nn.Linear)
_KINDS = ("conv", "maxpool", "avgpool", "pointwise")


def as_pair(value: int | Sequence[int], what: str, minimum: int) -> Pair:
    """A layer's size argument as an (h, w) pair, as PyTorch's layers read it.

    Parameters
    ----------
    value : int or sequence of two ints
        ``3`` stands for ``(3, 3)``; bools are rejected.
    what : str
        The argument's name, for the error messages.
    minimum : int
        The smallest value allowed in each entry (1 for kernels and strides, 0 for padding).

    Returns
    -------
    tuple of two ints
        ``(h, w)``.

    Raises
    ------
    TypeError
        If ``value`` is not an int or a pair of ints.
    ValueError
        If an entry is below ``minimum``.

    Examples
    --------
    >>> as_pair(3, "kernel_size", 1)
    (3, 3)
    """
    if not isinstance(value, (int, Sequence)) or isinstance(value, (bool, str)):
        raise TypeError(f"{what} must be an int or a pair of ints, got {value!r}")
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise TypeError(f"{what} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{what} must be >= {minimum}, got {value!r}")
    return pair  # type: ignore[return-value]


@dataclass(frozen=True)
class LayerSpec:
    """Geometry of one layer: kernel, stride, padding, dilation (ints or (h, w) pairs).

    Parameters
    ----------
    name : str
        The layer's name in the model.
    kernel, stride, padding, dilation : int or (int, int)
        As in PyTorch's layers; stored as (h, w) pairs.
    ceil_mode : bool
        Pooling that rounds the output size up.
    kind : {"conv", "maxpool", "avgpool", "pointwise"}
        Pointwise layers (activations, normalisation) leave the field unchanged.
    """

    name: str
    kernel: int | Pair = 1
    stride: int | Pair = 1
    padding: int | Pair = 0
    dilation: int | Pair = 1
    ceil_mode: bool = False
    kind: str = "conv"

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {self.kind!r}")
        for what, minimum in (("kernel", 1), ("stride", 1), ("padding", 0), ("dilation", 1)):
            object.__setattr__(self, what, as_pair(getattr(self, what), f"{self.name}.{what}", minimum))

    @property
    def effective_kernel(self) -> Pair:
        """k_eff = d (k − 1) + 1 per axis."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation, strict=True))  # type: ignore[return-value]


@dataclass(frozen=True)
class ReceptiveField:
    """Receptive field of the units of one layer, per axis (height, width).

    ``size`` r, ``jump`` j, ``start`` c (centre of unit 0's field, in input pixels) and the
    layer's output size when an input size was given.

    Parameters
    ----------
    name : str
        The layer's name.
    size : (int, int)
        r: input pixels each unit sees, per axis.
    jump : (int, int)
        j: input pixels between neighbouring units.
    start : (float, float)
        c: centre of unit (0, 0)'s field, in input pixels.
    out_size : (int, int), optional
        The layer's output size for the given input size.
    """

    name: str
    size: Pair
    jump: Pair
    start: tuple[float, float]
    out_size: Pair | None = None

    def box(self, row: int, col: int) -> tuple[int, int, int, int]:
        """Input box (top, left, bottom, right), bottom/right exclusive, seen by unit (row, col).

        top = c + row·j − (r − 1)/2 is always an integer; it may be negative, and bottom may
        exceed the image size, near the borders.
        """
        tl = [round(c - (r - 1) / 2 + i * j)
              for c, r, j, i in zip(self.start, self.size, self.jump, (row, col), strict=True)]
        return tl[0], tl[1], tl[0] + self.size[0], tl[1] + self.size[1]


def layer_specs(model: nn.Module) -> list[LayerSpec]:
    """The geometry of every leaf layer of a chain of layers, in order, named as in the model.

    Walks ``model.named_modules()`` in registration order, which is the execution order for an
    ``nn.Sequential`` (or a module that calls its children in the order it defines them, like
    torchvision's VGG). Stops at the first layer after which there is no spatial map
    (adaptive pooling, flatten, linear). For residual nets use ``measure_receptive_field``.

    Parameters
    ----------
    model : nn.Module
        A chain of Conv2d, MaxPool2d, AvgPool2d and pointwise layers.

    Returns
    -------
    list of LayerSpec
        One per leaf layer, up to the first layer without a spatial map.

    Raises
    ------
    TypeError
        For a layer whose geometry is unknown (e.g. an LSTM).

    Examples
    --------
    >>> [s.kind for s in layer_specs(nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.MaxPool2d(2)))]
    ['conv', 'pointwise', 'maxpool']
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    specs: list[LayerSpec] = []
    for name, module in model.named_modules():
        if next(module.children(), None) is not None:
            continue  # a container: its children are visited
        if isinstance(module, nn.Conv2d):
            padding = module.padding
            if isinstance(padding, str):  # "valid" or "same" (stride 1 only, per PyTorch)
                k_eff = [d * (k - 1) + 1 for k, d in zip(module.kernel_size, module.dilation, strict=True)]
                if padding == "same" and any(k % 2 == 0 for k in k_eff):
                    raise ValueError(f"layer {name!r}: padding='same' with an even effective kernel "
                                     f"{tuple(k_eff)} pads asymmetrically; give explicit padding")
                padding = (0, 0) if padding == "valid" else tuple((k - 1) // 2 for k in k_eff)
            specs.append(LayerSpec(name, module.kernel_size, module.stride, padding, module.dilation))
        elif isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
            is_max = isinstance(module, nn.MaxPool2d)
            specs.append(LayerSpec(
                name, module.kernel_size, module.stride or module.kernel_size, module.padding,
                module.dilation if is_max else 1, module.ceil_mode, "maxpool" if is_max else "avgpool",
            ))
        elif isinstance(module, _POINTWISE):
            specs.append(LayerSpec(name, kind="pointwise"))
        elif isinstance(module, _GLOBAL):
            break
        else:
            raise TypeError(
                f"layer {name!r} is a {type(module).__name__}, whose geometry is unknown: expected "
                "Conv2d, MaxPool2d, AvgPool2d or a pointwise layer; pass a list of LayerSpec, or "
                "use measure_receptive_field for this model"
            )
    return specs


def _as_specs(layers: nn.Module | Sequence[LayerSpec | Mapping]) -> list[LayerSpec]:
    if isinstance(layers, nn.Module):
        return layer_specs(layers)
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise TypeError(f"layers must be an nn.Module or a list of LayerSpec/dicts, got {type(layers).__name__}")
    specs = []
    for i, item in enumerate(layers):
        if isinstance(item, LayerSpec):
            specs.append(item)
        elif isinstance(item, Mapping):
            specs.append(LayerSpec(**{"name": f"layer{i}", **item}))
        else:
            raise TypeError(f"layers[{i}] must be a LayerSpec or a dict, got {type(item).__name__}")
    return specs


def receptive_fields(
    layers: nn.Module | Sequence[LayerSpec | Mapping], input_size: int | Pair | None = None
) -> list[ReceptiveField]:
    """Receptive field (size, jump, start) of every layer of a chain, by the recurrence above.

    Parameters
    ----------
    layers : nn.Module (walked by ``layer_specs``) or list of LayerSpec / dicts of its fields
    input_size : int or (H, W), optional
        The image size; when given, each layer's output size is computed too.

    Returns
    -------
    list of ReceptiveField, one per layer (pointwise layers repeat the previous field).

    Examples
    --------
    >>> receptive_fields([{"kernel": 3}, {"kernel": 2, "stride": 2}, {"kernel": 3}])[-1].size
    (8, 8)
    """
    specs = _as_specs(layers)
    n = None if input_size is None else as_pair(input_size, "input_size", 1)
    return _receptive_fields(specs, n)


def _receptive_fields(specs: list[LayerSpec], n: Pair | None) -> list[ReceptiveField]:
    r, j, c = [1, 1], [1, 1], [0.0, 0.0]
    size = None if n is None else list(n)
    out = []
    for spec in specs:
        for a in range(2):  # height, then width
            k = spec.effective_kernel[a]
            if size is not None:
                span = size[a] + 2 * spec.padding[a] - k
                if span < 0:
                    raise ValueError(f"layer {spec.name!r}: input of size {size[a]} (+2·{spec.padding[a]} "
                                     f"padding) is smaller than its effective kernel {k}")
                rounding = math.ceil if spec.ceil_mode else math.floor
                size[a] = rounding(span / spec.stride[a]) + 1
            r[a] += (k - 1) * j[a]
            c[a] += ((k - 1) / 2 - spec.padding[a]) * j[a]
            j[a] *= spec.stride[a]
        out.append(ReceptiveField(spec.name, tuple(r), tuple(j), tuple(c),
                                  None if size is None else tuple(size)))
    return out


def receptive_field(
    layers: nn.Module | Sequence[LayerSpec | Mapping], layer: str, input_size: int | Pair | None = None
) -> ReceptiveField:
    """The receptive field of the layer called ``layer`` (see ``receptive_fields``).

    Parameters
    ----------
    layers : nn.Module or sequence of LayerSpec or mapping
        The network, or its layers' geometry.
    layer : str
        The layer's name.
    input_size : int or (int, int), optional
        (H, W) of the input; gives ``out_size``.

    Returns
    -------
    ReceptiveField

    Raises
    ------
    ValueError
        If no layer is called ``layer``.

    Examples
    --------
    >>> receptive_field(nn.Sequential(nn.Conv2d(1, 1, 5), nn.Conv2d(1, 1, 3, stride=2)), "1").size
    (7, 7)
    """
    fields = receptive_fields(layers, input_size)
    for rf in fields:
        if rf.name == layer:
            return rf
    raise ValueError(f"layer {layer!r} is not among the layers with a receptive field: "
                     f"{[rf.name for rf in fields]}")


def format_receptive_fields(fields: Sequence[ReceptiveField], *, skip_pointwise: bool = True) -> str:
    """A plain-text table (layer, output size, jump, receptive field, start) for printing.

    Parameters
    ----------
    fields : sequence of ReceptiveField
        e.g. from ``receptive_fields``.
    skip_pointwise : bool
        Leave out the rows of layers that do not change the field (ReLU, batch norm...).

    Returns
    -------
    str
        One header line and one line per row.
    """
    lines = [f"{'layer':>14} {'output':>9} {'jump':>5} {'field':>9} {'start':>6}"]
    previous = None
    for rf in fields:
        geometry = (rf.size, rf.jump, rf.start, rf.out_size)
        if skip_pointwise and geometry == previous:
            continue
        previous = geometry
        out = "?" if rf.out_size is None else f"{rf.out_size[0]}x{rf.out_size[1]}"
        jump = str(rf.jump[0]) if rf.jump[0] == rf.jump[1] else f"{rf.jump[0]},{rf.jump[1]}"
        start = f"{rf.start[0]:g}" if rf.start[0] == rf.start[1] else f"{rf.start[0]:g},{rf.start[1]:g}"
        lines.append(f"{rf.name:>14} {out:>9} {jump:>5} {f'{rf.size[0]}x{rf.size[1]}':>9} {start:>6}")
    return "\n".join(lines)
