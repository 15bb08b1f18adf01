"""Few-shot classifiers over any embedding or distance: nearest prototype and nearest neighbour.

Prototypical networks (Snell, Swersky & Zemel 2017) represent class ``j`` by the mean of its
support embeddings, ``c_j = (1/K) Σ_k f(x_jk)``, and label a query by the nearest prototype in
squared Euclidean distance (:func:`coursekit.distances.cross_distances` with ``squared=True``).
With one shot the prototype is the one example, and the rule is the
one-shot nearest neighbour of Koch et al. (2015) and Lake et al. (2015).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..distances import cross_distances
from ..validation import check_labels, check_tensor, describe

__all__ = [
    "prototypes",
    "prototype_logits",
    "prototype_classify",
    "prototypical_loss",
    "nearest_neighbour_classify",
]

Distance = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check_float(x: torch.Tensor, name: str, dims: tuple[int, ...], shape: str) -> None:
    check_tensor(x, name, ndim=dims, shape=shape, floating=True, finite=True)
    if x.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(x.shape)}")


def _squared(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """The default distance: squared Euclidean, ``cross_distances(a, b, squared=True)``."""
    return cross_distances(a, b, squared=True)


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
    return -_squared(query, protos)


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
    logits = -_squared(query.reshape(-1, d), support.mean(1))
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
    _check_float(support, "support", tuple(range(2, 6)), "(S, ...)")
    _check_float(query, "query", tuple(range(2, 6)), "(M, ...)")
    if support.shape[1:] != query.shape[1:]:
        raise ValueError(f"support and query must share their trailing shape, got {tuple(support.shape)} and {tuple(query.shape)}")
    check_labels(support_labels, "support_labels", n=support.shape[0])
    if distance is not None and not callable(distance):
        raise TypeError(f"distance must be callable (query, support) -> (M, S), got {describe(distance)}")
    distance = distance or _squared
    d = distance(query.flatten(1), support.flatten(1))
    if d.shape != (query.shape[0], support.shape[0]):
        raise ValueError(f"distance must return shape {(query.shape[0], support.shape[0])}, got {tuple(d.shape)}")
    return support_labels.to(d.device)[d.argmin(1)]
