"""dlib's pretrained face-recognition ResNet (``dlib_face_recognition_resnet_model_v1``) in PyTorch.

The network (dlib's ``dnn_face_recognition_ex.cpp``) maps an aligned 150×150 RGB face chip to a
128-D descriptor; two faces are the same person when the Euclidean distance between their
descriptors is below 0.6. Its weights ship in the PyPI package ``face_recognition_models``;
:mod:`coursekit.models.dlib.format` reads them and this module rebuilds the network;
:mod:`coursekit.models.dlib.pretrained` finds the file, caches the converted weights and embeds chips.

Layout, input first (sizes for a 150×150 chip)::

    (x - mean_rgb) / 256
    conv 7×7/2, 32, no padding -> affine -> relu -> max pool 3×3/2       35×35×32
    3 × block(32)                                                          35×35×32
    down(64)  + 3 × block(64)                                              17×17×64
    down(128) + 2 × block(128)                                               8×8×128
    down(256) + 2 × block(256)                                               4×4×256
    down(256)                                                                2×2×256
    global average -> fc 256→128 without bias

    block(C): relu(x + affine(conv3×3(relu(affine(conv3×3(x))))))
    down(C):  same with the first conv at stride 2 *without padding*, and avg_pool2×2/2(x) as the
              skip; the sum zero-pads the smaller operand (channels, bottom/right) to the larger.

"affine" is batch norm folded into a per-channel y = γ·x + β (dlib's ``affine_`` layer).
"""

from __future__ import annotations

import copy
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from coursekit.models.dlib.format import DlibFormatError, DlibNetwork, read_dlib_network

__all__ = ["DlibFaceResNet", "load_dlib_weights", "CHIP_SIZE", "SAME_PERSON_DISTANCE"]

CHIP_SIZE = 150
SAME_PERSON_DISTANCE = 0.6  # dlib's threshold on the Euclidean distance between descriptors


class Affine(nn.Module):
    """Per-channel y = gamma_c · x + beta_c (a batch norm with its statistics folded in).

    Parameters
    ----------
    channels : int
        C; ``gamma`` and ``beta`` have shape (C,). Input and output (N, C, H, W).
    """

    def __init__(self, channels: int):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels))
        self.beta = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """y = gamma_c · x + beta_c, per channel (no input checks).

        Parameters
        ----------
        x : Tensor of shape (N, C, H, W)

        Returns
        -------
        Tensor of shape (N, C, H, W)
        """
        return torch.addcmul(self.beta[:, None, None], x, self.gamma[:, None, None])


def _add_prev(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """dlib's add_prev: the sum takes the larger size per dimension, zero-filling at the end."""
    if a.shape == b.shape:
        return a + b
    c, h, w = (max(a.shape[i], b.shape[i]) for i in (1, 2, 3))

    def grow(t):  # F.pad lists (left, right, top, bottom, front, back) from the last dim back
        return F.pad(t, (0, w - t.shape[3], 0, h - t.shape[2], 0, c - t.shape[1]))

    return grow(a) + grow(b)


class ResidualBlock(nn.Module):
    """dlib's ``ares`` (down=False) or ``ares_down`` (down=True) block.

    relu(x + affine(conv3×3(relu(affine(conv3×3(x)))))), with the first conv at stride 2
    without padding and a 2×2 average pool on the skip when ``down``.

    Parameters
    ----------
    in_channels, out_channels : int
        Input (N, in_channels, H, W); output (N, out_channels, H, W), or H // 2 × W // 2
        when ``down``.
    down : bool
        Whether the block halves the resolution.
    """

    def __init__(self, in_channels: int, out_channels: int, down: bool):
        super().__init__()
        self.down = down
        stride, pad = (2, 0) if down else (1, 1)  # dlib pads only its stride-1 convolutions
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=pad)
        self.affine1 = Affine(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1)
        self.affine2 = Affine(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The block's output (no input checks).

        Parameters
        ----------
        x : Tensor of shape (N, in_channels, H, W)

        Returns
        -------
        Tensor of shape (N, out_channels, H, W), or (N, out_channels, H // 2, W // 2) when ``down``
            (the pooled skip's size; the residual's (H − 1) // 2 is zero-padded up to it).
        """
        r = self.affine2(self.conv2(F.relu(self.affine1(self.conv1(x)), inplace=True)))
        skip = F.avg_pool2d(x, 2, 2) if self.down else x
        return F.relu(_add_prev(r, skip), inplace=True)  # the sum is a fresh tensor


# (output channels, is a down-sampling block), input first: dlib's alevel4 ... alevel0
_BLOCKS = [(32, False)] * 3 + [(64, True)] + [(64, False)] * 3 + [(128, True)] + [(128, False)] * 2
_BLOCKS += [(256, True)] + [(256, False)] * 2 + [(256, True)]


class DlibFaceResNet(nn.Module):
    """The dlib face ResNet: RGB chips (N, 3, 150, 150), values 0–255, to descriptors (N, 128).

    Randomly initialised; :func:`pretrained_face_embedder` returns it with dlib's weights.
    The constructor takes no arguments: the architecture is dlib's, fixed.

    Examples
    --------
    >>> DlibFaceResNet()(torch.zeros(2, 3, 150, 150)).shape
    torch.Size([2, 128])
    """

    def __init__(self):
        super().__init__()
        self.register_buffer("mean_rgb", torch.tensor([122.782, 117.001, 104.298]))
        self.conv1 = nn.Conv2d(3, 32, 7, stride=2, padding=0)
        self.affine1 = Affine(32)
        blocks, c_in = [], 32
        for c_out, down in _BLOCKS:
            blocks.append(ResidualBlock(c_in, c_out, down))
            c_in = c_out
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(256, 128, bias=False)
        self.input_folded = False  # True once fuse_affine() moved the normalisation into conv1

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last residual block's output, before the global average (no input checks).

        Parameters
        ----------
        x : Tensor of float, shape (N, 3, 150, 150)
            RGB chips, values 0–255.

        Returns
        -------
        Tensor of shape (N, 256, 2, 2)
        """
        if not self.input_folded:
            x = (x - self.mean_rgb[:, None, None]) / 256.0
        x = F.max_pool2d(F.relu(self.affine1(self.conv1(x)), inplace=True), 3, 2)
        return self.blocks(x)

    def fuse_affine(self) -> DlibFaceResNet:
        """A copy for fast inference with each affine folded into the conv before it.

        γ·(W∗x + b) + β = (γW)∗x + (γb + β), per output channel; the affine layers become
        identities. The input normalisation (x − m)/256 moves into the first conv too (it has
        no padding, so W∗((x − m)/256) = (W/256)∗x − Σ W·m/256 exactly). Descriptors agree with
        the unfused network to float32 rounding (~1e-6).

        Returns
        -------
        DlibFaceResNet
            A new network (this one is left unchanged); same input and output shapes.
        """
        fused = copy.deepcopy(self)
        if not fused.input_folded:
            with torch.no_grad():
                w = fused.conv1.weight
                fused.conv1.bias.sub_((w * fused.mean_rgb[None, :, None, None]).sum(dim=(1, 2, 3)) / 256.0)
                w.div_(256.0)
            fused.input_folded = True
        pairs = [(fused, "conv1", "affine1")]
        pairs += [(b, c, a) for b in fused.blocks for c, a in (("conv1", "affine1"), ("conv2", "affine2"))]
        with torch.no_grad():
            for owner, conv_name, affine_name in pairs:
                conv, affine = getattr(owner, conv_name), getattr(owner, affine_name)
                if not isinstance(affine, Affine):
                    continue  # already folded
                conv.weight.mul_(affine.gamma[:, None, None, None])
                conv.bias.mul_(affine.gamma).add_(affine.beta)
                setattr(owner, affine_name, nn.Identity())
        return fused

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Face descriptors of aligned chips.

        Parameters
        ----------
        x : Tensor of float, shape (N, 3, 150, 150)
            RGB chips, values 0–255, finite.

        Returns
        -------
        Tensor of shape (N, 128)
            Not L2-normalised (dlib compares them with distance < 0.6).
        """
        if not torch.is_tensor(x) or not x.is_floating_point():
            raise TypeError(f"x must be a floating-point tensor, got {getattr(x, 'dtype', type(x).__name__)}")
        if x.ndim != 4 or tuple(x.shape[1:]) != (3, CHIP_SIZE, CHIP_SIZE):
            raise ValueError(f"x must have shape (N, 3, 150, 150) with RGB values 0-255, got {tuple(x.shape)}")
        if not bool(torch.isfinite(x).all()):
            raise ValueError("x must be finite, got NaN or inf values")
        return self._forward(x)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x).mean(dim=(2, 3)))

    def dlib_layer_plan(self) -> list[tuple[str, nn.Module | None, dict]]:
        """The network as dlib lists it, input first: (dlib kind, module, expected config).

        Includes dlib's ``tag`` and ``skip`` markers, which carry no computation.

        Returns
        -------
        list of (str, nn.Module or None, dict)
            dlib's layer kind, the module holding its parameters (None for parameter-free
            layers) and the configuration the file must have.
        """
        def con(m):
            return ("con_4", m, {"stride": m.stride[0], "padding": m.padding[0]})

        plan = [con(self.conv1), ("affine_", self.affine1, {"mode": 0}), ("relu_", None, {}),
                ("max_pool_2", None, {"window": 3, "stride": 2, "padding": 0})]
        for b in self.blocks:
            plan += [("tag", None, {}), con(b.conv1), ("affine_", b.affine1, {"mode": 0}),
                     ("relu_", None, {}), con(b.conv2), ("affine_", b.affine2, {"mode": 0})]
            if b.down:
                plan += [("tag", None, {}), ("skip", None, {}),
                         ("avg_pool_2", None, {"window": 2, "stride": 2, "padding": 0})]
            plan += [("add_prev_", None, {}), ("relu_", None, {})]
        plan += [("avg_pool_2", None, {"window": 0, "stride": 1, "padding": 0}),
                 ("fc_2", self.fc, {"bias_mode": 1})]
        return plan


def _state_dict_from_network(net: DlibNetwork, model: DlibFaceResNet) -> dict[str, torch.Tensor]:
    """Check the file's layers against the architecture and map their arrays onto parameter names."""
    plan = model.dlib_layer_plan()
    expected_codes = [1 if k in ("tag", "skip") else 2 for k, _, _ in plan]
    expected_codes[0] = 3
    if net.version_codes != expected_codes[::-1]:
        raise DlibFormatError(
            f"the file's layer structure ({len(net.version_codes)} layers and tags) is not the face "
            f"ResNet ({len(expected_codes)} expected)"
        )
    if net.input_size != (CHIP_SIZE, CHIP_SIZE):
        raise DlibFormatError(f"input size must be (150, 150), the file says {net.input_size}")
    names = {m: n for n, m in model.named_modules()}
    state = {"mean_rgb": torch.tensor(net.mean_rgb, dtype=torch.float32)}
    layers = [p for p in plan if p[0] not in ("tag", "skip")]
    for i, ((kind, module, cfg), layer) in enumerate(zip(layers, net.layers, strict=True)):
        got = {k: layer.config.get(k) for k in cfg}
        if layer.kind != kind or got != cfg:
            raise DlibFormatError(f"layer {i}: expected {kind} {cfg}, the file has {layer.kind} {got}")
        if module is None:
            continue
        arrays = dict(layer.params)
        if kind == "fc_2":
            arrays["weight"] = arrays["weight"].T  # dlib computes x @ W with W (in, out)
        for pname, value in arrays.items():
            key = f"{names[module]}.{pname}"
            want = tuple(module.state_dict()[pname].shape)
            if value.shape != want:
                raise DlibFormatError(f"layer {i} ({kind}): {pname} has shape {value.shape}, expected {want}")
            state[key] = torch.from_numpy(np.ascontiguousarray(value))
    return state


def load_dlib_weights(model: DlibFaceResNet, path: str | os.PathLike) -> DlibFaceResNet:
    """Fill ``model`` in place with the weights of a dlib ``.dat`` file.

    Parameters
    ----------
    model : DlibFaceResNet
        The network to fill.
    path : str or PathLike
        A dlib face-recognition network file (``read_dlib_network`` reads it).

    Returns
    -------
    DlibFaceResNet
        ``model``, with the file's weights.

    Raises
    ------
    DlibFormatError
        The file is not this network (other layers, strides, shapes) or is damaged.
    """
    if not isinstance(model, DlibFaceResNet):
        raise TypeError(f"model must be a DlibFaceResNet, got {type(model).__name__}")
    model.load_state_dict(_state_dict_from_network(read_dlib_network(path), model), strict=True)
    return model
