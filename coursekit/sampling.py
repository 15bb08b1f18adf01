"""Index sampling for metric learning: P×K batches, N-way K-shot episodes, and pairs.

Every random function here follows the one RNG convention of coursekit: it takes
``generator: torch.Generator | None = None``, and None means torch's default generator,
exactly as ``torch.randperm`` does (``config.seed_everything`` seeds it; pass
``torch.Generator().manual_seed(s)`` for a stream of your own).

- :class:`PKSampler`: P identities × K images in every batch, so that online triplet mining
  (batch-all, batch-hard) finds positives and negatives inside each batch (Hermans, Beyer &
  Leibe 2017, "In Defense of the Triplet Loss for Person Re-Identification").
- :class:`EpisodeSampler`, :func:`split_episode`: ``n_way`` classes, ``k_shot`` support and
  ``n_query`` query examples of each, disjoint (Vinyals et al. 2016; Snell et al. 2017).
- :func:`identity_split`, :func:`all_pairs`, :func:`sample_pairs`: same/different pairs for
  verification, and a split that keeps people apart (nobody in both train and test).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

from .validation import check_generator, check_int, check_labels

__all__ = [
    "PKSampler",
    "Episode",
    "EpisodeSampler",
    "split_episode",
    "identity_split",
    "all_pairs",
    "sample_pairs",
]


# ----------------------------------------------------------------------------- P x K batches
class PKSampler:
    """Yield batches of dataset indices, P identities × K images each.

    Works as a ``batch_sampler`` for ``torch.utils.data.DataLoader``, or directly: each item
    is a list of ``P * K`` indices, grouped by identity (K consecutive indices share a label).
    Every anchor then has K − 1 positives and (P − 1)·K negatives in its batch.

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
    n_batches : int >= 1, optional
        Batches per pass (``len(sampler)``); default ``N // (p * k)``, i.e. about one epoch.
    generator : torch.Generator, optional
        The source of randomness; iterating twice continues its stream. None: torch's default
        generator.

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
        check_labels(labels)
        p = check_int(p, "p", minimum=2)
        k = check_int(k, "k", minimum=2)
        if n_batches is not None:
            n_batches = check_int(n_batches, "n_batches", minimum=1)
        self.generator = check_generator(generator)
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


# ----------------------------------------------------------------------------- episodes
@dataclass(frozen=True)
class Episode:
    """Indices of one N-way K-shot episode into a labelled set.

    Attributes
    ----------
    classes : Tensor of shape (n_way,), int64
        The dataset labels of the episode's classes; episode label ``j`` means ``classes[j]``.
    support : Tensor of shape (n_way, k_shot), int64
        ``support[j]`` are positions (into the labelled set) of class ``classes[j]``.
    query : Tensor of shape (n_way, n_query), int64
        Positions of further examples of each class, disjoint from ``support``.
    """

    classes: torch.Tensor
    support: torch.Tensor
    query: torch.Tensor

    @property
    def query_labels(self) -> torch.Tensor:
        """Episode labels ``0..n_way-1`` of ``query.flatten()``, shape (n_way * n_query,)."""
        n_way, n_query = self.query.shape
        return torch.arange(n_way).repeat_interleave(n_query)


def _episode_labels(labels) -> torch.Tensor:
    check_labels(labels)
    labels = labels.detach().cpu().long()
    if bool((labels < 0).any()):
        raise ValueError(f"labels must be class ids >= 0, got minimum {int(labels.min())}")
    return labels


def split_episode(
    labels: torch.Tensor, classes: torch.Tensor, k_shot: int, n_query: int, order: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Split the examples of ``classes`` into support and query positions, following ``order``.

    For each class ``c = classes[j]``, walk the positions ``order`` and keep those with
    ``labels[p] == c``: the first ``k_shot`` are its support, the next ``n_query`` its queries.
    With ``order`` a random permutation this is a uniform draw without replacement, so support
    and query never share an example.

    Parameters
    ----------
    labels : Tensor of shape (N,), integer, values >= 0
    classes : Tensor of shape (n_way,), integer
        Distinct labels, each with at least ``k_shot + n_query`` examples.
    k_shot : int >= 1
    n_query : int >= 0
    order : Tensor of shape (N,), integer
        A permutation of ``range(N)``.

    Returns
    -------
    support : Tensor of shape (n_way, k_shot), int64
    query : Tensor of shape (n_way, n_query), int64

    Examples
    --------
    >>> split_episode(torch.tensor([0, 1, 0, 1]), torch.tensor([1]), 1, 1, torch.arange(4))
    (tensor([[1]]), tensor([[3]]))
    """
    labels = _episode_labels(labels)
    check_labels(classes, "classes")
    k_shot = check_int(k_shot, "k_shot", minimum=1)
    n_query = check_int(n_query, "n_query", minimum=0)
    check_labels(order, "order", n=len(labels))
    order = order.detach().cpu().long()
    if not torch.equal(order.sort().values, torch.arange(len(labels))):
        raise ValueError(f"order must be a permutation of range({len(labels)}), got {order.tolist()[:10]}...")
    classes = classes.detach().cpu().long()
    if classes.unique().numel() != classes.numel():
        raise ValueError(f"classes must be distinct, got {classes.tolist()}")
    counts = torch.bincount(labels, minlength=int(classes.max().clamp_min(0)) + 1)
    have = torch.where(classes >= 0, counts[classes.clamp_min(0)], torch.zeros_like(classes))
    if (have < k_shot + n_query).any():
        j = int((have < k_shot + n_query).nonzero()[0])
        raise ValueError(
            f"class {int(classes[j])} has {int(have[j])} examples, fewer than k_shot + n_query = {k_shot + n_query}"
        )
    return _split(labels, classes, k_shot, n_query, order)


def _split(labels, classes, k_shot, n_query, order):
    ordered = labels[order]  # (N,) labels in the order we walk them
    rows = [order[ordered == c][: k_shot + n_query] for c in classes.tolist()]
    taken = torch.stack(rows)  # (n_way, k_shot + n_query)
    return taken[:, :k_shot], taken[:, k_shot:]


class EpisodeSampler:
    """Iterable of ``n_episodes`` random N-way K-shot episodes over a labelled set.

    Parameters
    ----------
    labels : Tensor of shape (N,), integer, values >= 0
        The class of each example.
    n_way : int >= 2
        Classes per episode.
    k_shot : int >= 1
        Support examples per class.
    n_query : int >= 0
        Query examples per class.
    n_episodes : int >= 1
        Episodes per pass (``len(sampler)``).
    generator : torch.Generator, optional
        Source of randomness; iterating twice continues the stream, so two passes differ.
        Build a new sampler with a freshly seeded generator to repeat a pass. None: torch's
        default generator.

    Raises
    ------
    ValueError
        When fewer than ``n_way`` classes have ``k_shot + n_query`` examples.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> sampler = EpisodeSampler(torch.arange(10).repeat(3), n_way=5, k_shot=1, n_query=2, n_episodes=4, generator=g)
    >>> [tuple(e.support.shape) + tuple(e.query.shape) for e in sampler][0]
    (5, 1, 5, 2)
    """

    def __init__(
        self, labels: torch.Tensor, *, n_way: int, k_shot: int, n_query: int, n_episodes: int,
        generator: torch.Generator | None = None,
    ) -> None:
        self.labels = _episode_labels(labels)
        self.n_way = check_int(n_way, "n_way", minimum=2)
        self.k_shot = check_int(k_shot, "k_shot", minimum=1)
        self.n_query = check_int(n_query, "n_query", minimum=0)
        self.n_episodes = check_int(n_episodes, "n_episodes", minimum=1)
        self.generator = check_generator(generator)
        counts = torch.bincount(self.labels)
        need = self.k_shot + self.n_query
        self.eligible = (counts >= need).nonzero().flatten()  # classes that can fill an episode
        if len(self.eligible) < self.n_way:
            raise ValueError(
                f"n_way={n_way} needs {n_way} classes with at least k_shot + n_query = {need} "
                f"examples each, but labels has only {len(self.eligible)} such classes "
                f"(of {int((counts > 0).sum())} classes; the smallest has {int(counts[counts > 0].min())} examples)"
            )

    def __len__(self) -> int:
        return self.n_episodes

    def sample(self) -> Episode:
        """Draw one episode.

        Returns
        -------
        Episode
            ``classes`` (n_way,), ``support`` (n_way, k_shot), ``query`` (n_way, n_query).
        """
        pick = torch.randperm(len(self.eligible), generator=self.generator)[: self.n_way]
        classes = self.eligible[pick]
        order = torch.randperm(len(self.labels), generator=self.generator)
        support, query = _split(self.labels, classes, self.k_shot, self.n_query, order)
        return Episode(classes, support, query)

    def __iter__(self) -> Iterator[Episode]:
        for _ in range(self.n_episodes):
            yield self.sample()


# ----------------------------------------------------------------------------- pairs
def identity_split(
    labels: torch.Tensor, n_test_people: int, *, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Split image indices so that ``n_test_people`` randomly chosen people are only in the test part.

    Parameters
    ----------
    labels : Tensor of shape (N,), integer
        The person of each image.
    n_test_people : int
        In [1, number of people − 1].
    generator : torch.Generator, optional
        Chooses the test people (seed it for a reproducible split). None: torch's default generator.

    Returns
    -------
    train_index : Tensor of shape (N_train,), int64
    test_index : Tensor of shape (N_test,), int64
        Positions into ``labels``, ascending; no person appears in both.

    Examples
    --------
    >>> tr, te = identity_split(torch.tensor([0, 0, 1, 1, 2, 2]), 1, generator=torch.Generator().manual_seed(0))
    >>> len(tr), len(te)
    (4, 2)
    """
    check_labels(labels, min_len=2)
    generator = check_generator(generator)
    people = torch.unique(labels)
    if len(people) < 2:
        raise ValueError(f"labels must contain at least 2 people to split, got {len(people)}")
    n_test_people = check_int(n_test_people, "n_test_people", minimum=1, maximum=len(people) - 1)
    chosen = people[torch.randperm(len(people), generator=generator)[:n_test_people].to(people.device)]
    is_test = torch.isin(labels, chosen)
    return (~is_test).nonzero().flatten(), is_test.nonzero().flatten()


def all_pairs(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every unordered pair (i < j) of a labelled set.

    Parameters
    ----------
    labels : Tensor of shape (N,), integer, N >= 2

    Returns
    -------
    i : Tensor of shape (N(N−1)/2,), int64
    j : Tensor of shape (N(N−1)/2,), int64
    is_same : Tensor of shape (N(N−1)/2,), bool
        ``labels[i] == labels[j]``.

    Examples
    --------
    >>> [t.tolist() for t in all_pairs(torch.tensor([7, 7, 8]))]
    [[0, 0, 1], [1, 2, 2], [True, False, False]]
    """
    check_labels(labels, min_len=2)
    i, j = torch.triu_indices(len(labels), len(labels), offset=1, device=labels.device)
    return i, j, labels[i] == labels[j]


def sample_pairs(
    labels: torch.Tensor, n_same: int, n_different: int, *, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Distinct random pairs (i < j): ``n_same`` of one person, ``n_different`` of two people.

    Drawn without replacement from :func:`all_pairs`, same pairs first. Raises when fewer
    such pairs exist than asked for.

    Parameters
    ----------
    labels : Tensor of shape (N,), integer, N >= 2
    n_same : int >= 0
    n_different : int >= 0
    generator : torch.Generator, optional
        None: torch's default generator.

    Returns
    -------
    i : Tensor of shape (n_same + n_different,), int64
    j : Tensor of shape (n_same + n_different,), int64
    is_same : Tensor of shape (n_same + n_different,), bool

    Examples
    --------
    >>> i, j, s = sample_pairs(torch.tensor([0, 0, 1, 1]), 2, 1, generator=torch.Generator().manual_seed(0))
    >>> s.tolist()
    [True, True, False]
    """
    generator = check_generator(generator)
    i, j, same = all_pairs(labels)
    out = []
    for want, mask, what in ((n_same, same, "same"), (n_different, ~same, "different")):
        have = int(mask.sum())
        want = check_int(want, f"n_{what}", minimum=0)
        if want > have:
            raise ValueError(f"n_{what} must be an int in [0, {have}] (the {what}-person pairs available), got {want}")
        pos = mask.nonzero().flatten()
        out.append(pos[torch.randperm(have, generator=generator)[:want].to(pos.device)])
    k = torch.cat(out)
    return i[k], j[k], same[k]
