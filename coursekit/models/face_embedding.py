"""A small CNN that maps a face image to a point on the unit sphere: f(x) with ‖f(x)‖ = 1.

Small enough to train with triplet loss on CPU in minutes (0.37 M parameters at the default
size), in the spirit of FaceNet (Schroff, Kalenichenko & Philbin 2015), whose embeddings are
also L2-normalised so that squared distances lie in [0, 4] and a margin means the same thing
everywhere.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..validation import check_int

__all__ = ["FaceEmbeddingNet"]


def _block(c_in: int, c_out: int, pool: bool) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class FaceEmbeddingNet(nn.Module):
    """Four conv blocks, a 4×4 spatial pool, a linear layer, then L2 normalisation.

    Parameters
    ----------
    embedding_dim : int
        Length D of the embedding.
    in_channels : int
        1 for grayscale faces (Olivetti, ORL, Yale), 3 for RGB (LFW).
    width : int
        Channels of the first block; later blocks use 2×, 4× and 4× as many.

    Notes
    -----
    ``forward(x)``: x is a float tensor of shape (N, in_channels, H, W) with H, W >= 16 (any
    size: the pooling before the linear layer is adaptive); returns (N, embedding_dim) with
    unit-length rows, ``f(x) = g(x) / ‖g(x)‖₂``. The convolutions run in the channels-last
    memory layout (weights and activations), which CPU kernels are fastest in; inputs in any
    layout are accepted.

    Examples
    --------
    >>> net = FaceEmbeddingNet(embedding_dim=8).eval()
    >>> net(torch.rand(2, 1, 64, 64)).norm(dim=1).round(decimals=4).tolist()
    [1.0, 1.0]
    """

    def __init__(self, embedding_dim: int = 64, in_channels: int = 1, width: int = 32) -> None:
        super().__init__()
        embedding_dim = check_int(embedding_dim, "embedding_dim", minimum=1)
        in_channels = check_int(in_channels, "in_channels", minimum=1)
        width = check_int(width, "width", minimum=1)
        self.embedding_dim, self.in_channels, self.width = embedding_dim, in_channels, width
        w = width
        self.features = nn.Sequential(
            _block(in_channels, w, pool=True),  # (N, w, H/2, W/2)
            _block(w, 2 * w, pool=True),  # (N, 2w, H/4, W/4)
            _block(2 * w, 4 * w, pool=True),  # (N, 4w, H/8, W/8)
            _block(4 * w, 4 * w, pool=False),
            nn.AdaptiveAvgPool2d(4),  # (N, 4w, 4, 4): keeps the coarse layout of a face
        )
        self.head = nn.Linear(4 * w * 16, embedding_dim)
        # channels-last: the layout the CPU convolution kernels are fastest in (about 1.5x per
        # training step here); the same function, and load_state_dict keeps the layout
        self.to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Unit-length embeddings f(x) = g(x) / ‖g(x)‖₂.

        Parameters
        ----------
        x : Tensor of float, shape (N, in_channels, H, W)
            Images in [0, 1], H, W >= 16.

        Returns
        -------
        Tensor of shape (N, embedding_dim)
            Rows of L2 norm 1.
        """
        if not isinstance(x, torch.Tensor) or x.dim() != 4:
            raise ValueError(
                f"x must be a tensor of shape (N, {self.in_channels}, H, W), got {tuple(getattr(x, 'shape', ()))}"
            )
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"x must have {self.in_channels} channel(s) (in_channels={self.in_channels}), got shape {tuple(x.shape)}"
            )
        if not x.is_floating_point():
            raise TypeError(f"x must be a float tensor (images in [0, 1]), got {x.dtype}; convert uint8 with x.float() / 255")
        if min(x.shape[-2:]) < 16:
            raise ValueError(f"x must be at least 16×16 pixels, got {tuple(x.shape[-2:])}")
        x = x.contiguous(memory_format=torch.channels_last)
        g = self.head(self.features(x).flatten(1))  # (N, D); flatten reads (C, H, W) in logical order
        return F.normalize(g, dim=1)

    def extra_repr(self) -> str:
        """The constructor's arguments, shown by ``print(net)``.

        Returns
        -------
        str
            ``"embedding_dim=…, in_channels=…, width=…"``.
        """
        return f"embedding_dim={self.embedding_dim}, in_channels={self.in_channels}, width={self.width}"
