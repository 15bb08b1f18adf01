"""Same/different pairs from a labelled set, and splits that keep people apart.

Verification is evaluated on *pairs* of images; to measure how an embedding generalises, the
people in the evaluation pairs must not have been seen in training (a split by identity).
"""

from __future__ import annotations

import torch

__all__ = ["identity_split", "all_pairs", "sample_pairs"]


def _check_labels(labels) -> torch.Tensor:
    if not isinstance(labels, torch.Tensor) or labels.dim() != 1 or labels.dtype != torch.int64:
        raise ValueError(
            f"labels must be an int64 tensor of shape (N,), got "
            f"{getattr(labels, 'dtype', type(labels).__name__)} {tuple(getattr(labels, 'shape', ()))}"
        )
    if labels.numel() < 2:
        raise ValueError(f"labels must have at least 2 entries to make a pair, got {labels.numel()}")
    return labels


def identity_split(
    labels: torch.Tensor, n_test_people: int, *, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Split image indices so that ``n_test_people`` randomly chosen people are only in the test part.

    Parameters
    ----------
    labels : Tensor of shape (N,), int64
    n_test_people : int
        In [1, number of people − 1].
    generator : torch.Generator, optional
        Chooses the test people (seed it for a reproducible split).

    Returns
    -------
    train_index, test_index : Tensor of shape (N_train,), (N_test,), int64
        Positions into ``labels``, ascending; no person appears in both.

    Examples
    --------
    >>> tr, te = identity_split(torch.tensor([0, 0, 1, 1, 2, 2]), 1, generator=torch.Generator().manual_seed(0))
    >>> len(tr), len(te)
    (4, 2)
    """
    labels = _check_labels(labels)
    people = torch.unique(labels)
    if isinstance(n_test_people, bool) or not isinstance(n_test_people, int) or not 1 <= n_test_people < len(people):
        raise ValueError(f"n_test_people must be an int in [1, {len(people) - 1}], got {n_test_people!r}")
    chosen = people[torch.randperm(len(people), generator=generator)[:n_test_people]]
    is_test = torch.isin(labels, chosen)
    return (~is_test).nonzero().flatten(), is_test.nonzero().flatten()


def all_pairs(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every unordered pair (i < j) of a labelled set.

    Returns
    -------
    i, j : Tensor of shape (N(N−1)/2,), int64
    is_same : Tensor of shape (N(N−1)/2,), bool
        ``labels[i] == labels[j]``.

    Examples
    --------
    >>> [t.tolist() for t in all_pairs(torch.tensor([7, 7, 8]))]
    [[0, 0, 1], [1, 2, 2], [True, False, False]]
    """
    labels = _check_labels(labels)
    i, j = torch.triu_indices(len(labels), len(labels), offset=1, device=labels.device)
    return i, j, labels[i] == labels[j]


def sample_pairs(
    labels: torch.Tensor, n_same: int, n_different: int, *, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Distinct random pairs (i < j): ``n_same`` of one person, ``n_different`` of two people.

    Drawn without replacement from :func:`all_pairs`, same pairs first. Raises when fewer
    such pairs exist than asked for.

    Examples
    --------
    >>> i, j, s = sample_pairs(torch.tensor([0, 0, 1, 1]), 2, 1, generator=torch.Generator().manual_seed(0))
    >>> s.tolist()
    [True, True, False]
    """
    i, j, same = all_pairs(labels)
    out = []
    for want, mask, what in ((n_same, same, "same"), (n_different, ~same, "different")):
        have = int(mask.sum())
        if isinstance(want, bool) or not isinstance(want, int) or not 0 <= want <= have:
            raise ValueError(f"n_{what} must be an int in [0, {have}] (the {what}-person pairs available), got {want!r}")
        pos = mask.nonzero().flatten()
        out.append(pos[torch.randperm(have, generator=generator)[:want].to(pos.device)])
    k = torch.cat(out)
    return i[k], j[k], same[k]
