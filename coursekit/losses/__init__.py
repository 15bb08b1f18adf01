"""Triplet masks and metric-learning losses (triplet, batch-all, batch-hard, contrastive).

Distances come from :mod:`coursekit.distances`. Every triplet loss here defaults to
``squared=True``: the lecture's ``L(A, P, N) = max(‖f(A) − f(P)‖² − ‖f(A) − f(N)‖² + α, 0)``
is written with squared distances, and FaceNet's margin α = 0.2 is meant for them (on unit
vectors ``‖a − b‖² = 2 − 2 cos(a, b)`` lies in [0, 4]). Pass ``squared=False`` for plain
Euclidean distances, as Moindrot's post and pytorch-metric-learning use by default.

The batch losses follow Olivier Moindrot's post "Triplet Loss and Online Triplet Mining in
TensorFlow" (2018) exactly — same masks, same averaging, same 1e-16 guards — but batch-all is
computed from the (B, B) distance matrix one "positive slot" at a time (every anchor's j-th
positive against all its negatives), with a hand-written backward pass. It never builds the
dense (B, B, B) tensor of the post: memory is O(B²) and time grows with the number of valid
triplets (about B²·(K−1) for P×K batches), not with B³.
"""

from .batch import batch_all_triplet_loss, batch_hard_triplet_loss
from .explicit import contrastive_loss, triplet_loss
from .masks import anchor_negative_mask, anchor_positive_mask, valid_triplet_mask

__all__ = [
    "anchor_positive_mask",
    "anchor_negative_mask",
    "valid_triplet_mask",
    "batch_all_triplet_loss",
    "batch_hard_triplet_loss",
    "triplet_loss",
    "contrastive_loss",
]
