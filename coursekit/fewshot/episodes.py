"""N-way K-shot episodes: the unit of training and evaluation in meta-learning.

An episode picks ``n_way`` classes at random, then ``k_shot`` support examples and ``n_query``
query examples of each, with no example in both (Vinyals et al. 2016; Snell et al. 2017).
A learner sees the support set with its labels and must label the queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch

__all__ = ["Episode", "EpisodeSampler", "split_episode"]


@dataclass(frozen=True)
class Episode:
    """Indices of one episode into a labelled set.

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


def _check_count(value: int, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def _check_labels(labels: torch.Tensor) -> torch.Tensor:
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"labels must be a tensor of shape (N,), got {type(labels).__name__}")
    if labels.dim() != 1 or labels.numel() == 0:
        raise ValueError(f"labels must have shape (N,) with N >= 1, got {tuple(labels.shape)}")
    if labels.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise TypeError(f"labels must be an integer tensor, got {labels.dtype}")
    return labels.long().cpu()


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
    labels : Tensor of shape (N,), integer
    classes : Tensor of shape (n_way,), integer
        Distinct labels, each with at least ``k_shot + n_query`` examples.
    k_shot, n_query : int
    order : Tensor of shape (N,), int64
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
    labels = _check_labels(labels)
    _check_count(k_shot, "k_shot", 1)
    _check_count(n_query, "n_query", 0)
    if not isinstance(order, torch.Tensor) or order.shape != labels.shape:
        raise ValueError(f"order must be a permutation tensor of shape {tuple(labels.shape)}, got {getattr(order, 'shape', type(order).__name__)}")
    classes = torch.as_tensor(classes).long().cpu().flatten()
    if classes.unique().numel() != classes.numel():
        raise ValueError(f"classes must be distinct, got {classes.tolist()}")
    counts = torch.bincount(labels, minlength=int(classes.max()) + 1)[classes]
    if (counts < k_shot + n_query).any():
        j = int((counts < k_shot + n_query).nonzero()[0])
        raise ValueError(
            f"class {int(classes[j])} has {int(counts[j])} examples, fewer than "
            f"k_shot + n_query = {k_shot + n_query}"
        )
    return _split_episode(labels, classes, k_shot, n_query, order.long().cpu())


def _split_episode(labels, classes, k_shot, n_query, order):
    ordered = labels[order]  # (N,) labels in the order we walk them
    rows = [order[ordered == c][: k_shot + n_query] for c in classes.tolist()]
    taken = torch.stack(rows)  # (n_way, k_shot + n_query)
    return taken[:, :k_shot], taken[:, k_shot:]


class EpisodeSampler:
    """Iterable of ``n_episodes`` random N-way K-shot episodes over a labelled set.

    Parameters
    ----------
    labels : Tensor of shape (N,), integer
        The class of each example.
    n_way : int
        Classes per episode (>= 2).
    k_shot : int
        Support examples per class (>= 1).
    n_query : int
        Query examples per class (>= 0).
    n_episodes : int
        Episodes per pass (``len(sampler)``).
    generator : torch.Generator, optional
        Source of randomness; ``seed`` makes one. Iterating twice continues the stream, so two
        passes differ; build a new sampler with the same seed to repeat a pass.
    seed : int, optional

    Raises
    ------
    ValueError
        When fewer than ``n_way`` classes have ``k_shot + n_query`` examples.

    Examples
    --------
    >>> sampler = EpisodeSampler(torch.arange(10).repeat(3), n_way=5, k_shot=1, n_query=2, n_episodes=4, seed=0)
    >>> [tuple(e.support.shape) + tuple(e.query.shape) for e in sampler][0]
    (5, 1, 5, 2)
    """

    def __init__(
        self, labels: torch.Tensor, *, n_way: int, k_shot: int, n_query: int, n_episodes: int,
        generator: torch.Generator | None = None, seed: int | None = None,
    ) -> None:
        self.labels = _check_labels(labels)
        self.n_way = _check_count(n_way, "n_way", 2)
        self.k_shot = _check_count(k_shot, "k_shot", 1)
        self.n_query = _check_count(n_query, "n_query", 0)
        self.n_episodes = _check_count(n_episodes, "n_episodes", 1)
        if generator is not None and seed is not None:
            raise ValueError("give generator or seed, not both")
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        self.generator = generator if generator is not None else torch.Generator().manual_seed(
            0 if seed is None else seed
        )
        counts = torch.bincount(self.labels)
        need = k_shot + n_query
        self.eligible = (counts >= need).nonzero().flatten()  # classes that can fill an episode
        if len(self.eligible) < n_way:
            raise ValueError(
                f"n_way={n_way} needs {n_way} classes with at least k_shot + n_query = {need} "
                f"examples each, but labels has only {len(self.eligible)} such classes "
                f"(of {int((counts > 0).sum())} classes; the smallest has {int(counts[counts > 0].min())} examples)"
            )

    def __len__(self) -> int:
        return self.n_episodes

    def sample(self) -> Episode:
        """Draw one episode."""
        pick = torch.randperm(len(self.eligible), generator=self.generator)[: self.n_way]
        classes = self.eligible[pick]
        order = torch.randperm(len(self.labels), generator=self.generator)
        support, query = _split_episode(self.labels, classes, self.k_shot, self.n_query, order)
        return Episode(classes, support, query)

    def __iter__(self) -> Iterator[Episode]:
        for _ in range(self.n_episodes):
            yield self.sample()
