"""Euclidean distances between rows: every pair of one set, two sets, or row i with row i.

``‖x − y‖² = ‖x‖² − 2 x·y + ‖y‖²`` turns all pairwise distances into one matrix product,
the way every metric-learning code computes them. Rounding can make the expansion slightly
negative, so it is clamped at 0; and the square root gets a safe input where the distance is
0, because ``d/dx √x`` is infinite at 0 and would turn the gradients of duplicate rows into
NaN. The gradient this module returns at a zero distance is 0 (a subgradient of ‖x − y‖).

A distance is a distance: ``squared=False`` is the default here. The triplet losses choose
``squared=True`` themselves (see :mod:`coursekit.losses`).
"""

from __future__ import annotations

import torch

from .validation import check_bool, check_embeddings, check_paired_embeddings, describe

__all__ = ["safe_sqrt", "pairwise_distances", "cross_distances", "paired_distances"]


def safe_sqrt(x: torch.Tensor) -> torch.Tensor:
    """Square root of a tensor of non-negative values, with gradient 0 (not inf/NaN) where ``x == 0``.

    Parameters
    ----------
    x : Tensor of any shape, floating point, values >= 0

    Returns
    -------
    Tensor of the shape of ``x``
        ``√x``; at ``x == 0`` the value is 0 and the gradient 0.

    Examples
    --------
    >>> x = torch.tensor([0.0, 4.0], requires_grad=True)
    >>> safe_sqrt(x).sum().backward(); x.grad
    tensor([0.0000, 0.2500])
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {describe(x)}")
    is_zero = x == 0
    return torch.sqrt(torch.where(is_zero, torch.ones_like(x), x)).masked_fill(is_zero, 0.0)


def _finish(d2: torch.Tensor, squared: bool) -> torch.Tensor:
    return d2 if squared else safe_sqrt(d2)


def pairwise_distances(embeddings: torch.Tensor, squared: bool = False) -> torch.Tensor:
    """Euclidean distance between every pair of rows of one set.

    Parameters
    ----------
    embeddings : Tensor of shape (B, D), floating point, finite
    squared : bool
        Return ``‖e_i − e_j‖²`` instead of ``‖e_i − e_j‖``.

    Returns
    -------
    Tensor of shape (B, B)
        ``d_ij² = ‖e_i‖² − 2 e_i·e_j + ‖e_j‖²`` (clamped at 0), square-rooted unless ``squared``.
        The diagonal is exactly 0, and gradients stay finite for duplicate rows.

    Examples
    --------
    >>> pairwise_distances(torch.tensor([[0.0, 0.0], [3.0, 4.0]]))
    tensor([[0., 5.],
            [5., 0.]])
    """
    check_embeddings(embeddings)
    squared = check_bool(squared, "squared")
    dot = embeddings @ embeddings.T  # (B, B)
    sq = dot.diagonal()
    d2 = (sq[None, :] - 2.0 * dot + sq[:, None]).clamp_min(0)  # rounding can make it slightly < 0
    eye = torch.eye(len(embeddings), dtype=torch.bool, device=embeddings.device)
    d2 = d2.masked_fill(eye, 0.0)  # e_i·e_i rounding leaves ~1e-7 on the diagonal otherwise
    return _finish(d2, squared)


def cross_distances(
    a: torch.Tensor, b: torch.Tensor, squared: bool = False, *, b_squared_norms: torch.Tensor | None = None
) -> torch.Tensor:
    """Euclidean distance between every row of ``a`` and every row of ``b``.

    Parameters
    ----------
    a : Tensor of shape (M, D), floating point, finite
    b : Tensor of shape (N, D), same dtype and device
    squared : bool
        Return squared distances.
    b_squared_norms : Tensor of shape (N,), optional
        ``(b * b).sum(1)`` computed once by a caller that searches the same ``b`` many times
        (a face gallery); it is trusted, not recomputed.

    Returns
    -------
    Tensor of shape (M, N)
        ``‖a_i‖² − 2 a_i·b_j + ‖b_j‖²`` clamped at 0 (one ``addmm``), square-rooted unless ``squared``.

    Examples
    --------
    >>> cross_distances(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0], [0.0, 1.0]]))
    tensor([[5., 1.]])
    """
    check_embeddings(a, "a")
    check_embeddings(b, "b")
    squared = check_bool(squared, "squared")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same number of columns D, got a: {tuple(a.shape)}, b: {tuple(b.shape)}")
    if a.dtype != b.dtype or a.device != b.device:
        raise ValueError(f"a and b must share dtype and device, got {a.dtype}/{a.device} and {b.dtype}/{b.device}")
    if b_squared_norms is None:
        b_squared_norms = (b * b).sum(1)
    elif not isinstance(b_squared_norms, torch.Tensor) or b_squared_norms.shape != (b.shape[0],):
        raise ValueError(f"b_squared_norms must be a tensor of shape ({b.shape[0]},), got {getattr(b_squared_norms, 'shape', type(b_squared_norms).__name__)}")
    a_sq = (a * a).sum(1, keepdim=True)  # (M, 1)
    d2 = torch.addmm(b_squared_norms[None, :] + a_sq, a, b.T, alpha=-2.0).clamp_min(0)  # (M, N)
    return _finish(d2, squared)


def paired_distances(a: torch.Tensor, b: torch.Tensor, squared: bool = False) -> torch.Tensor:
    """Euclidean distance between row ``i`` of ``a`` and row ``i`` of ``b``, for every ``i``.

    Parameters
    ----------
    a, b : Tensor of shape (N, D), floating point, finite

    squared : bool
        Return squared distances.

    Returns
    -------
    Tensor of shape (N,)
        ``‖a_i − b_i‖`` computed from the difference (no cancellation), or its square.

    Examples
    --------
    >>> paired_distances(torch.tensor([[0.0, 0.0], [1.0, 1.0]]), torch.tensor([[3.0, 4.0], [1.0, 1.0]]))
    tensor([5., 0.])
    """
    check_paired_embeddings(a, b, shape="(N, D)")
    squared = check_bool(squared, "squared")
    return _finish((a - b).pow(2).sum(1), squared)
