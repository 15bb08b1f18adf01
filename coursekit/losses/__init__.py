"""Distances, triplet masks and metric-learning losses (triplet, batch-all, batch-hard, contrastive).

The batch losses follow Olivier Moindrot's post "Triplet Loss and Online Triplet Mining in
TensorFlow" (2018) exactly — same masks, same averaging, same 1e-16 guards — but batch-all is
computed from the (B, B) distance matrix one "positive slot" at a time (every anchor's j-th
positive against all its negatives), with a hand-written backward pass. It never builds the
dense (B, B, B) tensor of the post: memory is O(B²) and time grows with the number of valid
triplets (about B²·(K−1) for P×K batches), not with B³.
"""


from .batch import batch_all_triplet_loss, batch_hard_triplet_loss
from .distances import (
    _pairwise_distances,  # noqa: F401  (the tests' dense reference builds on it)
    anchor_negative_mask,
    anchor_positive_mask,
    pairwise_distances,
    valid_triplet_mask,
)
from .explicit import contrastive_loss, triplet_loss

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
