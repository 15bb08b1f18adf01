"""Few-shot classifiers over any embedding or distance: nearest prototype and nearest neighbour.

Prototypical networks (Snell, Swersky & Zemel 2017) represent class ``j`` by the mean of its
support embeddings, ``c_j = (1/K) Σ_k f(x_jk)``, and label a query by the nearest prototype in
squared Euclidean distance. With one shot the prototype is the one example, and the rule is the
one-shot nearest neighbour of Koch et al. (2015) and Lake et al. (2015).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

__all__ = [
    "squared_euclidean",
    "prototypes",
    "prototype_logits",
    "prototype_classify",
    "prototypical_loss",
    "nearest_neighbour_classify",
]

Distance = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check_float(x: torch.Tensor, name: str, dims: tuple[int, ...], shape: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a tensor of shape {shape}, got {type(x).__name__}")
    if x.dim() not in dims:
        raise ValueError(f"{name} must have shape {shape}, got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")
    if x.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")


def squared_euclidean(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise squared Euclidean distances ``d_ij = ‖a_i − b_j‖²``.

    Parameters
    ----------
    a : Tensor of shape (M, D)
    b : Tensor of shape (S, D)

    Returns
    -------
    Tensor of shape (M, S)

    Examples
    --------
    >>> squared_euclidean(torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 4.0]]))
    tensor([[25.]])
    """
    _check_float(a, "a", (2,), "(M, D)")
    _check_float(b, "b", (2,), "(S, D)")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"a and b must have the same D, got a.shape[1] == {a.shape[1]} while b.shape[1] == {b.shape[1]}")
    return _squared_euclidean(a, b)


def _squared_euclidean(a, b):
    d2 = (a * a).sum(1, keepdim=True) - 2 * a @ b.T + (b * b).sum(1)
    return d2.clamp_min(0)  # fp rounding can make ‖a‖²−2a·b+‖b‖² slightly negative


def prototypes(support: torch.Tensor) -> torch.Tensor:
    """Class prototypes ``c_j = (1/K) Σ_k support[j, k]``.

    Parameters
    ----------
    support : Tensor of shape (n_way, k_shot, D)

    Returns
    -------
    Tensor of shape (n_way, D)

    Examples
    --------
    >>> prototypes(torch.tensor([[[0.0, 2.0], [2.0, 0.0]]]))
    tensor([[1., 1.]])
    """
    _check_float(support, "support", (3,), "(n_way, k_shot, D)")
    return support.mean(1)


def prototype_logits(query: torch.Tensor, protos: torch.Tensor) -> torch.Tensor:
    """Logits ``−‖q_i − c_j‖²`` of each query for each prototype (Snell et al. 2017, eq. 2).

    Parameters
    ----------
    query : Tensor of shape (M, D)
    protos : Tensor of shape (n_way, D)

    Returns
    -------
    Tensor of shape (M, n_way); its softmax is p(y = j | q_i).

    Examples
    --------
    >>> prototype_logits(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 0.0], [1.0, 1.0]]))
    tensor([[-1., -1.]])
    """
    _check_float(query, "query", (2,), "(M, D)")
    _check_float(protos, "protos", (2,), "(n_way, D)")
    if query.shape[1] != protos.shape[1]:
        raise ValueError(f"query has D = {query.shape[1]} but protos has D = {protos.shape[1]}")
    return -_squared_euclidean(query, protos)


def prototype_classify(support: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
    """Label each query by its nearest prototype: ``ŷ_i = argmin_j ‖q_i − c_j‖²``.

    Parameters
    ----------
    support : Tensor of shape (n_way, k_shot, D)
        Embeddings of the support set, one row per class.
    query : Tensor of shape (M, D)

    Returns
    -------
    Tensor of shape (M,), int64, in ``range(n_way)``.

    Examples
    --------
    >>> prototype_classify(torch.tensor([[[0.0]], [[10.0]]]), torch.tensor([[1.0], [8.0]]))
    tensor([0, 1])
    """
    return prototype_logits(query, prototypes(support)).argmax(1)


def prototypical_loss(support: torch.Tensor, query: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Prototypical-network loss of one episode and its accuracy.

    ``L = −(1/M) Σ_i log softmax_j(−‖q_i − c_j‖²)[y_i]``, where the queries come class by class:
    ``query[j]`` are the queries of class ``j``.

    Parameters
    ----------
    support : Tensor of shape (n_way, k_shot, D)
    query : Tensor of shape (n_way, n_query, D)

    Returns
    -------
    loss : scalar Tensor
    accuracy : scalar Tensor, fraction of queries whose nearest prototype is their class

    Examples
    --------
    >>> loss, acc = prototypical_loss(torch.eye(2)[:, None] * 9, torch.eye(2)[:, None] * 9)
    >>> round(loss.item(), 4), acc.item()
    (0.0, 1.0)
    """
    _check_float(support, "support", (3,), "(n_way, k_shot, D)")
    _check_float(query, "query", (3,), "(n_way, n_query, D)")
    if query.shape[0] != support.shape[0] or query.shape[2] != support.shape[2]:
        raise ValueError(
            f"query must have shape (n_way={support.shape[0]}, n_query, D={support.shape[2]}), got {tuple(query.shape)}"
        )
    n_way, n_query, d = query.shape
    logits = -_squared_euclidean(query.reshape(-1, d), support.mean(1))
    target = torch.arange(n_way, device=query.device).repeat_interleave(n_query)
    loss = F.cross_entropy(logits, target)
    return loss, (logits.argmax(1) == target).float().mean()


def nearest_neighbour_classify(
    support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor,
    distance: Distance | None = None,
) -> torch.Tensor:
    """Label each query with the label of its nearest support example: ``ŷ_i = y_{argmin_s d(q_i, x_s)}``.

    Parameters
    ----------
    support : Tensor of shape (S, ...)
        Support examples (embeddings, or raw images for a pixel-distance baseline).
    support_labels : Tensor of shape (S,), integer
    query : Tensor of shape (M, ...), same trailing shape as ``support``
    distance : callable, optional
        ``distance(query (M, D), support (S, D)) -> (M, S)`` on flattened rows; default
        squared Euclidean. Ties go to the first support example, as in Lake et al.'s code.

    Returns
    -------
    Tensor of shape (M,), the labels' dtype.

    Examples
    --------
    >>> nearest_neighbour_classify(torch.tensor([[0.0], [5.0]]), torch.tensor([7, 3]), torch.tensor([[4.0]]))
    tensor([3])
    """
    if not isinstance(support, torch.Tensor) or not isinstance(query, torch.Tensor):
        raise TypeError("support and query must be tensors of shape (S, ...) and (M, ...)")
    _check_float(support, "support", tuple(range(2, 6)), "(S, ...)")
    _check_float(query, "query", tuple(range(2, 6)), "(M, ...)")
    if support.shape[1:] != query.shape[1:]:
        raise ValueError(f"support and query must share their trailing shape, got {tuple(support.shape)} and {tuple(query.shape)}")
    if not isinstance(support_labels, torch.Tensor) or support_labels.shape != (support.shape[0],):
        raise ValueError(f"support_labels must be a tensor of shape ({support.shape[0]},), got {getattr(support_labels, 'shape', type(support_labels).__name__)}")
    if distance is not None and not callable(distance):
        raise TypeError(f"distance must be callable (query, support) -> (M, S), got {type(distance).__name__}")
    return _nearest_neighbour_classify(support, support_labels, query, distance or _squared_euclidean)


def _nearest_neighbour_classify(support, support_labels, query, distance):
    d = distance(query.flatten(1), support.flatten(1))
    if d.shape != (query.shape[0], support.shape[0]):
        raise ValueError(f"distance must return shape {(query.shape[0], support.shape[0])}, got {tuple(d.shape)}")
    return support_labels.to(d.device)[d.argmin(1)]
