"""Checks for the exercises of notebook 01 (one-shot learning): the episode split and the
prototype classifier.

Each check compares the learner's function with ``coursekit.fewshot``'s on small seeded cases
chosen so that each known mistake gives a different answer (several shots per class, classes
listed out of order, a query nearer one support example than its class mean), and names the
mistake when the learner's output matches it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .. import fewshot, sampling  # the references (module paths may move: keep them here)
from ._harness import Case, Mistake, run_check

__all__ = ["check_split_episode", "check_prototype_classify"]


# ---- the episode split ---------------------------------------------------------------------------

def _split_cases() -> list[Case]:
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(6).repeat_interleave(5)[torch.randperm(30, generator=g)]
    return [
        Case("hand-made: 2 classes, 1 shot, 1 query",
             (torch.tensor([0, 1, 0, 1, 0]), torch.tensor([1, 0]), 1, 1, torch.tensor([4, 3, 2, 1, 0]))),
        Case("6 classes x 5, 3-way 2-shot 2-query",
             (labels, torch.tensor([4, 0, 2]), 2, 2, torch.randperm(30, generator=g))),
        Case("5-way 1-shot 3-query", (labels, torch.tensor([5, 1, 3, 0, 2]), 1, 3, torch.randperm(30, generator=g))),
    ]


def _members(labels, c, order):
    return order[labels[order] == c]


def _split_overlap(labels, classes, k_shot, n_query, order):
    rows = [_members(labels, c, order) for c in classes.tolist()]
    return torch.stack([r[:k_shot] for r in rows]), torch.stack([r[:n_query] for r in rows])


def _split_ignores_order(labels, classes, k_shot, n_query, order):
    rows = [(labels == c).nonzero().flatten() for c in classes.tolist()]
    return torch.stack([r[:k_shot] for r in rows]), torch.stack([r[k_shot:k_shot + n_query] for r in rows])


def _split_returns_labels(labels, classes, k_shot, n_query, order):
    s, q = sampling.split_episode(labels, classes, k_shot, n_query, order)
    return labels[s], labels[q]


def _split_swapped(labels, classes, k_shot, n_query, order):
    rows = [_members(labels, c, order) for c in classes.tolist()]
    return torch.stack([r[n_query:n_query + k_shot] for r in rows]), torch.stack([r[:n_query] for r in rows])


def _split_sorted_classes(labels, classes, k_shot, n_query, order):
    return sampling.split_episode(labels, classes.sort().values, k_shot, n_query, order)


def check_split_episode(learner_fn: Callable) -> None:
    """Check ``split_episode(labels, classes, k_shot, n_query, order) -> (support, query)``.

    ``support[j]`` must be the first ``k_shot`` positions ``p`` of ``order`` with
    ``labels[p] == classes[j]``, ``query[j]`` the next ``n_query``.

    Parameters
    ----------
    learner_fn : callable
        The learner's ``split_episode(labels (N,), classes (n_way,), k_shot, n_query, order (N,))``
        returning ``support (n_way, k_shot)`` and ``query (n_way, n_query)`` index tensors.

    Returns
    -------
    None
        Prints ``split_episode: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When support or query hold other positions: queries that restart at the first
        example, dataset order instead of ``order``, labels instead of positions.
    """
    return run_check(
        "split_episode", learner_fn, sampling.split_episode, _split_cases(),
        mistakes=[
            Mistake(_split_overlap, "the queries start at the first example again, so support and query "
                    "share examples: take the query from after the first k_shot examples."),
            Mistake(_split_ignores_order, "the examples are taken in dataset order: walk `order` "
                    "(the random permutation) and keep the positions whose label is the class."),
            Mistake(_split_returns_labels, "this returns labels; return positions (indices into the set), "
                    "so that images[support] gives the support images."),
            Mistake(_split_swapped, "support and query are swapped: the first k_shot examples are the support."),
            Mistake(_split_sorted_classes, "the rows follow sorted class order; row j must be classes[j], "
                    "because episode label j means classes[j]."),
        ],
        verified="int64 positions (n_way, k_shot) and (n_way, n_query), row j = classes[j], taken in "
                 "`order`, support and query disjoint",
    )


# ---- the prototype classifier --------------------------------------------------------------------

def _proto_cases() -> list[Case]:
    g = torch.Generator().manual_seed(1)
    return [
        Case("1-D, 2-way 2-shot: query nearer one example of class 1, nearer the mean of class 0",
             (torch.tensor([[[0.0], [4.0]], [[5.0], [-10.0]]]), torch.tensor([[4.6], [-1.0], [15.0], [2.0]]))),
        Case("5-way 3-shot, D=4", (torch.randn(5, 3, 4, generator=g), torch.randn(12, 4, generator=g))),
        Case("3-way 1-shot, large norms", (torch.randn(3, 1, 6, generator=g) * 3 + 2, torch.randn(7, 6, generator=g) * 3)),
        Case("20-way 5-shot, D=8", (torch.randn(20, 5, 8, generator=g), torch.randn(30, 8, generator=g))),
    ]


def _proto_nearest_example(support, query):
    d = ((query[:, None, None] - support[None]) ** 2).sum(-1)  # (M, n_way, k_shot)
    return d.amin(2).argmin(1)


def _proto_argmax(support, query):
    return torch.cdist(query, support.mean(1)).argmax(1)


def _proto_sum(support, query):
    return torch.cdist(query, support.sum(1)).argmin(1)


def _proto_dot(support, query):
    return (query @ support.mean(1).T).argmax(1)


def _proto_first_example(support, query):
    return torch.cdist(query, support[:, 0]).argmin(1)


def check_prototype_classify(learner_fn: Callable) -> None:
    """Check ``prototype_classify(support (n_way, k_shot, D), query (M, D)) -> (M,)`` class indices:
    ``ŷ_i = argmin_j ‖q_i − c_j‖²`` with ``c_j`` the mean of ``support[j]``.

    Parameters
    ----------
    learner_fn : callable (support (n_way, k_shot, D), query (M, D)) -> Tensor (M,) int64
        The learner's nearest-prototype classifier.

    Returns
    -------
    None
        Prints ``prototype_classify: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When a prediction differs: the nearest support example instead of the
        prototype, argmax of a distance, a sum instead of a mean, a dot product.
    """
    return run_check(
        "prototype_classify", learner_fn, fewshot.prototype_classify, _proto_cases(),
        mistakes=[
            Mistake(_proto_nearest_example, "this is the nearest single support example; a prototype is "
                    "the mean of the class's k_shot embeddings, c_j = support[j].mean(0)."),
            Mistake(_proto_argmax, "argmax of a distance picks the farthest class; take argmin (or argmax of −d)."),
            Mistake(_proto_sum, "the prototype is the sum of the support embeddings; divide by k_shot (mean over dim 1)."),
            Mistake(_proto_dot, "a dot product is not a distance: it favours long vectors. "
                    "Use the squared Euclidean distance ‖q − c‖²."),
            Mistake(_proto_first_example, "the prototype is the mean of all k_shot support embeddings of "
                    "the class, not its first one."),
        ],
        verified="int64 class indices (M,), argmin of the distance to the class means (not to single examples)",
    )
