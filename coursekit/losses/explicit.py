"""Losses of explicit triplets and pairs: the lecture's L(A, P, N) and the contrastive loss."""

from __future__ import annotations

import torch

from ..distances import paired_distances, safe_sqrt
from ..validation import check_bool, check_choice, check_embeddings, check_float, describe

__all__ = ["triplet_loss", "contrastive_loss"]


# ----------------------------------------------------------------------------- explicit pairs
def _check_rows(tensors: dict[str, torch.Tensor]) -> None:
    for name, x in tensors.items():
        check_embeddings(x, name)
    shapes = {name: tuple(x.shape) for name, x in tensors.items()}
    if len(set(shapes.values())) != 1:
        raise ValueError(f"inputs must all have the same shape (N, D), got {shapes}")


def _reduce(values: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values


def _check_reduction(reduction) -> None:
    check_choice(reduction, "reduction", ("mean", "sum", "none"))


def triplet_loss(
    anchor: torch.Tensor,
    positive: torch.Tensor,
    negative: torch.Tensor,
    margin: float,
    reduction: str = "mean",
    *,
    squared: bool = True,
) -> torch.Tensor:
    """The lecture's L(A, P, N) = max(‖f(A) − f(P)‖² − ‖f(A) − f(N)‖² + margin, 0) per triplet.

    Parameters
    ----------
    anchor, positive, negative : Tensor of shape (N, D)
        Embeddings f(A), f(P), f(N) of N explicit triplets.
    margin : float >= 0
        α in the lecture.
    reduction : {"mean", "sum", "none"}
    squared : bool
        Squared distances as in the lecture (default; on unit vectors ``‖a − b‖² = 2 − 2 cos``,
        the scale of FaceNet's α = 0.2), or plain Euclidean ones.

    Returns
    -------
    Tensor of shape () or (N,) for ``reduction="none"``

    Examples
    --------
    >>> a, p, n = torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.5]])
    >>> triplet_loss(a, p, n, margin=0.5)
    tensor(0.)
    """
    _check_rows({"anchor": anchor, "positive": positive, "negative": negative})
    margin = check_float(margin, "margin", minimum=0.0)
    _check_reduction(reduction)
    squared = check_bool(squared, "squared")
    d_ap = paired_distances(anchor, positive, squared)
    d_an = paired_distances(anchor, negative, squared)
    return _reduce(torch.relu(d_ap - d_an + margin), reduction)


def contrastive_loss(
    embeddings1: torch.Tensor,
    embeddings2: torch.Tensor,
    is_same: torch.Tensor,
    margin: float,
    reduction: str = "mean",
) -> torch.Tensor:
    """Contrastive loss of Hadsell, Chopra & LeCun (2006) for labelled pairs.

    Parameters
    ----------
    embeddings1, embeddings2 : Tensor of shape (N, D)
    is_same : Tensor of shape (N,), bool
        True where the pair shows the same identity.
    margin : float >= 0
        Different pairs farther apart than this cost nothing.
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    Tensor of shape () or (N,)
        ``L_i = ½ D_i²`` for same pairs and ``½ max(margin − D_i, 0)²`` for different pairs,
        with ``D_i = ‖e1_i − e2_i‖``.

    Examples
    --------
    >>> e1, e2 = torch.zeros(2, 2), torch.tensor([[1.0, 0.0], [0.0, 0.5]])
    >>> contrastive_loss(e1, e2, torch.tensor([True, False]), margin=1.0, reduction="none")
    tensor([0.5000, 0.1250])
    """
    _check_rows({"embeddings1": embeddings1, "embeddings2": embeddings2})
    if not isinstance(is_same, torch.Tensor) or is_same.dtype != torch.bool:
        raise TypeError(f"is_same must be a bool tensor of shape (N,), got {describe(is_same)}")
    if is_same.shape != (embeddings1.shape[0],):
        raise ValueError(f"is_same must have shape ({embeddings1.shape[0]},), got {tuple(is_same.shape)}")
    margin = check_float(margin, "margin", minimum=0.0)
    _check_reduction(reduction)
    d2 = paired_distances(embeddings1, embeddings2, squared=True)
    different = 0.5 * torch.relu(margin - safe_sqrt(d2)).pow(2)
    return _reduce(torch.where(is_same, 0.5 * d2, different), reduction)
