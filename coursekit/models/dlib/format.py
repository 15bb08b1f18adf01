"""Read dlib's binary serialization of its face-recognition ResNet (``*_resnet_model_v1.dat``).

dlib writes a network by recursion from the loss layer inwards, so the file holds:

1. the loss layer: version int, ``"loss_metric_2"``, margin, distance threshold;
2. one version int per layer from the outside in (``2`` = a layer with parameters or a
   computation, ``1`` = a ``tag``/``skip`` marker, ``3`` = the layer sitting on the input);
3. the input layer (``"input_rgb_image_sized"``, the mean colour, the chip size);
4. the body of every layer from the input outwards: its name string, its fields, three bools
   and some (empty) tensors that hold training state.

The primitives (dlib's ``serialize.h``):

* integer: a control byte (bit ``0x80`` = negative, low 4 bits = number of bytes), then the
  value's bytes, little-endian;
* scalar float: an integer mantissa m then an integer exponent e, value = m · 2**e;
* string: integer length + bytes; bool: ASCII ``'0'``/``'1'``;
* tensor: version 2, four integers (n, k, nr, nc), then n·k·nr·nc little-endian float32;
  alias tensor (a view into a layer's flat parameter tensor): version 1 + four integers.

The file does not store the graph (which ``add_prev`` adds which ``tag``), only the order of the
layers, so :func:`read_dlib_network` returns a flat list of layers and the caller checks it
against the architecture it expects.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["DlibFormatError", "DlibLayer", "DlibNetwork", "read_dlib_network"]

_SPECIAL_EXPONENTS = {32000: np.inf, 32001: -np.inf, 32002: np.nan}


class DlibFormatError(ValueError):
    """The file is not a dlib network of the expected kind, or it is truncated or corrupted.

    A ``ValueError``; the message names the file and the byte offset.
    """


@dataclass
class DlibLayer:
    """One computational layer as stored in the file.

    Parameters
    ----------
    kind : str
        dlib's layer name (``"con_4"``, ``"affine_"``, ``"relu_"``, ``"max_pool_2"``,
        ``"avg_pool_2"``, ``"add_prev_"``, ``"fc_2"``).
    params : dict of str to np.ndarray of float32
        con: ``weight`` (out, in, kh, kw) and ``bias`` (out,); affine: ``gamma`` and ``beta``
        (C,); fc: ``weight`` (in, out) and optionally ``bias`` (out,).
    config : dict of str to int
        window, stride, padding, mode, as the layer stores them.
    """

    kind: str
    params: dict[str, np.ndarray] = field(default_factory=dict)
    config: dict[str, int] = field(default_factory=dict)


@dataclass
class DlibNetwork:
    """The content of a dlib metric-learning network file, layers listed input first.

    Parameters
    ----------
    loss : str
        ``"loss_metric_2"``.
    margin, distance_threshold : float
        The metric loss's settings (dlib: 0.04 and 0.6).
    input_kind : str
        ``"input_rgb_image_sized"``.
    mean_rgb : (float, float, float)
        Subtracted from the input before the first layer.
    input_size : (int, int)
        Chip rows and columns (150, 150).
    layers : list of DlibLayer
        The computational layers, input first.
    version_codes : list of int
        The per-layer version ints, outermost first (2 layer, 1 tag/skip, 3 the layer on the
        input): the only trace of the tags and skips the file keeps.
    """

    loss: str
    margin: float
    distance_threshold: float
    input_kind: str
    mean_rgb: tuple[float, float, float]
    input_size: tuple[int, int]
    layers: list[DlibLayer]
    version_codes: list[int]


class _Reader:
    """A cursor over the file's bytes; every read checks that enough bytes are left."""

    def __init__(self, data: bytes, name: str):
        self.data = data
        self.pos = 0
        self.name = name

    def _take(self, n: int, what: str) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise DlibFormatError(
                f"{self.name}: file ends at byte {len(self.data)} while reading {what} "
                f"({n} bytes needed at byte {self.pos}); the file is truncated or not a dlib network"
            )
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def fail(self, what: str) -> DlibFormatError:
        return DlibFormatError(f"{self.name}: at byte {self.pos}: {what}")

    def int(self, what: str) -> int:
        control = self._take(1, what)[0]
        size = control & 0x0F
        if size == 0 or size > 8 or control & 0x70:
            self.pos -= 1
            raise self.fail(f"bad integer control byte 0x{control:02x} while reading {what}")
        value = int.from_bytes(self._take(size, what), "little")
        return -value if control & 0x80 else value

    def float(self, what: str) -> float:
        mantissa = self.int(what + " (mantissa)")
        exponent = self.int(what + " (exponent)")
        if exponent in _SPECIAL_EXPONENTS:
            return float(_SPECIAL_EXPONENTS[exponent])
        return float(np.ldexp(float(mantissa), exponent))

    def string(self, what: str, max_len: int = 256) -> str:
        n = self.int(what + " (length)")
        if not 0 <= n <= max_len:
            raise self.fail(f"string length {n} out of range [0, {max_len}] while reading {what}")
        raw = self._take(n, what)
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            raise self.fail(f"non-ASCII bytes {raw[:16]!r} while reading {what}") from None

    def bool(self, what: str) -> bool:
        c = self._take(1, what)
        if c not in (b"0", b"1"):
            self.pos -= 1
            raise self.fail(f"expected a bool ('0' or '1') for {what}, got {c!r}")
        return c == b"1"

    def expect_version(self, expected: int, what: str) -> None:
        v = self.int(what + " version")
        if v != expected:
            raise self.fail(f"{what} version {v}, expected {expected}")

    def shape4(self, what: str) -> tuple[int, int, int, int]:
        shape = tuple(self.int(f"{what} dim {i}") for i in range(4))
        if any(d < 0 for d in shape):
            raise self.fail(f"negative dimension in {what} shape {shape}")
        return shape  # type: ignore[return-value]

    def tensor(self, what: str) -> np.ndarray:
        self.expect_version(2, what)
        shape = self.shape4(what)
        count = int(np.prod(shape, dtype=np.int64))
        raw = self._take(4 * count, f"{what} values")
        values = np.frombuffer(raw, dtype="<f4").astype(np.float32)  # copy: own the memory
        return values.reshape(shape)

    def alias(self, what: str) -> tuple[int, int, int, int]:
        self.expect_version(1, what)
        return self.shape4(what)


def _split(flat: np.ndarray, shapes: list[tuple[int, ...]], what: str, r: _Reader) -> list:
    """Cut a layer's flat parameter tensor into views of the given shapes, in order."""
    flat = flat.reshape(-1)
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    if sum(sizes) != flat.size:
        raise r.fail(f"{what} holds {flat.size} parameters but its parts {shapes} need {sum(sizes)}")
    out, start = [], 0
    for s, n in zip(shapes, sizes, strict=True):
        out.append(flat[start : start + n].reshape(s).copy())
        start += n
    return out


def _read_multipliers(r: _Reader, what: str, n: int) -> None:
    for i in range(n):  # learning-rate / weight-decay multipliers: training state only
        r.float(f"{what} multiplier {i}")


def _read_con(r: _Reader) -> DlibLayer:
    flat = r.tensor("con params")
    num_filters, nr, nc = (r.int(f"con {w}") for w in ("num_filters", "nr", "nc"))
    sy, sx, py, px = (r.int(f"con {w}") for w in ("stride_y", "stride_x", "pad_y", "pad_x"))
    wshape, bshape = r.alias("con filters"), r.alias("con biases")
    _read_multipliers(r, "con", 4)
    if wshape[0] != num_filters or wshape[2:] != (nr, nc):
        raise r.fail(f"con filters shape {wshape} disagrees with {num_filters} filters of {nr}x{nc}")
    weight, bias = _split(flat, [wshape, (num_filters,)], "con params", r)
    if int(np.prod(bshape)) != num_filters:
        raise r.fail(f"con biases shape {bshape} does not hold {num_filters} values")
    config = {"stride": sy, "stride_x": sx, "padding": py, "padding_x": px}
    return DlibLayer("con_4", {"weight": weight, "bias": bias}, config)


def _read_affine(r: _Reader) -> DlibLayer:
    flat = r.tensor("affine params")
    gshape, bshape = r.alias("affine gamma"), r.alias("affine beta")
    mode = r.int("affine mode")
    gamma, beta = _split(flat, [gshape, bshape], "affine params", r)
    return DlibLayer("affine_", {"gamma": gamma.reshape(-1), "beta": beta.reshape(-1)}, {"mode": mode})


def _read_pool(kind: str, r: _Reader) -> DlibLayer:
    keys = ("window", "window_x", "stride", "stride_x", "padding", "padding_x")
    return DlibLayer(kind, config={k: r.int(f"{kind} {k}") for k in keys})


def _read_fc(r: _Reader) -> DlibLayer:
    num_outputs, num_inputs = r.int("fc num_outputs"), r.int("fc num_inputs")
    flat = r.tensor("fc params")
    wshape, bshape = r.alias("fc weights"), r.alias("fc biases")
    bias_mode = r.int("fc bias_mode")
    _read_multipliers(r, "fc", 4)
    if wshape[:2] != (num_inputs, num_outputs):
        raise r.fail(f"fc weights shape {wshape} disagrees with {num_inputs} inputs, {num_outputs} outputs")
    parts = _split(flat, [wshape[:2]] + ([bshape[:2]] if any(bshape) else []), "fc params", r)
    params = {"weight": parts[0]}  # (num_inputs, num_outputs): forward is x @ weight
    if len(parts) == 2:
        params["bias"] = parts[1].reshape(-1)
    return DlibLayer("fc_2", params, {"bias_mode": bias_mode})


_BODY_READERS = {
    "con_4": _read_con,
    "affine_": _read_affine,
    "relu_": lambda r: DlibLayer("relu_"),
    "add_prev_": lambda r: DlibLayer("add_prev_"),
    "max_pool_2": lambda r: _read_pool("max_pool_2", r),
    "avg_pool_2": lambda r: _read_pool("avg_pool_2", r),
    "fc_2": _read_fc,
}


def _read_layer_body(r: _Reader, index: int, is_first: bool) -> DlibLayer:
    kind = r.string(f"name of layer {index}")
    if kind not in _BODY_READERS:
        raise r.fail(f"layer {index} is {kind!r}; this reader knows {sorted(_BODY_READERS)}")
    layer = _BODY_READERS[kind](r)
    for flag in ("setup_called", "gradient_input_is_stale", "output_and_gradient_disabled"):
        r.bool(f"layer {index} {flag}")
    # training state: x_grad, cached_output, then grad_final + sample_expansion_factor for the
    # layer on the input, params_grad for the others
    for t in ("x_grad", "cached_output", "grad_final" if is_first else "params_grad"):
        r.tensor(f"layer {index} ({kind}) {t}")
    if is_first:
        r.int("sample_expansion_factor")
    return layer


def _read_network(data: bytes, name: str) -> DlibNetwork:
    r = _Reader(data, name)
    r.expect_version(1, "loss layer")
    loss = r.string("loss layer name")
    if loss != "loss_metric_2":
        raise r.fail(f"loss layer is {loss!r}, expected 'loss_metric_2' (a dlib metric network)")
    margin, threshold = r.float("loss margin"), r.float("loss distance threshold")

    codes = []  # one version int per layer, outermost first, until the layer on the input
    while True:
        code = r.int("layer version")
        if code not in (1, 2, 3):
            raise r.fail(f"layer version {code}, expected 1 (tag/skip), 2 (layer) or 3 (first layer)")
        codes.append(code)
        if code == 3:
            break
        if len(codes) > 10_000:
            raise r.fail("more than 10000 nested layers; not a dlib network file")

    input_kind = r.string("input layer name")
    if input_kind != "input_rgb_image_sized":
        raise r.fail(f"input layer is {input_kind!r}, expected 'input_rgb_image_sized'")
    mean_rgb = tuple(r.float(f"input mean {c}") for c in "RGB")
    input_size = (r.int("input rows"), r.int("input columns"))

    n_layers = codes.count(2) + 1  # the layer on the input carries code 3
    layers = [_read_layer_body(r, i, is_first=(i == 0)) for i in range(n_layers)]
    if r.pos != len(data):
        raise r.fail(f"{len(data) - r.pos} unread bytes after the last layer; not the expected network")
    return DlibNetwork(loss, margin, threshold, input_kind, mean_rgb, input_size, layers, codes)


def read_dlib_network(path: str | os.PathLike) -> DlibNetwork:
    """Parse a dlib metric-learning network file such as ``dlib_face_recognition_resnet_model_v1.dat``.

    Parameters
    ----------
    path : str or PathLike
        The ``.dat`` file (about 22 MB for the face ResNet).

    Returns
    -------
    DlibNetwork
        The loss settings, the input mean colour and size, and the layers input first, each with
        its parameters as float32 arrays (con weight (out, in, kh, kw), fc weight (in, out)).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    DlibFormatError
        (a ``ValueError``) The bytes are not such a network: wrong header, unknown layer,
        truncated, trailing bytes. The message gives the byte offset.

    Examples
    --------
    >>> from coursekit.models.dlib.pretrained import find_model_file
    >>> read_dlib_network(find_model_file()).layers[0].params["weight"].shape
    (32, 3, 7, 7)
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"path must be an existing dlib network file, got {str(p)!r}")
    return _read_network(p.read_bytes(), p.name)

