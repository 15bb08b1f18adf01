"""Input checks shared by the losses: what was expected, and what came in."""

from __future__ import annotations

import math
from numbers import Real

import torch

_INT_DTYPES = {torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64}


def _check_embeddings(x, name: str = "embeddings", min_rows: int = 1) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (B, D), got {type(x).__name__}")
    if x.dim() != 2:
        raise ValueError(f"{name} must have shape (B, D), got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")
    if x.shape[0] < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} rows (samples), got {x.shape[0]}")
    if x.shape[1] < 1:
        raise ValueError(f"{name} must have at least one column (D >= 1), got {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")


def _check_labels(labels, n: int | None = None, min_len: int = 2) -> None:
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"labels must be a torch.Tensor of shape (B,), got {type(labels).__name__}")
    if labels.dim() != 1:
        raise ValueError(f"labels must have shape (B,), got {tuple(labels.shape)}")
    if labels.dtype not in _INT_DTYPES:
        raise TypeError(f"labels must be an integer tensor (class ids), got {labels.dtype}")
    if len(labels) < min_len:
        raise ValueError(f"labels must have at least {min_len} entries, got {len(labels)}")
    if n is not None and len(labels) != n:
        raise ValueError(f"labels has {len(labels)} entries but embeddings has {n} rows")


def _check_margin(margin) -> float:
    if isinstance(margin, bool) or not isinstance(margin, Real):
        raise TypeError(f"margin must be a real number, got {type(margin).__name__}")
    if not math.isfinite(margin) or margin < 0:
        raise ValueError(f"margin must be a finite number >= 0, got {margin}")
    return float(margin)


def _check_batch(labels, embeddings, margin) -> float:
    _check_embeddings(embeddings, min_rows=2)
    _check_labels(labels, n=embeddings.shape[0])
    if labels.device != embeddings.device:
        raise ValueError(f"labels are on {labels.device} but embeddings on {embeddings.device}")
    if bool((labels == labels[0]).all()):
        raise ValueError(
            f"labels must contain at least two classes (a triplet needs a negative), got only class {int(labels[0])}"
        )
    return _check_margin(margin)
