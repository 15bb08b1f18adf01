"""Video classifiers: a small C3D-style 3-D CNN and a per-frame 2-D CNN that averages over frames.

C3D (Tran et al. 2015) uses 3×3×3 convolutions throughout and a first pooling of 1×2×2, which
halves height and width but keeps every frame, "to not merge the temporal signal too early".
``C3DSmall`` keeps that recipe at course size. ``FrameCNN`` is the baseline a 2-D network gives:
the same kind of layers applied to each frame alone, then the mean over frames — a function of the
*set* of frames, blind to their order, hence to the direction of motion.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..validation import check_int

__all__ = ["C3DSmall", "FrameCNN"]


def _check_common(n_classes: int, in_channels: int, widths: Sequence[int]) -> tuple[int, ...]:
    check_int(n_classes, "n_classes", minimum=2)
    check_int(in_channels, "in_channels", minimum=1)
    widths = tuple(widths)
    if len(widths) != 3 or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
        raise ValueError(f"widths must be 3 ints >= 1 (channels of the 3 conv blocks), got {widths!r}")
    return widths


def _check_clips(x: torch.Tensor, in_channels: int) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a tensor, got {type(x).__name__}")
    if x.dim() != 5:
        raise ValueError(f"x must be clips of shape (N, C, T, H, W), got rank {x.dim()} shape {tuple(x.shape)}")
    if x.shape[1] != in_channels:
        raise ValueError(f"x must have C = {in_channels} channels, got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a float tensor, got {x.dtype}")


def _block3d(c_in: int, c_out: int, pool: tuple[int, int, int] | None) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv3d(c_in, c_out, 3, padding=1), nn.BatchNorm3d(c_out), nn.ReLU()]
    return layers + ([nn.MaxPool3d(pool)] if pool else [])


def _block2d(c_in: int, c_out: int, pool: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()]
    return layers + ([nn.MaxPool2d(2)] if pool else [])


class C3DSmall(nn.Module):
    """Three 3×3×3 conv blocks (pool 1×2×2, then 2×2×2), global average pool, linear.

    Parameters
    ----------
    n_classes : int
    in_channels : int
        1 for grayscale clips.
    widths : 3 ints
        Channels of the conv blocks.

    Shapes: (N, C, T, H, W) → (N, w1, T, H/2, W/2) → (N, w2, T/2, H/4, W/4) → (N, w3, T/2, H/4, W/4)
    → mean over (T, H, W) → (N, w3) → (N, n_classes).

    Examples
    --------
    >>> C3DSmall(n_classes=4)(torch.zeros(2, 1, 8, 32, 32)).shape
    torch.Size([2, 4])
    """

    def __init__(self, n_classes: int, in_channels: int = 1, *, widths: Sequence[int] = (16, 32, 64)):
        super().__init__()
        w = _check_common(n_classes, in_channels, widths)
        self.in_channels = in_channels
        self.features = nn.Sequential(
            *_block3d(in_channels, w[0], (1, 2, 2)),  # keep time early, as C3D's pool1
            *_block3d(w[0], w[1], (2, 2, 2)),
            *_block3d(w[1], w[2], None),
        )
        self.fc = nn.Linear(w[2], n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits of video clips.

        Parameters
        ----------
        x : Tensor of float, shape (N, C, T, H, W)
            N clips of T frames, C = ``in_channels``; T >= 2 and H, W >= 4 (two poolings).

        Returns
        -------
        Tensor of shape (N, n_classes)
            Logits.
        """
        _check_clips(x, self.in_channels)
        if x.shape[2] < 2 or x.shape[3] < 4 or x.shape[4] < 4:
            raise ValueError(f"x must have T >= 2 and H, W >= 4 (two poolings), got shape {tuple(x.shape)}")
        return self.fc(self.features(x).mean(dim=(2, 3, 4)))


class FrameCNN(nn.Module):
    """Per-frame 2-D baseline: 3×3 conv blocks on each frame, average over space and frames, linear.

    ``logits = W · mean_t f(x[:, :, t]) + b``: any reordering of the frames gives the same output.

    Parameters
    ----------
    n_classes : int
    in_channels : int
        1 for grayscale clips.
    widths : 3 ints
        Channels of the conv blocks.

    Shapes: each frame (N·T, C, H, W) → (N·T, w1, H/2, W/2) → (N·T, w2, H/4, W/4) → (N·T, w3, H/4, W/4)
    → mean over (H, W) then over T → (N, w3) → (N, n_classes).

    Examples
    --------
    >>> x = torch.rand(2, 1, 8, 32, 32); m = FrameCNN(n_classes=2).eval()
    >>> torch.allclose(m(x), m(x.flip(2)), atol=1e-6)
    True
    """

    def __init__(self, n_classes: int, in_channels: int = 1, *, widths: Sequence[int] = (16, 32, 64)):
        super().__init__()
        w = _check_common(n_classes, in_channels, widths)
        self.in_channels = in_channels
        self.features = nn.Sequential(
            *_block2d(in_channels, w[0], True), *_block2d(w[0], w[1], True), *_block2d(w[1], w[2], False)
        )
        self.fc = nn.Linear(w[2], n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits of video clips, frame by frame.

        Parameters
        ----------
        x : Tensor of float, shape (N, C, T, H, W)
            N clips of T frames, C = ``in_channels``; H, W >= 4 (two poolings); any T >= 1.

        Returns
        -------
        Tensor of shape (N, n_classes)
            Logits.
        """
        _check_clips(x, self.in_channels)
        if x.shape[3] < 4 or x.shape[4] < 4:
            raise ValueError(f"x must have H, W >= 4 (two poolings), got shape {tuple(x.shape)}")
        n, c, t, h, w = x.shape
        frames = x.transpose(1, 2).reshape(n * t, c, h, w)  # every frame is its own image
        per_frame = self.features(frames).mean(dim=(2, 3)).reshape(n, t, -1)  # (N, T, w3)
        return self.fc(per_frame.mean(dim=1))
