"""Online-mined batch losses: batch-all (without a B³ tensor) and batch-hard.

Batch-hard comes twice. :func:`_batch_hard_as_in_the_post` is the version to read: the post's
distance matrix, masks, row max and row min, differentiated by autograd. The public
:func:`batch_hard_triplet_loss` computes the same value and gradient (the tests hold them
equal) with less work: one (B, B) matrix of squared distances built in place, one masked min
and one masked max per row, the square root of the 2B selected distances only, and a
hand-written backward pass over those 2B pairs instead of the (B, B) matrix.
"""

from __future__ import annotations

import math

import torch
from torch.autograd.function import once_differentiable

from ..distances import pairwise_distances
from ..validation import check_bool, check_embeddings, check_float, check_labels
from .masks import anchor_positive_mask

__all__ = ["batch_all_triplet_loss", "batch_hard_triplet_loss"]


def _check_batch(labels, embeddings, margin, squared) -> tuple[float, bool]:
    check_embeddings(embeddings, min_rows=2)
    check_labels(labels, n=embeddings.shape[0], min_len=2)
    if labels.device != embeddings.device:
        raise ValueError(f"labels are on {labels.device} but embeddings on {embeddings.device}; put both on one device")
    if bool((labels == labels[0]).all()):
        raise ValueError(
            f"labels must contain at least two classes (a triplet needs a negative), got only class {int(labels[0])}"
        )
    return check_float(margin, "margin", minimum=0.0), check_bool(squared, "squared")


# ----------------------------------------------------------------------------- batch-all
class _BatchAllFromDistances(torch.autograd.Function):
    """Σ relu(d_ap − d_an + m) over valid triplets, and the counts, from a (B, B) distance matrix.

    Anchors' positives are laid out in slots: slot j holds each anchor's j-th positive. One
    slot at a time, every anchor is compared with every negative at once — a (B, B) tensor — so
    the work is B² per slot (B²·(K−1) for P×K batches, i.e. proportional to the valid
    triplets), the memory B², and nothing bigger is kept for backward, which recomputes the
    slot losses (the (B, S) slot layout is kept; S = most positives of an anchor).
    dS/dd_ap = #{n : t_apn > 0} and dS/dd_an = −#{p : t_apn > 0}.
    """

    @staticmethod
    def forward(ctx, dist, labels, margin):
        slots, has_slot = _slots(labels)
        d_neg = _negative_distances(dist, labels)
        total = dist.new_zeros(())
        n_positive = torch.zeros((), dtype=torch.int64, device=dist.device)
        for j in range(slots.shape[1]):
            t = _slot_losses(dist, slots[:, j], has_slot[:, j], d_neg, margin)  # (B, B)
            total = total + t.sum()
            n_positive += torch.count_nonzero(t > 1e-16)  # the post's test for "positive"
        is_neg = labels[:, None] != labels[None, :]
        n_valid = (has_slot.sum(1) * is_neg.sum(1)).sum()
        ctx.save_for_backward(dist, labels, slots, has_slot)
        ctx.margin = margin
        ctx.mark_non_differentiable(n_positive, n_valid)
        return total, n_positive, n_valid

    @staticmethod
    def backward(ctx, grad_total, _grad_positive, _grad_valid):
        dist, labels, slots, has_slot = ctx.saved_tensors
        d_neg = _negative_distances(dist, labels)
        rows = torch.arange(len(dist), device=dist.device)
        grad = torch.zeros_like(dist)
        for j in range(slots.shape[1]):
            t = _slot_losses(dist, slots[:, j], has_slot[:, j], d_neg, ctx.margin)
            active = (t > 0).to(dist.dtype)  # relu'(t)
            grad.sub_(active)  # ∂/∂d_an, one column per negative
            grad.index_put_((rows, slots[:, j]), active.sum(1), accumulate=True)  # ∂/∂d_ap
        return grad * grad_total, None, None


def _slots(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, S) index of each anchor's j-th positive (0 where it has fewer), and the validity mask."""
    is_pos = anchor_positive_mask(labels)  # (B, B)
    rank = is_pos.cumsum(1) - 1  # j for the j-th positive in each row
    n_slots = int(is_pos.sum(1).max()) if len(labels) else 0
    slots = torch.zeros(len(labels), n_slots, dtype=torch.int64, device=labels.device)
    a, p = is_pos.nonzero(as_tuple=True)
    slots[a, rank[a, p]] = p
    has_slot = torch.arange(n_slots, device=labels.device)[None, :] < is_pos.sum(1, keepdim=True)
    return slots, has_slot


def _negative_distances(dist: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The distances with every non-negative (same label) set to +inf."""
    return dist.masked_fill(labels[:, None] == labels[None, :], math.inf)


def _slot_losses(dist, positive, has_positive, d_neg, margin):
    rows = torch.arange(len(dist), device=dist.device)
    d_ap = dist[rows, positive].masked_fill(~has_positive, -math.inf)  # (B,)
    t = d_ap[:, None] - d_neg  # (B, B); same order of operations as the post: d_ap − d_an + m
    return t.add_(margin).clamp_min_(0.0)  # ±inf entries (no positive / not a negative) give 0


def batch_all_triplet_loss(
    labels: torch.Tensor, embeddings: torch.Tensor, margin: float, squared: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """Average triplet loss over the valid triplets whose loss is positive (the post's batch-all).

    Parameters
    ----------
    labels : Tensor of shape (B,), integer
        At least two classes.
    embeddings : Tensor of shape (B, D), floating point
    margin : float >= 0
    squared : bool
        Squared Euclidean distances ``d = ‖e_i − e_j‖²`` (default: the lecture's L, and FaceNet's
        α = 0.2 on unit vectors, where ``d = 2 − 2 cos``), or plain Euclidean ones.

    Returns
    -------
    loss : Tensor of shape ()
        ``L = Σ_{(a,p,n) valid} max(d_ap − d_an + margin, 0) / (N_pos + 1e-16)``, where
        ``N_pos`` counts the valid triplets whose loss is > 1e-16 (so a batch without any
        positive triplet gives 0, not NaN).
    fraction_positive_triplets : Tensor of shape ()
        ``N_pos / (N_valid + 1e-16)``; no gradient.

    Examples
    --------
    >>> e = torch.tensor([[0.0], [1.0], [0.5], [3.0]]); y = torch.tensor([0, 0, 1, 1])
    >>> [round(v.item(), 4) for v in batch_all_triplet_loss(y, e, margin=1.0)]
    [4.15, 0.625]
    >>> [round(v.item(), 4) for v in batch_all_triplet_loss(y, e, margin=1.0, squared=False)]
    [1.8333, 0.75]
    """
    margin, squared = _check_batch(labels, embeddings, margin, squared)
    dist = pairwise_distances(embeddings, squared)
    total, n_positive, n_valid = _BatchAllFromDistances.apply(dist, labels, margin)
    loss = total / (n_positive.to(total.dtype) + 1e-16)
    fraction = n_positive.to(total.dtype) / (n_valid.to(total.dtype) + 1e-16)
    return loss, fraction


# ----------------------------------------------------------------------------- batch-hard
def _batch_hard_as_in_the_post(
    labels: torch.Tensor, embeddings: torch.Tensor, margin: float, squared: bool
) -> torch.Tensor:
    """Batch-hard written as the post writes it: the reference that the fast path is tested against.

    Read this one. All B² distances, then for each anchor the largest among its positives and
    the smallest among its negatives, and autograd differentiates every step. Inputs are
    trusted (:func:`batch_hard_triplet_loss` validates them).
    """
    dist = pairwise_distances(embeddings, squared)  # (B, B)
    # distances are >= 0, so filling non-positives with 0 gives the post's max(mask * d), 0 for
    # an anchor without positive; +inf skips non-negatives as the post's "add the row max" does
    # (every anchor has a negative: at least two classes were checked)
    hardest_positive = dist.masked_fill(~anchor_positive_mask(labels), 0.0).amax(1)  # (B,)
    hardest_negative = dist.masked_fill(labels[:, None] == labels[None, :], math.inf).amin(1)  # (B,)
    return torch.relu(hardest_positive - hardest_negative + margin).mean()


class _HardestDistances(torch.autograd.Function):
    """Each anchor's hardest-positive and hardest-negative distance, and their gradient.

    The same numbers as :func:`_batch_hard_as_in_the_post`, with less work. Forward builds the
    (B, B) squared-distance matrix in place (the same operations as
    :func:`coursekit.distances.pairwise_distances`, so the same bits), takes one masked max and
    one masked min per row over *squared* distances, and square-roots only the 2B selected
    values (``√`` is monotone, so it picks the same entries). Backward does not go through the
    (B, B) matrix: only the selected pairs have a gradient, ``∂‖e_a − e_j‖²/∂e_a = 2 (e_a − e_j)``
    (and the opposite for ``e_j``), so it costs O(B·D). Like ``amax``/``amin``, a row whose
    maximum (minimum) is reached by several entries shares its gradient equally among them; a
    selected distance of 0 gets gradient 0, as the reference's clamp and safe square root give.
    Ties are found among squared distances: with ``squared=False`` two squared distances one
    rounding step apart whose roots round to the same number tie in the reference, not here.
    """

    @staticmethod
    def forward(ctx, embeddings, labels, squared):
        b = len(embeddings)
        d2 = embeddings @ embeddings.T  # (B, B) dot products; then ‖e_j‖² − 2 e_i·e_j + ‖e_i‖² in place
        sq = d2.diagonal().clone()
        d2.mul_(-2.0).add_(sq[None, :]).add_(sq[:, None]).clamp_min_(0.0)
        d2.fill_diagonal_(0.0)
        same = labels[:, None] == labels[None, :]  # (B, B) bool
        rows = torch.arange(b, device=embeddings.device)

        negatives = d2.masked_fill(same, math.inf)  # the one (B, B) temporary
        d_an, n_idx = negatives.min(1)
        n_pairs = _pairs_with_ties(negatives, d_an, n_idx, rows, math.inf, torch.amin)
        del negatives
        d2.masked_fill_(same.logical_not_(), 0.0)  # now positives only (the diagonal is 0)
        d_ap, p_idx = d2.max(1)
        p_pairs = _pairs_with_ties(d2, d_ap, p_idx, rows, -math.inf, torch.amax)
        del d2

        if not squared:
            d_ap, d_an = d_ap.sqrt(), d_an.sqrt()
        ctx.save_for_backward(embeddings, d_ap, d_an, *p_pairs, *n_pairs)
        ctx.squared = squared
        return d_ap, d_an

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_ap, grad_an):
        embeddings, d_ap, d_an, *pairs = ctx.saved_tensors
        grad = torch.zeros_like(embeddings)
        for (a, j, w), dist, g in ((pairs[:3], d_ap, grad_ap), (pairs[3:], d_an, grad_an)):
            d = dist[a]
            scale = w * g[a]  # ∂L/∂d of each selected pair, shared among tied entries
            if not ctx.squared:
                scale = scale / (2.0 * d)  # ∂d/∂(d²) = 1 / (2d); inf at d = 0, replaced next
            scale = scale.masked_fill(d == 0, 0.0)  # the reference's clamp / safe square root
            step = (embeddings[a] - embeddings[j]).mul_((2.0 * scale)[:, None])  # (n_pairs, D)
            grad.index_add_(0, a, step).index_add_(0, j, step.neg_())
        return grad, None, None


def _pairs_with_ties(masked, best, idx, rows, fill, reduce):
    """(anchor, column, weight) of every entry equal to its row's ``best``: one per row, unless tied.

    ``masked`` holds the candidates of each row (``fill`` elsewhere); it is modified and then
    restored. The usual case costs one more reduction over it: the second best of each row.
    """
    masked[rows, idx] = fill
    # another entry reaches the best: a tie (a best of 0 has gradient 0, whoever reaches it)
    tied = (reduce(masked, 1) == best) & (best != 0)
    masked[rows, idx] = best
    if not bool(tied.any()):
        return rows, idx, torch.ones_like(best)
    a, j = (masked[tied] == best[tied, None]).nonzero(as_tuple=True)
    a = rows[tied][a]
    single = ~tied
    a = torch.cat([rows[single], a])
    j = torch.cat([idx[single], j])
    weight = 1.0 / torch.bincount(a, minlength=len(rows)).to(best.dtype)[a]
    return a, j, weight


def batch_hard_triplet_loss(
    labels: torch.Tensor, embeddings: torch.Tensor, margin: float, squared: bool = True
) -> torch.Tensor:
    """Mean over anchors of max(hardest positive distance − hardest negative distance + margin, 0).

    Parameters
    ----------
    labels : Tensor of shape (B,), integer
        At least two classes.
    embeddings : Tensor of shape (B, D), floating point
    margin : float >= 0
    squared : bool
        Squared Euclidean distances ``d = ‖e_i − e_j‖²`` (default: the lecture's L, and FaceNet's
        α = 0.2 on unit vectors, where ``d = 2 − 2 cos``), or plain Euclidean ones.

    Returns
    -------
    Tensor of shape ()
        ``L = 1/B Σ_a max(max_{p: y_p = y_a, p ≠ a} d_ap − min_{n: y_n ≠ y_a} d_an + margin, 0)``.
        As in the post, an anchor without a positive uses d_ap = 0.

    Notes
    -----
    The readable version is :func:`_batch_hard_as_in_the_post` (the post's masks and
    reductions, differentiated by autograd). This function computes the same value and the same
    gradient (tested) with a hand-written backward pass that only touches the 2B selected
    pairs: see :class:`_HardestDistances`.

    Examples
    --------
    >>> e = torch.tensor([[0.0], [1.0], [0.5], [3.0]]); y = torch.tensor([0, 0, 1, 1])
    >>> round(batch_hard_triplet_loss(y, e, margin=1.0).item(), 4)
    3.4375
    >>> round(batch_hard_triplet_loss(y, e, margin=1.0, squared=False).item(), 4)
    1.875
    """
    margin, squared = _check_batch(labels, embeddings, margin, squared)
    hardest_positive, hardest_negative = _HardestDistances.apply(embeddings, labels, squared)  # (B,) each
    return torch.relu(hardest_positive - hardest_negative + margin).mean()
