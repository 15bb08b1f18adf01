"""Checks for the exercises of notebook 02 (triplet loss).

Each check runs the learner's function and ``coursekit.losses``' on small seeded float64
batches (P×K labels, several margins, squared and not, duplicate embeddings, a batch with no
positive triplet) and names the likely mistake when the output matches a known wrong version.
The distance check also compares gradients, so a square root at 0 (NaN gradient) is caught.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .. import distances, losses  # the references (module paths may move: keep them here)
from ._harness import Case, Grad, Mistake, run_check

__all__ = [
    "check_pairwise_distances",
    "check_anchor_masks",
    "check_valid_triplet_mask",
    "check_batch_all_triplet_loss",
]


def _emb(b: int, d: int, seed: int) -> torch.Tensor:
    return torch.randn(b, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _labels(seed: int, b: int = 8, n: int = 3) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.arange(b) % n)[torch.randperm(b, generator=g)]


# ---- pairwise distances --------------------------------------------------------------------------

_NAN_HINT = (
    "your distances or their gradient contain NaN. Two causes: (1) ‖a‖² − 2a·b + ‖b‖² can come "
    "out slightly negative from rounding, so clamp it at 0 before the sqrt; (2) sqrt has an "
    "infinite slope at 0 (the diagonal, duplicate embeddings), so where d == 0 add a small value "
    "(the post adds 1e-16) before the sqrt and set those entries back to 0 after it."
)


def _dist_no_clamp(e, squared=False):
    dot = e @ e.T
    sq = dot.diagonal()
    d = sq[None] - 2 * dot + sq[:, None]
    return d if squared else d.sqrt()


def _dist_maximum_no_mask(e, squared=False):
    dot = e @ e.T
    sq = dot.diagonal()
    d = torch.maximum(sq[None] - 2 * dot + sq[:, None], torch.zeros_like(dot))
    return d if squared else d.sqrt()  # maximum passes gradient at the tie: sqrt'(0) = inf → NaN


def _dist_always_squared(e, squared=False):
    return distances.pairwise_distances(e, squared=True)


def _dist_never_squared(e, squared=False):
    return distances.pairwise_distances(e, squared=False)


def _dist_plus_sign(e, squared=False):
    dot = e @ e.T
    sq = dot.diagonal()
    d = (sq[None] + 2 * dot + sq[:, None]).clamp_min(0)
    return d if squared else d.sqrt()


def _dist_sum_norms(e, squared=False):
    sq = (e * e).sum(1)
    d = sq[None] + sq[:, None]
    return d if squared else d.sqrt()


def check_pairwise_distances(learner_fn: Callable) -> None:
    """Check ``pairwise_distances(embeddings, squared)``: values and gradients, duplicates included.

    Parameters
    ----------
    learner_fn : callable (embeddings (B, D), squared: bool) -> Tensor (B, B)
        The learner's ``pairwise_distances``.

    Returns
    -------
    None
        Prints ``pairwise_distances: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When a distance or its gradient differs, including NaN gradients from a square
        root at 0 for duplicate embeddings, or ``squared`` handled the wrong way.
    """
    dup = _emb(5, 3, 2)
    dup[3] = dup[1]  # a repeated embedding: distance 0 off the diagonal
    base = torch.randn(6, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 1000
    near = torch.cat([base, base + 1e-9])  # large norms, tiny distances: rounding makes some d² < 0
    cases = [
        Case("B=6, D=4, Euclidean", (_emb(6, 4, 1), False)),
        Case("B=6, D=4, squared", (_emb(6, 4, 1), True)),
        Case("rows 1 and 3 identical, Euclidean", (dup, False)),
        Case("rows 1 and 3 identical, squared", (dup, True)),
        Case("one-dimensional points 0, 3, 4", (torch.tensor([[0.0], [3.0], [4.0]], dtype=torch.float64), False)),
        Case("nearly identical rows with large norms (distances ≈ 0 up to rounding)", (near, False), atol=1e-3),
    ]
    return run_check(
        "pairwise_distances", learner_fn, distances.pairwise_distances, cases,
        mistakes=[
            Mistake(_dist_always_squared, "take the square root when squared=False."),
            Mistake(_dist_never_squared, "return the squared distances when squared=True."),
            Mistake(_dist_plus_sign, "‖a − b‖² = ‖a‖² − 2 a·b + ‖b‖²: the middle term is subtracted."),
            Mistake(_dist_sum_norms, "‖a − b‖² = ‖a‖² − 2 a·b + ‖b‖²: the cross term −2 a·b is missing."),
        ],
        grad=Grad(wrt=(0,)),
        nan_hint=_NAN_HINT,
        verified="(B, B) in the input's dtype, squared and not, 0 for duplicate rows with a finite gradient, "
                 "no NaN where rounding makes d² < 0",
    )


# ---- masks ---------------------------------------------------------------------------------------

def _ap_with_diagonal(labels):
    return labels[:, None] == labels[None, :]


def _an_equal(labels):
    return labels[:, None] == labels[None, :]


def _an_excluding_diagonal_only(labels):
    return ~torch.eye(len(labels), dtype=torch.bool)


def _both(ap_fn: Callable, an_fn: Callable) -> Callable:
    return lambda labels: (ap_fn(labels), an_fn(labels))


def _mask_cases() -> list[Case]:
    return [
        Case("labels [0, 1, 0, 2, 1, 0]", (torch.tensor([0, 1, 0, 2, 1, 0]),)),
        Case("8 labels, 3 classes, shuffled", (_labels(1),)),
        Case("all labels different", (torch.tensor([4, 2, 7]),)),
        Case("one class", (torch.tensor([5, 5, 5, 5]),)),
    ]


def check_anchor_masks(anchor_positive_fn: Callable, anchor_negative_fn: Callable) -> None:
    """Check ``anchor_positive_mask`` (a ≠ p, same label) and ``anchor_negative_mask`` (different label).

    Parameters
    ----------
    anchor_positive_fn : callable (labels (B,)) -> Tensor (B, B) bool
        The learner's ``anchor_positive_mask``.
    anchor_negative_fn : callable (labels (B,)) -> Tensor (B, B) bool
        The learner's ``anchor_negative_mask``.

    Returns
    -------
    None
        Prints ``anchor_positive_mask / anchor_negative_mask: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When a mask differs: an anchor counted as its own positive, negatives with the
        same label, masks that ignore the labels, or the two masks swapped.
    """
    reference = _both(losses.anchor_positive_mask, losses.anchor_negative_mask)
    return run_check(
        "anchor_positive_mask / anchor_negative_mask", _both(anchor_positive_fn, anchor_negative_fn),
        reference, _mask_cases(),
        mistakes=[
            Mistake(_both(_ap_with_diagonal, losses.anchor_negative_mask),
                    "an anchor is not its own positive: the anchor-positive mask needs i ≠ j as well."),
            Mistake(_both(losses.anchor_positive_mask, _an_equal),
                    "a negative has a *different* label: labels[i] != labels[k]."),
            Mistake(_both(losses.anchor_positive_mask, _an_excluding_diagonal_only),
                    "the anchor-negative mask depends on the labels, not only on i ≠ k."),
            Mistake(_both(losses.anchor_negative_mask, losses.anchor_positive_mask),
                    "the two masks are swapped: anchor_positive_mask is the same-label one."),
        ],
        verified="two (B, B) boolean masks: positives share the label and are not the anchor itself, "
                 "negatives have another label",
    )


# ---- valid triplet mask --------------------------------------------------------------------------

def _valid_labels_only(labels):
    same = labels[:, None] == labels[None, :]
    return same[:, :, None] & ~same[:, None, :]  # forgets a ≠ p


def _valid_wrong_axes(labels):
    return losses.valid_triplet_mask(labels).permute(0, 2, 1)  # (a, n, p) instead of (a, p, n)


def _valid_distinct_only(labels):
    eye = torch.eye(len(labels), dtype=torch.bool)
    return ~eye[:, :, None] & ~eye[:, None, :] & ~eye[None, :, :]


def check_valid_triplet_mask(learner_fn: Callable) -> None:
    """Check ``valid_triplet_mask(labels)[a, p, n]``: distinct indices, labels[a] == labels[p] != labels[n].

    Parameters
    ----------
    learner_fn : callable (labels (B,)) -> Tensor (B, B, B) bool
        The learner's ``valid_triplet_mask``.

    Returns
    -------
    None
        Prints ``valid_triplet_mask: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When mask[a, p, n] differs: a = p allowed, the axes in another order, or the
        label condition labels[a] == labels[p] != labels[n] missing.
    """
    return run_check(
        "valid_triplet_mask", learner_fn, losses.valid_triplet_mask, _mask_cases(),
        mistakes=[
            Mistake(_valid_labels_only,
                    "the anchor and the positive must be different images: add a ≠ p (i.e. combine with "
                    "the anchor-positive mask, not just label equality)."),
            Mistake(_valid_wrong_axes, "the axes are (anchor, positive, negative): mask[a, p, n]."),
            Mistake(_valid_distinct_only, "a valid triplet also needs labels[a] == labels[p] != labels[n], "
                    "not only three distinct indices."),
        ],
        verified="a (B, B, B) boolean mask[a, p, n]: a ≠ p, labels[a] == labels[p] != labels[n]",
    )


# ---- batch-all triplet loss ----------------------------------------------------------------------

def _dense(labels, embeddings, margin, squared):
    d = distances.pairwise_distances(embeddings, squared=squared)
    t = d[:, :, None] - d[:, None, :] + margin
    mask = losses.valid_triplet_mask(labels).to(d.dtype)
    return d, t, mask


def _ba_mean_over_valid(labels, embeddings, margin, squared=False):
    _, t, mask = _dense(labels, embeddings, margin, squared)
    t = torch.relu(t * mask)
    n_pos = (t > 1e-16).sum()
    return t.sum() / (mask.sum() + 1e-16), n_pos / (mask.sum() + 1e-16)


def _ba_mean_over_all(labels, embeddings, margin, squared=False):
    _, t, mask = _dense(labels, embeddings, margin, squared)
    t = torch.relu(t * mask)
    return t.mean(), (t > 1e-16).sum() / (mask.sum() + 1e-16)


def _ba_no_relu(labels, embeddings, margin, squared=False):
    _, t, mask = _dense(labels, embeddings, margin, squared)
    t = t * mask
    n_pos = (t > 1e-16).sum()
    return t.sum() / (n_pos + 1e-16), n_pos / (mask.sum() + 1e-16)


def _ba_fraction_of_all(labels, embeddings, margin, squared=False):
    loss, frac = losses.batch_all_triplet_loss(labels, embeddings, margin, squared=squared)
    n_valid = losses.valid_triplet_mask(labels).sum()
    return loss, frac * n_valid / labels.numel() ** 3


def _ba_margin_subtracted(labels, embeddings, margin, squared=False):
    d = distances.pairwise_distances(embeddings, squared=squared)
    t = torch.relu((d[:, :, None] - d[:, None, :] - margin) * losses.valid_triplet_mask(labels))
    n_pos = (t > 1e-16).sum()
    return t.sum() / (n_pos + 1e-16), n_pos / (losses.valid_triplet_mask(labels).sum() + 1e-16)


def _ba_ignores_squared(labels, embeddings, margin, squared=False):
    return losses.batch_all_triplet_loss(labels, embeddings, margin, squared=not squared)


def _ba_swapped(labels, embeddings, margin, squared=False):
    return losses.batch_all_triplet_loss(labels, embeddings, margin, squared=squared)[::-1]


def check_batch_all_triplet_loss(learner_fn: Callable) -> None:
    """Check ``batch_all_triplet_loss(labels, embeddings, margin, squared) -> (loss, fraction)``.

    Parameters
    ----------
    learner_fn : callable (labels (B,), embeddings (B, D), margin, squared) -> (Tensor (), Tensor ())
        The learner's ``batch_all_triplet_loss``: the loss and the fraction of positive triplets.

    Returns
    -------
    None
        Prints ``batch_all_triplet_loss: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When the loss, the fraction or the gradient differ: an average over all B³
        entries or all valid triplets, a missing max(·, 0), a fraction over B³.
    """
    far = torch.tensor([[0.0, 0.0], [0.0, 0.1], [10.0, 0.0], [10.0, 0.1]], dtype=torch.float64)
    unit = torch.nn.functional.normalize(_emb(12, 5, 7), dim=1)
    cases = [
        Case("P=3, K=3, margin 0.5", (_labels(2, 9, 3), _emb(9, 4, 3), 0.5), {"squared": False}),
        Case("P=3, K=3, margin 0.5, squared", (_labels(2, 9, 3), _emb(9, 4, 3), 0.5), {"squared": True}),
        Case("P=4, K=3 unit vectors, margin 0.2, squared (FaceNet)", (_labels(4, 12, 4), unit, 0.2), {"squared": True}),
        Case("margin 0", (_labels(5), _emb(8, 3, 6), 0.0), {"squared": False}),
        Case("no positive triplet (classes far apart)", (torch.tensor([0, 0, 1, 1]), far, 0.5), {"squared": False}),
        Case("unequal classes [0, 0, 0, 0, 1, 2]", (torch.tensor([0, 0, 0, 0, 1, 2]), _emb(6, 2, 8), 1.0), {"squared": False}),
    ]
    return run_check(
        "batch_all_triplet_loss", learner_fn, losses.batch_all_triplet_loss, cases,
        mistakes=[
            Mistake(_ba_mean_over_valid,
                    "average over the triplets with a *positive* loss (num_positive_triplets), not over all valid ones."),
            Mistake(_ba_mean_over_all,
                    "average over the positive triplets only, not over all B³ entries of the tensor."),
            Mistake(_ba_no_relu, "apply max(·, 0) (relu) to the triplet losses before summing."),
            Mistake(_ba_fraction_of_all, "the fraction is positive triplets / *valid* triplets, not / B³."),
            Mistake(_ba_margin_subtracted, "the loss is d(a, p) − d(a, n) + margin: add the margin."),
            Mistake(_ba_ignores_squared, "pass `squared` on to pairwise_distances."),
            Mistake(_ba_swapped, "return (loss, fraction_positive_triplets) in this order."),
        ],
        grad=Grad(wrt=(1,), output=0),
        any_float=("output[1]",),
        verified="(loss, fraction) as tensors, the loss in the input's dtype with a gradient, relu, mean over "
                 "the positive triplets, fraction of the valid ones, margin and `squared` honoured",
    )
