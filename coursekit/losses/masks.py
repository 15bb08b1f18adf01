"""The anchor-positive, anchor-negative and valid-triplet masks of a batch of labels."""

from __future__ import annotations

import torch

from ..validation import check_labels

__all__ = ["anchor_positive_mask", "anchor_negative_mask", "valid_triplet_mask"]


# ----------------------------------------------------------------------------- masks
def anchor_positive_mask(labels: torch.Tensor) -> torch.Tensor:
    """``mask[a, p]`` is True when a ≠ p and ``labels[a] == labels[p]``.

    Parameters
    ----------
    labels : Tensor of shape (B,), integer

    Returns
    -------
    Tensor of shape (B, B), bool

    Examples
    --------
    >>> anchor_positive_mask(torch.tensor([0, 0, 1])).int()
    tensor([[0, 1, 0],
            [1, 0, 0],
            [0, 0, 0]], dtype=torch.int32)
    """
    check_labels(labels)
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return (labels[:, None] == labels[None, :]) & ~eye


def anchor_negative_mask(labels: torch.Tensor) -> torch.Tensor:
    """``mask[a, n]`` is True when ``labels[a] != labels[n]``.

    Parameters
    ----------
    labels : Tensor of shape (B,), integer

    Returns
    -------
    Tensor of shape (B, B), bool

    Examples
    --------
    >>> anchor_negative_mask(torch.tensor([0, 0, 1])).int()
    tensor([[0, 0, 1],
            [0, 0, 1],
            [1, 1, 0]], dtype=torch.int32)
    """
    check_labels(labels)
    return labels[:, None] != labels[None, :]


def valid_triplet_mask(labels: torch.Tensor) -> torch.Tensor:
    """``mask[a, p, n]`` is True when a, p, n are distinct and ``labels[a] == labels[p] != labels[n]``.

    Parameters
    ----------
    labels : Tensor of shape (B,), integer

    Returns
    -------
    Tensor of shape (B, B, B), bool
        Dense, so B³ bytes: a teaching tool. The losses below never build it.

    Examples
    --------
    >>> valid_triplet_mask(torch.tensor([0, 0, 1])).nonzero().tolist()
    [[0, 1, 2], [1, 0, 2]]
    """
    check_labels(labels)
    ap = anchor_positive_mask(labels)  # a ≠ p, same label
    an = labels[:, None] != labels[None, :]  # different label, so a ≠ n and p ≠ n follow
    return ap[:, :, None] & an[:, None, :]
