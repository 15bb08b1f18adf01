"""P×K batches for triplet training: P identities, K images of each, in every batch.

Online triplet mining (batch-all, batch-hard) needs positives *and* negatives inside each
batch. Drawing P identities and then K images per identity (Hermans, Beyer & Leibe 2017, "In
Defense of the Triplet Loss for Person Re-Identification") guarantees both: every anchor has
K − 1 positives and (P − 1)·K negatives.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

__all__ = ["PKSampler"]

_INT_DTYPES = {torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64}


class PKSampler:
    """Yield batches of dataset indices, P identities × K images each.

    Works as a ``batch_sampler`` for ``torch.utils.data.DataLoader``, or directly: each item
    is a list of ``P * K`` indices, grouped by identity (K consecutive indices share a label).

    Parameters
    ----------
    labels : Tensor of shape (N,), integer
        Identity of each dataset item.
    p : int >= 2
        Identities per batch (two at least, so that every anchor has a negative).
    k : int >= 2
        Images per identity (two at least, so that every anchor has a positive). Only
        identities with at least ``k`` images are drawn; the images of one identity in a batch
        are distinct.
    n_batches : int, optional
        Batches per pass (``len(sampler)``); default ``N // (p * k)``, i.e. about one epoch.
    generator : torch.Generator, optional
        The source of randomness; iterating twice continues its stream. Default: a generator
        seeded from torch's global RNG, as ``torch.utils.data.RandomSampler`` does.

    Examples
    --------
    >>> s = PKSampler(torch.arange(6).repeat_interleave(3), p=2, k=2, generator=torch.Generator().manual_seed(0))
    >>> [len(b) for b in s]
    [4, 4, 4, 4]
    """

    def __init__(
        self,
        labels: torch.Tensor,
        p: int,
        k: int,
        *,
        n_batches: int | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        if not isinstance(labels, torch.Tensor):
            raise TypeError(f"labels must be a torch.Tensor of shape (N,), got {type(labels).__name__}")
        if labels.dim() != 1:
            raise ValueError(f"labels must have shape (N,), got {tuple(labels.shape)}")
        if labels.dtype not in _INT_DTYPES:
            raise TypeError(f"labels must be an integer tensor (identity ids), got {labels.dtype}")
        for name, value in (("p", p), ("k", k)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, got {type(value).__name__}")
            if value < 2:
                raise ValueError(f"{name} must be >= 2 (a triplet needs a positive and a negative), got {value}")
        if n_batches is not None and (isinstance(n_batches, bool) or not isinstance(n_batches, int) or n_batches < 1):
            raise ValueError(f"n_batches must be an int >= 1 or None, got {n_batches!r}")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        labels = labels.detach().cpu().long()
        ids, counts = torch.unique(labels, return_counts=True)
        eligible = ids[counts >= k]
        if len(eligible) < p:
            raise ValueError(
                f"p={p} identities with at least k={k} images each are needed, but only {len(eligible)} "
                f"of the {len(ids)} identities have {k} or more (largest count: {int(counts.max()) if len(counts) else 0})"
            )
        self.p, self.k = p, k
        self.identities = eligible
        self._members = [torch.nonzero(labels == i).flatten() for i in eligible.tolist()]
        self.n_batches = n_batches if n_batches is not None else max(1, len(labels) // (p * k))
        if generator is None:
            seed = int(torch.empty((), dtype=torch.int64).random_().item())
            generator = torch.Generator().manual_seed(seed)
        self.generator = generator

    def __len__(self) -> int:
        return self.n_batches

    def __iter__(self) -> Iterator[list[int]]:
        for _ in range(self.n_batches):
            chosen = torch.randperm(len(self._members), generator=self.generator)[: self.p]
            batch = []
            for c in chosen.tolist():
                members = self._members[c]
                pick = torch.randperm(len(members), generator=self.generator)[: self.k]
                batch.extend(members[pick].tolist())
            yield batch

    def __repr__(self) -> str:
        return f"PKSampler(p={self.p}, k={self.k}, identities={len(self.identities)}, n_batches={self.n_batches})"
