"""Evaluating a similarity: accuracy over random episodes (one N-way K-shot or a grid), Lake et al.'s 20 one-shot runs."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from scipy import stats

from ..sampling import EpisodeSampler
from ..validation import (
    check_choice,
    check_generator,
    check_int,
    check_labels,
    check_tensor,
    describe,
)
from .classifiers import Distance, nearest_neighbour_classify, prototype_classify

__all__ = [
    "EpisodeAccuracy", "OneShotResult", "evaluate_episodes", "evaluate_way_shot", "evaluate_one_shot_runs", "mean_ci95",
]

Embed = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class EpisodeAccuracy:
    """Mean accuracy over episodes with the half-width of its 95% confidence interval.

    Attributes
    ----------
    mean : float
        Mean fraction of queries labelled correctly, in [0, 1].
    ci95 : float
        Half-width of the Student-t 95% confidence interval of ``mean``.
    per_episode : Tensor of shape (n_episodes,)
        Each episode's accuracy.
    n_way, k_shot : int
    """

    mean: float
    ci95: float
    per_episode: torch.Tensor
    n_way: int
    k_shot: int

    def __str__(self) -> str:
        return f"{self.n_way}-way {self.k_shot}-shot: {100 * self.mean:.1f}% ± {100 * self.ci95:.1f}%"


@dataclass(frozen=True)
class OneShotResult:
    """Per-run and mean error (in percent) on the official one-shot runs, as Lake et al. report it.

    Attributes
    ----------
    names : list of str
        The runs' names.
    errors : Tensor of shape (n_runs,)
        Percent of each run's test items misclassified.
    mean_error : float
        Mean of ``errors``, percent.
    """

    names: list[str]
    errors: torch.Tensor  # (n_runs,) percent of the run's 20 test items misclassified
    mean_error: float  # mean of errors, percent

    @property
    def accuracy(self) -> float:
        """``1 − mean_error / 100``, the figure Koch et al. quote (e.g. 0.92)."""
        return 1.0 - self.mean_error / 100.0


def mean_ci95(values: torch.Tensor) -> tuple[float, float]:
    """Mean and half-width of the Student-t 95% confidence interval ``t_{0.975, n−1} · s / √n``.

    Parameters
    ----------
    values : Tensor of shape (n,), n >= 2, finite

    Returns
    -------
    mean : float
    half_width : float

    Examples
    --------
    >>> tuple(round(v, 3) for v in mean_ci95(torch.tensor([0.0, 1.0, 0.0, 1.0])))
    (0.5, 0.919)
    """
    check_tensor(values, "values", ndim=1, shape="(n,)", min_len=2)
    v = check_tensor(values.double(), "values", finite=True)
    n = v.numel()
    half = float(stats.t.ppf(0.975, n - 1)) * float(v.std(unbiased=True)) / math.sqrt(n)
    return float(v.mean()), half


def _embed_all(embed: Embed, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    return torch.cat([embed(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


@torch.no_grad()
def evaluate_episodes(
    embed: Embed, images: torch.Tensor, labels: torch.Tensor, *, n_way: int, k_shot: int,
    n_query: int = 5, n_episodes: int = 200, generator: torch.Generator | None = None,
    classifier: str = "prototype", batch_size: int = 512,
) -> EpisodeAccuracy:
    """Accuracy of a few-shot classifier over random N-way K-shot episodes, with a 95% CI.

    Every image is embedded once, ``z = embed(images)``; each episode then labels its
    ``n_way · n_query`` queries from its support embeddings and scores the fraction correct.

    Parameters
    ----------
    embed : callable
        ``embed(x (B, ...)) -> (B, D)``; the identity on flattened pixels gives a pixel baseline.
    images : Tensor of shape (N, ...)
    labels : Tensor of shape (N,), integer
    n_way, k_shot, n_query, n_episodes : int
        Passed to ``EpisodeSampler``; ``n_query >= 1`` and ``n_episodes >= 2`` (for a CI).
    generator : torch.Generator, optional
        Draws the episodes; None: torch's default generator.
    classifier : {"prototype", "nearest"}
        Nearest class mean (Snell et al.) or nearest single support example.
    batch_size : int >= 1
        Images embedded per call of ``embed``.

    Returns
    -------
    EpisodeAccuracy
        ``mean ± ci95`` over episodes (``mean_ci95``).

    Examples
    --------
    >>> x = torch.arange(6.0)[:, None].repeat(4, 1); y = torch.arange(6).repeat(4)
    >>> evaluate_episodes(lambda b: b, x, y, n_way=3, k_shot=1, n_episodes=5, n_query=2).mean
    1.0
    """
    if not callable(embed):
        raise TypeError(f"embed must be callable x -> (B, D), got {describe(embed)}")
    check_choice(classifier, "classifier", ("prototype", "nearest"))
    check_tensor(images, "images", ndim=range(2, 6), shape="(N, ...)")
    check_labels(labels, n=images.shape[0])
    n_episodes = check_int(n_episodes, "n_episodes", minimum=2)  # two at least, for a confidence interval
    n_query = check_int(n_query, "n_query", minimum=1)  # one at least, to score an episode
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    generator = check_generator(generator)
    sampler = EpisodeSampler(
        labels, n_way=n_way, k_shot=k_shot, n_query=n_query, n_episodes=n_episodes, generator=generator
    )
    z = _embed_all(embed, images, batch_size).flatten(1)
    accs = []
    for ep in sampler:
        sup, qry = z[ep.support.to(z.device)], z[ep.query.flatten().to(z.device)]
        target = ep.query_labels.to(z.device)
        if classifier == "prototype":
            pred = prototype_classify(sup, qry)
        else:
            sup_labels = torch.arange(n_way, device=z.device).repeat_interleave(k_shot)
            pred = nearest_neighbour_classify(sup.flatten(0, 1), sup_labels, qry)
        accs.append((pred == target).float().mean())
    per_episode = torch.stack(accs).cpu()
    mean, half = mean_ci95(per_episode)
    return EpisodeAccuracy(mean, half, per_episode, n_way, k_shot)


def _check_counts(values, name: str, minimum: int) -> tuple[int, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{name} must be a sequence of ints such as (5, 20), got {describe(values)}")
    out = tuple(check_int(v, f"{name}[{i}]", minimum=minimum) for i, v in enumerate(values))
    if not out or len(set(out)) != len(out):
        raise ValueError(f"{name} must hold at least one value and no repeats, got {list(out)}")
    return out


@torch.no_grad()
def evaluate_way_shot(
    embed: Embed, images: torch.Tensor, labels: torch.Tensor, *, ways: Sequence[int] = (5, 20),
    shots: Sequence[int] = (1, 5), n_query: int = 5, n_episodes: int = 200,
    generator: torch.Generator | None = None, classifier: str = "prototype", batch_size: int = 512,
) -> dict[tuple[int, int], EpisodeAccuracy]:
    """``evaluate_episodes`` for every (N, K) of a grid: how accuracy falls with N and rises with K.

    The images are embedded once; each cell ``(n_way, k_shot)`` is then exactly
    ``evaluate_episodes(embed, images, labels, n_way=n_way, k_shot=k_shot, ...)`` with a copy of
    ``generator`` as it is at the call. Every cell starts from that same state, so a cell's
    episodes do not depend on which other cells the grid holds, and
    ``generator=torch.Generator().manual_seed(s)`` gives each cell what
    ``evaluate_episodes(..., generator=torch.Generator().manual_seed(s))`` gives. Afterwards
    ``generator`` is advanced by one draw, so that a second call draws other episodes.

    Parameters
    ----------
    embed : callable
        ``embed(x (B, ...)) -> (B, D)``.
    images : Tensor of shape (N, ...)
    labels : Tensor of shape (N,), integer
    ways : sequence of int >= 2
        The N of the grid (classes per episode), no repeats.
    shots : sequence of int >= 1
        The K of the grid (support examples per class), no repeats.
    n_query, n_episodes : int
        Queries per class (>= 1) and episodes per cell (>= 2), as in ``evaluate_episodes``;
        every class used needs ``max(shots) + n_query`` examples.
    generator : torch.Generator, optional
        Its state at the call seeds every cell; None: torch's default generator.
    classifier : {"prototype", "nearest"}
    batch_size : int >= 1
        Images embedded per call of ``embed``.

    Returns
    -------
    dict of (n_way, k_shot) -> EpisodeAccuracy
        One entry per cell, ways in the outer and shots in the inner order.

    Examples
    --------
    >>> x = torch.arange(6.0)[:, None].repeat(4, 1); y = torch.arange(6).repeat(4)
    >>> sorted(evaluate_way_shot(lambda b: b, x, y, ways=(2, 3), shots=(1,), n_query=2, n_episodes=3))
    [(2, 1), (3, 1)]
    """
    if not callable(embed):
        raise TypeError(f"embed must be callable x -> (B, D), got {describe(embed)}")
    check_tensor(images, "images", ndim=range(2, 6), shape="(N, ...)")
    check_labels(labels, n=images.shape[0])
    ways, shots = _check_counts(ways, "ways", 2), _check_counts(shots, "shots", 1)
    n_query = check_int(n_query, "n_query", minimum=1)
    n_episodes = check_int(n_episodes, "n_episodes", minimum=2)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_choice(classifier, "classifier", ("prototype", "nearest"))
    generator = check_generator(generator)
    for n_way in ways:  # refuse an impossible cell before the (slow) embedding; drawing nothing
        EpisodeSampler(labels, n_way=n_way, k_shot=max(shots), n_query=n_query, n_episodes=n_episodes)
    source = generator if generator is not None else torch.default_generator
    state = source.get_state()
    z = _embed_all(embed, images, batch_size).flatten(1)
    results = {}
    for n_way in ways:
        for k_shot in shots:
            cell = torch.Generator(device=source.device)
            cell.set_state(state)
            results[(n_way, k_shot)] = evaluate_episodes(
                lambda b: b, z, labels, n_way=n_way, k_shot=k_shot, n_query=n_query, n_episodes=n_episodes,
                generator=cell, classifier=classifier, batch_size=len(z),
            )
    torch.randint(2, (1,), generator=source, device=source.device)  # advance: the next call draws anew
    return results


@torch.no_grad()
def evaluate_one_shot_runs(
    runs: Sequence, embed: Embed | None = None, *, distance: Distance | None = None,
) -> OneShotResult:
    """Error on Lake et al.'s (2015) one-shot runs, exactly as their ``classification_run`` scores it.

    In each run, test item ``i`` is compared with the 20 training images; its prediction is
    the training image of least cost ``d(embed(test_i), embed(training_c))`` (first on ties);
    the run's error is ``100 · #{i : prediction_i ≠ answer_i} / n_test`` percent, and the
    reported figure is the mean of the runs' errors.

    Parameters
    ----------
    runs : sequence of OneShotRun
        Each with ``training`` (20, ...), ``test`` (20, ...) and ``answer`` (20,) int64, as
        ``coursekit.data.load_omniglot_runs`` returns them. uint8 images are scaled to [0, 1].
    embed : callable, optional
        ``embed(x (20, C, H, W) float) -> (20, D)``; default: the pixels themselves.
    distance : callable, optional
        ``distance(a (M, D), b (S, D)) -> (M, S)``; default squared Euclidean.

    Returns
    -------
    OneShotResult
        ``errors`` per run and ``mean_error``, in percent; ``accuracy = 1 − mean_error/100``.

    Examples
    --------
    >>> from types import SimpleNamespace as Run
    >>> evaluate_one_shot_runs([Run(name="r", training=torch.eye(3), test=torch.eye(3)[[2, 0, 1]], answer=torch.tensor([2, 0, 1]))]).mean_error
    0.0
    """
    if not runs:
        raise ValueError("runs is empty: pass the list that load_omniglot_runs() returns")
    if embed is not None and not callable(embed):
        raise TypeError(f"embed must be callable x -> (B, D), got {describe(embed)}")
    if distance is not None and not callable(distance):
        raise TypeError(f"distance must be callable (a, b) -> (M, S), got {type(distance).__name__}")
    names, errors = [], []
    for k, run in enumerate(runs):
        if not all(hasattr(run, a) for a in ("training", "test", "answer")):
            raise TypeError(f"runs[{k}] must have .training, .test and .answer (a OneShotRun), got {type(run).__name__}")
        training, test, answer = _as_float(run.training), _as_float(run.test), run.answer
        if training.shape[1:] != test.shape[1:] or answer.shape != (test.shape[0],):
            raise ValueError(
                f"runs[{k}]: expected training (S, ...), test (M, ...) of the same image shape and answer (M,), "
                f"got {tuple(training.shape)}, {tuple(test.shape)}, {tuple(answer.shape)}"
            )
        if embed is not None:
            training, test = embed(training), embed(test)
        support_labels = torch.arange(len(training))
        pred = nearest_neighbour_classify(training, support_labels, test, distance)
        errors.append(100.0 * (pred.cpu() != answer.cpu()).double().mean())
        names.append(getattr(run, "name", f"run{k + 1:02d}"))
    errors_t = torch.stack(errors)
    return OneShotResult(names, errors_t, float(errors_t.mean()))


def _as_float(x: torch.Tensor) -> torch.Tensor:
    return x.float() / 255.0 if x.dtype == torch.uint8 else x
