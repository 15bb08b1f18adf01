"""Pairwise distances and the anchor-positive / anchor-negative / valid-triplet masks."""

from __future__ import annotations

import torch

from ._validation import _check_embeddings, _check_labels

__all__ = ["pairwise_distances", "anchor_positive_mask", "anchor_negative_mask", "valid_triplet_mask"]


# ----------------------------------------------------------------------------- distances
def pairwise_distances(embeddings: torch.Tensor, squared: bool = False) -> torch.Tensor:
    """Euclidean distance between every pair of rows.

    Parameters
    ----------
    embeddings : Tensor of shape (B, D), floating point
    squared : bool
        Return ‖e_i − e_j‖² instead of ‖e_i − e_j‖.

    Returns
    -------
    Tensor of shape (B, B)
        ``d_ij² = ‖e_i‖² − 2 e_i·e_j + ‖e_j‖²`` (clamped at 0), square-rooted unless ``squared``.
        The diagonal is exactly 0. Where a distance is 0 the square root gets a safe input, so
        gradients stay finite for duplicate embeddings (a plain ``sqrt`` has an infinite slope at 0).

    Examples
    --------
    >>> pairwise_distances(torch.tensor([[0.0, 0.0], [3.0, 4.0]]))
    tensor([[0., 5.],
            [5., 0.]])
    """
    _check_embeddings(embeddings)
    return _pairwise_distances(embeddings, squared)


def _pairwise_distances(embeddings: torch.Tensor, squared: bool) -> torch.Tensor:
    dot = embeddings @ embeddings.T  # (B, B)
    sq = dot.diagonal()
    d2 = (sq[None, :] - 2.0 * dot + sq[:, None]).clamp_min(0)  # rounding can make it slightly < 0
    eye = torch.eye(len(embeddings), dtype=torch.bool, device=embeddings.device)
    d2 = d2.masked_fill(eye, 0.0)  # e_i·e_i rounding leaves ~1e-7 on the diagonal otherwise
    if squared:
        return d2
    is_zero = d2 == 0
    d = torch.sqrt(torch.where(is_zero, torch.ones_like(d2), d2))  # sqrt'(0) = inf → NaN grads
    return d.masked_fill(is_zero, 0.0)


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
    _check_labels(labels, min_len=1)
    return _anchor_positive_mask(labels)


def _anchor_positive_mask(labels: torch.Tensor) -> torch.Tensor:
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
    _check_labels(labels, min_len=1)
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
    _check_labels(labels, min_len=1)
    ap = _anchor_positive_mask(labels)  # a ≠ p, same label
    an = labels[:, None] != labels[None, :]  # different label, so a ≠ n and p ≠ n follow
    return ap[:, :, None] & an[:, None, :]
