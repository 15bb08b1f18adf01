"""Distances, triplet masks and metric-learning losses (triplet, batch-all, batch-hard, contrastive).

The batch losses follow Olivier Moindrot's post "Triplet Loss and Online Triplet Mining in
TensorFlow" (2018) exactly — same masks, same averaging, same 1e-16 guards — but batch-all is
computed from the (B, B) distance matrix one "positive slot" at a time (every anchor's j-th
positive against all its negatives), with a hand-written backward pass. It never builds the
dense (B, B, B) tensor of the post: memory is O(B²) and time grows with the number of valid
triplets (about B²·(K−1) for P×K batches), not with B³.
"""

from __future__ import annotations

import math
from numbers import Real

import torch

__all__ = [
    "pairwise_distances",
    "anchor_positive_mask",
    "anchor_negative_mask",
    "valid_triplet_mask",
    "batch_all_triplet_loss",
    "batch_hard_triplet_loss",
    "triplet_loss",
    "contrastive_loss",
]

_INT_DTYPES = {torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64}


# ----------------------------------------------------------------------------- validation
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


# ----------------------------------------------------------------------------- batch-all
class _BatchAllFromDistances(torch.autograd.Function):
    """Σ relu(d_ap − d_an + m) over valid triplets, and the counts, from a (B, B) distance matrix.

    Anchors' positives are laid out in slots: slot j holds each anchor's j-th positive. One
    slot at a time, every anchor is compared with every negative at once — a (B, B) tensor — so
    the work is B² per slot (B²·(K−1) for P×K batches, i.e. proportional to the valid
    triplets), the memory B², and nothing bigger is kept for backward, which recomputes.
    dS/dd_ap = #{n : t_apn > 0} and dS/dd_an = −#{p : t_apn > 0}.
    """

    @staticmethod
    def forward(ctx, dist, labels, margin):
        slots, has_slot, d_neg = _slots(dist, labels)
        total = dist.new_zeros(())
        n_positive = torch.zeros((), dtype=torch.int64, device=dist.device)
        for j in range(slots.shape[1]):
            t = _slot_losses(dist, slots[:, j], has_slot[:, j], d_neg, margin)  # (B, B)
            total = total + t.sum()
            n_positive += torch.count_nonzero(t > 1e-16)  # the post's test for "positive"
        is_neg = labels[:, None] != labels[None, :]
        n_valid = (has_slot.sum(1) * is_neg.sum(1)).sum()
        ctx.save_for_backward(dist, labels)
        ctx.margin = margin
        ctx.mark_non_differentiable(n_positive, n_valid)
        return total, n_positive, n_valid

    @staticmethod
    def backward(ctx, grad_total, _grad_positive, _grad_valid):
        dist, labels = ctx.saved_tensors
        slots, has_slot, d_neg = _slots(dist, labels)
        rows = torch.arange(len(dist), device=dist.device)
        grad = torch.zeros_like(dist)
        for j in range(slots.shape[1]):
            t = _slot_losses(dist, slots[:, j], has_slot[:, j], d_neg, ctx.margin)
            active = (t > 0).to(dist.dtype)  # relu'(t)
            grad.sub_(active)  # ∂/∂d_an, one column per negative
            grad.index_put_((rows, slots[:, j]), active.sum(1), accumulate=True)  # ∂/∂d_ap
        return grad * grad_total, None, None


def _slots(dist: torch.Tensor, labels: torch.Tensor):
    """(B, S) index of each anchor's j-th positive (0 where it has fewer), the validity mask,
    and the distances with every non-negative set to +inf."""
    is_pos = _anchor_positive_mask(labels)  # (B, B)
    rank = is_pos.cumsum(1) - 1  # j for the j-th positive in each row
    n_slots = int(is_pos.sum(1).max()) if len(labels) else 0
    slots = torch.zeros(len(labels), n_slots, dtype=torch.int64, device=dist.device)
    a, p = is_pos.nonzero(as_tuple=True)
    slots[a, rank[a, p]] = p
    has_slot = torch.arange(n_slots, device=dist.device)[None, :] < is_pos.sum(1, keepdim=True)
    d_neg = dist.masked_fill(labels[:, None] == labels[None, :], math.inf)
    return slots, has_slot, d_neg


def _slot_losses(dist, positive, has_positive, d_neg, margin):
    rows = torch.arange(len(dist), device=dist.device)
    d_ap = dist[rows, positive].masked_fill(~has_positive, -math.inf)  # (B,)
    t = d_ap[:, None] - d_neg  # (B, B); same order of operations as the post: d_ap − d_an + m
    return t.add_(margin).clamp_min_(0.0)  # ±inf entries (no positive / not a negative) give 0


def batch_all_triplet_loss(
    labels: torch.Tensor, embeddings: torch.Tensor, margin: float, squared: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """Average triplet loss over the valid triplets whose loss is positive (the post's batch-all).

    Parameters
    ----------
    labels : Tensor of shape (B,), integer
        At least two classes.
    embeddings : Tensor of shape (B, D), floating point
    margin : float >= 0
    squared : bool
        Use squared Euclidean distances.

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
    [1.8333, 0.75]
    """
    margin = _check_batch(labels, embeddings, margin)
    return _batch_all_triplet_loss(labels, embeddings, margin, squared)


def _batch_all_triplet_loss(labels, embeddings, margin, squared):
    dist = _pairwise_distances(embeddings, squared)
    total, n_positive, n_valid = _BatchAllFromDistances.apply(dist, labels, margin)
    loss = total / (n_positive.to(total.dtype) + 1e-16)
    fraction = n_positive.to(total.dtype) / (n_valid.to(total.dtype) + 1e-16)
    return loss, fraction


# ----------------------------------------------------------------------------- batch-hard
def batch_hard_triplet_loss(
    labels: torch.Tensor, embeddings: torch.Tensor, margin: float, squared: bool = False
) -> torch.Tensor:
    """Mean over anchors of max(hardest positive distance − hardest negative distance + margin, 0).

    Parameters
    ----------
    labels : Tensor of shape (B,), integer
        At least two classes.
    embeddings : Tensor of shape (B, D), floating point
    margin : float >= 0
    squared : bool
        Use squared Euclidean distances.

    Returns
    -------
    Tensor of shape ()
        ``L = 1/B Σ_a max(max_{p: y_p = y_a, p ≠ a} d_ap − min_{n: y_n ≠ y_a} d_an + margin, 0)``.
        As in the post, an anchor without a positive uses d_ap = 0.

    Examples
    --------
    >>> e = torch.tensor([[0.0], [1.0], [0.5], [3.0]]); y = torch.tensor([0, 0, 1, 1])
    >>> round(batch_hard_triplet_loss(y, e, margin=1.0).item(), 4)
    1.875
    """
    margin = _check_batch(labels, embeddings, margin)
    return _batch_hard_triplet_loss(labels, embeddings, margin, squared)


def _batch_hard_triplet_loss(labels, embeddings, margin, squared):
    dist = _pairwise_distances(embeddings, squared)  # (B, B)
    # distances are >= 0, so filling non-positives with 0 gives the post's max(mask * d), 0 for
    # an anchor without positive; +inf skips non-negatives as the post's "add the row max" does
    # (every anchor has a negative: at least two classes were checked)
    hardest_positive = dist.masked_fill(~_anchor_positive_mask(labels), 0.0).amax(1)  # (B,)
    hardest_negative = dist.masked_fill(labels[:, None] == labels[None, :], math.inf).amin(1)  # (B,)
    return torch.relu(hardest_positive - hardest_negative + margin).mean()


# ----------------------------------------------------------------------------- explicit pairs
def _check_rows(tensors: dict[str, torch.Tensor]) -> None:
    for name, x in tensors.items():
        _check_embeddings(x, name)
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
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


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
        Squared distances as in the lecture (default), or plain Euclidean ones.

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
    margin = _check_margin(margin)
    _check_reduction(reduction)
    d_ap = (anchor - positive).pow(2).sum(1)
    d_an = (anchor - negative).pow(2).sum(1)
    if not squared:
        d_ap, d_an = _safe_sqrt(d_ap), _safe_sqrt(d_an)
    return _reduce(torch.relu(d_ap - d_an + margin), reduction)


def _safe_sqrt(x: torch.Tensor) -> torch.Tensor:
    is_zero = x == 0
    return torch.sqrt(torch.where(is_zero, torch.ones_like(x), x)).masked_fill(is_zero, 0.0)


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
        raise TypeError(f"is_same must be a bool tensor of shape (N,), got {getattr(is_same, 'dtype', type(is_same).__name__)}")
    if is_same.shape != (embeddings1.shape[0],):
        raise ValueError(f"is_same must have shape ({embeddings1.shape[0]},), got {tuple(is_same.shape)}")
    margin = _check_margin(margin)
    _check_reduction(reduction)
    d2 = (embeddings1 - embeddings2).pow(2).sum(1)
    different = 0.5 * torch.relu(margin - _safe_sqrt(d2)).pow(2)
    return _reduce(torch.where(is_same, 0.5 * d2, different), reduction)
