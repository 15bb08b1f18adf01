"""A small 1-D CNN that detects a pattern anywhere in a signal (used on the ECG-like signals).

Three Conv1d + BatchNorm + ReLU blocks (the first two followed by max-pooling by 2), then global max pooling
over time — the same max-over-time idea as Kim's text CNN: the strongest match of each learned
pattern counts, wherever it occurs — then a linear layer.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..validation import check_int

__all__ = ["SignalCNN"]


class SignalCNN(nn.Module):
    """Conv1d(k) blocks → max over time → linear. Input (N, C, L), output logits (N, n_classes).

    Parameters
    ----------
    n_classes : int
    in_channels : int
    widths : 3 ints
        Channels of the three conv blocks.
    kernel_size : int
        Odd filter width (samples); at 128 Hz, 9 samples ≈ 70 ms, about a QRS complex.

    Examples
    --------
    >>> SignalCNN(n_classes=2)(torch.zeros(3, 1, 256)).shape
    torch.Size([3, 2])
    """

    def __init__(self, n_classes: int = 2, in_channels: int = 1, *, widths: Sequence[int] = (16, 32, 32),
                 kernel_size: int = 9):
        super().__init__()
        n_classes = check_int(n_classes, "n_classes", minimum=2)
        in_channels = check_int(in_channels, "in_channels", minimum=1)
        w = tuple(widths)
        if len(w) != 3 or any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in w):
            raise ValueError(f"widths must be 3 ints >= 1, got {w!r}")
        kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
        if kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be an odd int >= 1, got {kernel_size!r}")
        p = kernel_size // 2
        self.in_channels = in_channels
        self.features = nn.Sequential(
            nn.Conv1d(in_channels, w[0], kernel_size, padding=p), nn.BatchNorm1d(w[0]), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(w[0], w[1], kernel_size, padding=p), nn.BatchNorm1d(w[1]), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(w[1], w[2], kernel_size, padding=p), nn.BatchNorm1d(w[2]), nn.ReLU(),
        )
        self.fc = nn.Linear(w[2], n_classes)

    def feature_maps(self, x: torch.Tensor) -> torch.Tensor:
        """The last block's maps before pooling: where each pattern fires.

        Parameters
        ----------
        x : Tensor of float, shape (N, in_channels, L)
            Signals, L >= 4.

        Returns
        -------
        Tensor of shape (N, widths[2], ⌊L/4⌋)
        """
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a tensor, got {type(x).__name__}")
        if x.dim() != 3 or x.shape[1] != self.in_channels or x.shape[2] < 4:
            raise ValueError(f"x must have shape (N, {self.in_channels}, L) with L >= 4, got {tuple(x.shape)}")
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits: the feature maps' maximum over time, then the linear layer.

        Parameters
        ----------
        x : Tensor of float, shape (N, in_channels, L)

        Returns
        -------
        Tensor of shape (N, n_classes)
        """
        return self.fc(self.feature_maps(x).amax(dim=-1))  # max over time: "is the pattern anywhere?"
