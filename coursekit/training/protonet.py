"""Training a similarity on the Omniglot background sets: a prototypical network (Snell et al. 2017).

The recipe is the literature's: every character rotated by 90°, 180° and 270° becomes a new
class (Santoro et al. 2016; Vinyals et al. 2016; Snell et al. 2017), each drawing is jittered by a
small random affine map (rotation ±10°, scale, shear, shift — Koch et al. 2015 used the same
kinds of distortion), and training runs N-way K-shot episodes with the prototypical loss, the
learning rate following a cosine from ``lr`` down to 0 over the budget. One addition shapes the
training like the test: a fraction ``within_group`` of the episodes draws all its classes from
one alphabet (in one rotation), because Lake et al.'s one-shot runs are *within-alphabet* and
their distractors look alike.

Speed: the encoder runs in the channels-last memory layout under bfloat16 autocast where the
hardware does bfloat16 (``precision="auto"``), about 3x faster per episode on an AVX-512 CPU
than float32 in the default layout; the loss stays float32. On a CPU the number of threads is
chosen by timing episodes, and timed again as training goes on (``fit(threads="auto")``): on a machine shared
with other programs one thread does more episodes per second than two. A process setting
matters as much: :func:`coursekit.config.keep_freed_memory`, which notebook 01 calls before
training, ends the page faults of every episode (its docstring has the numbers); it is not
called from here because it changes the whole process. Weights are cached with
:mod:`coursekit.cache`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import asdict
from typing import Literal

import torch

from .. import cache, config
from ..augment import glyph_tensor, random_affine
from ..fewshot.classifiers import prototypical_loss
from ..models.protonet import Conv4
from ..sampling import EpisodeSampler
from ..validation import (
    check_choice,
    check_device,
    check_generator,
    check_int,
    check_labels,
    check_tensor,
    describe,
)
from .budget import CosineByBudget, TrainingBudget
from .loop import History, Run, fit

__all__ = ["GlyphEpisodes", "autocast_dtype", "train_protonet", "omniglot_encoder"]

Precision = Literal["auto", "float32", "bfloat16"]
_CACHE_FORMAT = 2  # bump when the network or the recipe changes meaning


class GlyphEpisodes:
    """Endless iterable of augmented training episodes ``(support, query)`` from a labelled glyph set.

    With ``rotations=True`` the set has ``4 · n_classes`` classes: class ``c + r · n_classes`` is
    class ``c`` turned by ``90° · r``. Each episode is an ``EpisodeSampler`` draw, each image
    warped by ``random_affine``. With ``groups`` (the alphabet of each class) a fraction
    ``within_group`` of the episodes takes its classes from one group in one rotation (all of
    them when the group has fewer than ``n_way``: such episodes have fewer ways). The training
    budget (of :func:`~coursekit.training.loop.fit`) decides when to stop.

    Parameters
    ----------
    images : Tensor of shape (N, 1, S, S), float in [0, 1]
    labels : Tensor of shape (N,), integer
    n_way, k_shot, n_query : int
    rotations : bool
    strength : float
        Of the affine warps (0: none).
    generator : torch.Generator, optional
        Draws the episodes and the warps; None uses torch's default generator.
    groups : Tensor of shape (n_classes,), integer, optional
        The group of each class, for ``within_group``.
    within_group : float in [0, 1]

    Yields
    ------
    support : Tensor of shape (n_way, k_shot, 1, S, S)
    query : Tensor of shape (n_way, n_query, 1, S, S)
    """

    def __init__(
        self, images: torch.Tensor, labels: torch.Tensor, *, n_way: int, k_shot: int, n_query: int,
        rotations: bool = True, strength: float = 1.0, generator: torch.Generator | None = None,
        groups: torch.Tensor | None = None, within_group: float = 0.0,
    ) -> None:
        check_tensor(images, "images", ndim=4, shape="(N, 1, S, S)", floating=True)
        check_labels(labels, n=images.shape[0])
        if not 0.0 <= within_group <= 1.0:
            raise ValueError(f"within_group must be a fraction in [0, 1], got {within_group}")
        self.images, self.strength, self.within_group = images, strength, within_group
        self.generator = check_generator(generator)
        labels = labels.long().cpu()
        n_classes = int(labels.max()) + 1
        self.turns = 4 if rotations else 1
        virtual = torch.cat([labels + r * n_classes for r in range(self.turns)])
        self.sampler = EpisodeSampler(virtual, n_way=n_way, k_shot=k_shot, n_query=n_query, n_episodes=1,
                                      generator=self.generator)
        self.group_samplers = [] if within_group == 0 else self._group_samplers(
            virtual, groups, n_classes, n_way=n_way, k_shot=k_shot, n_query=n_query)

    def _group_samplers(self, virtual, groups, n_classes, **episode) -> list[tuple[torch.Tensor, EpisodeSampler]]:
        """One (positions, sampler) per group and rotation with at least two usable classes."""
        if not isinstance(groups, torch.Tensor) or groups.shape != (n_classes,) or groups.is_floating_point():
            raise ValueError(f"within_group > 0 needs groups: an integer tensor of shape ({n_classes},) "
                             f"giving each class's group, got {getattr(groups, 'shape', groups)}")
        n_groups = int(groups.max()) + 1
        group_of = torch.cat([groups.long().cpu() + r * n_groups for r in range(self.turns)])[virtual]
        need, out = episode["k_shot"] + episode["n_query"], []
        for g in range(self.turns * n_groups):
            pos = (group_of == g).nonzero().flatten()
            usable = int((torch.bincount(virtual[pos]) >= need).sum()) if len(pos) else 0
            if usable >= 2:
                out.append((pos, EpisodeSampler(virtual[pos], n_episodes=1, generator=self.generator,
                                                **dict(episode, n_way=min(episode["n_way"], usable)))))
        if not out:
            raise ValueError(f"no group has two classes with k_shot + n_query = {need} examples")
        return out

    def episode_positions(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw one episode's virtual positions.

        A virtual position ``v`` is image ``v % N`` turned by ``90° · (v // N)``.

        Returns
        -------
        support : Tensor of shape (n_way, k_shot), int64
        query : Tensor of shape (n_way, n_query), int64
            Fewer ways (rows) in a within-group episode of a small group.
        """
        if self.group_samplers and torch.rand((), generator=self.generator) < self.within_group:
            pick = int(torch.randint(len(self.group_samplers), (), generator=self.generator))
            pos, sampler = self.group_samplers[pick]
            ep = sampler.sample()
            return pos[ep.support], pos[ep.query]
        ep = self.sampler.sample()
        return ep.support, ep.query

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = self.images.shape[0]
        while True:
            support, query = self.episode_positions()
            idx = torch.cat([support, query], 1)  # (n_way, k + q) virtual positions
            x = random_affine(self.images[idx.flatten() % n], self.generator,
                              quarter_turns=idx.flatten() // n, strength=self.strength)
            x = x.view(*idx.shape, *x.shape[1:])
            k = support.shape[1]
            yield x[:, :k], x[:, k:]


def autocast_dtype(device: torch.device | str, precision: Precision = "auto") -> torch.dtype | None:
    """The autocast dtype training uses on ``device``: ``torch.bfloat16`` or ``None`` (float32).

    ``"auto"`` picks bfloat16 where :func:`coursekit.config.has_fast_bfloat16` says the
    device computes it natively (CUDA with bfloat16, AVX-512 or ARM SVE CPUs with oneDNN),
    else float32. ``"bfloat16"`` forces it, ``"float32"`` turns it off
    (use it if bfloat16 turns out slower on your CPU).

    Parameters
    ----------
    device : torch.device or str
    precision : {"auto", "float32", "bfloat16"}

    Returns
    -------
    torch.dtype or None

    Examples
    --------
    >>> autocast_dtype("cpu", "float32") is None
    True
    """
    precision = check_choice(precision, "precision", ("auto", "float32", "bfloat16"))
    device = torch.device(device)
    if precision == "float32":
        return None
    if precision == "bfloat16":
        return torch.bfloat16
    return torch.bfloat16 if config.has_fast_bfloat16(device) else None


def _episode_step(device_type: str, dtype: torch.dtype | None):
    """``step_fn`` for :func:`fit`: embed support and query in one pass, prototypical loss."""
    def step(model: torch.nn.Module, batch: tuple[torch.Tensor, torch.Tensor]):
        support, query = batch
        n_way, k, *img = support.shape
        x = torch.cat([support.reshape(-1, *img), query.reshape(-1, *img)])
        x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device_type, dtype=dtype) if dtype is not None else nullcontext():
            z = model(x)
        z = z.float()
        loss, acc = prototypical_loss(z[: n_way * k].view(n_way, k, -1), z[n_way * k :].view(n_way, query.shape[1], -1))
        return loss, {"accuracy": acc}

    return step


def train_protonet(
    encoder: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, budget: TrainingBudget, *,
    n_way: int = 40, k_shot: int = 1, n_query: int = 5, lr: float = 1e-3, rotations: bool = True,
    strength: float = 1.0, groups: torch.Tensor | None = None, within_group: float = 0.0,
    precision: Precision = "auto", generator: torch.Generator | None = None,
    device: torch.device | str | None = None, progress: bool = True, eval_fn=None, eval_every: int | None = None,
    threads: str | None = "auto",
) -> Run:
    """Train ``encoder`` in place on episodes of (``images``, ``labels``) with the prototypical loss.

    Parameters
    ----------
    encoder : nn.Module
        ``(B, 1, S, S) -> (B, D)``, e.g. ``Conv4()``.
    images : Tensor of shape (N, 1, S, S), float in [0, 1]
    labels : Tensor of shape (N,), integer
    budget : TrainingBudget
        Steps and/or seconds; the learning rate follows a cosine over it.
    n_way, k_shot, n_query : int
        Training episodes (Snell et al. train with more ways than they test with).
    lr : float
    rotations, strength, groups, within_group
        See :class:`GlyphEpisodes`.
    precision : {"auto", "float32", "bfloat16"}
        Autocast dtype, see :func:`autocast_dtype`. The encoder is trained in the channels-last
        layout and handed back in the default one.
    generator : torch.Generator, optional
        Draws episodes and warps; None uses torch's default generator.
    device : optional
        Default ``config.device()``.
    progress : bool
    eval_fn, eval_every
        See :func:`~coursekit.training.loop.fit`.
    threads : {"auto", None}
        ``"auto"``: on a CPU, the thread count is chosen by timing episodes (see
        :class:`~coursekit.training.threads.ThreadTuner`); None keeps torch's setting.

    Returns
    -------
    Run
        ``model`` (the encoder, in eval mode, on ``device``), per-step loss and episode accuracy
        in ``history`` (wall and CPU seconds too), ``metrics["final_episode_accuracy"]``.
    """
    if not isinstance(encoder, torch.nn.Module):
        raise TypeError(f"encoder must be an nn.Module, got {describe(encoder)}")
    if not isinstance(budget, TrainingBudget):
        raise TypeError(f"budget must be a TrainingBudget, got {describe(budget)}")
    episodes = GlyphEpisodes(images, labels, n_way=n_way, k_shot=k_shot, n_query=n_query, rotations=rotations,
                             strength=strength, generator=generator, groups=groups, within_group=within_group)
    device = config.device() if device is None else check_device(device)
    step = _episode_step(device.type, autocast_dtype(device, precision))
    encoder.to(device=device, memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(encoder.parameters(), lr=lr)
    try:
        hist = fit(encoder, episodes, step, optimizer, budget=budget, device=device,
                   scheduler=CosineByBudget(optimizer, lr, budget), eval_fn=eval_fn, eval_every=eval_every,
                   progress=progress, desc="protonet", threads=threads)
    finally:
        encoder.to(memory_format=torch.contiguous_format)
    encoder.eval()
    return Run(encoder, hist, {"final_episode_accuracy": hist.metrics["accuracy"][-1]})


def _omniglot_data(data_home, backgrounds, size, n_glyph_classes, seed):
    """(images, labels, groups or None, description): Omniglot's background sets, else generated glyphs."""
    from ..data import DataNotFoundError, load_omniglot
    from ..data.glyphs import make_glyphs

    try:
        sets = [load_omniglot(data_home, background=b, size=size) for b in backgrounds]
    except DataNotFoundError:
        glyphs = make_glyphs(n_glyph_classes, 20, size=size, seed=seed)
        data = f"generated glyphs (no Omniglot found): {len(glyphs.classes)} classes, {len(glyphs.labels)} drawings"
        return glyph_tensor(glyphs.images, size), glyphs.labels, None, data
    images = torch.cat([glyph_tensor(s.images, size) for s in sets])
    offsets = torch.tensor([0] + [len(s.classes) for s in sets]).cumsum(0)
    labels = torch.cat([s.labels + offsets[i] for i, s in enumerate(sets)])
    alphabets = [c.split("/")[0] for s in sets for c in s.classes]
    groups = torch.tensor([sorted(set(alphabets)).index(a) for a in alphabets])
    data = f"Omniglot {' + '.join(backgrounds)}: {int(labels.max()) + 1} characters, {len(labels)} drawings"
    return images, labels, groups, data


def omniglot_encoder(
    budget: TrainingBudget, *, size: int = 28, hidden: int = 64, n_way: int = 40, k_shot: int = 1,
    n_query: int = 5, lr: float = 1e-3, within_group: float = 0.5, precision: Precision = "auto", seed: int = 0,
    backgrounds: tuple[str, ...] = ("small1", "small2"), cache_dir=None, use_cache: bool = True, data_home=None,
    progress: bool = True, n_glyph_classes: int = 300, device: torch.device | str | None = None,
) -> Run:
    """A ``Conv4`` trained on the Omniglot background sets, loaded from the cache when it is there.

    With no Omniglot on disk or online, trains on ``coursekit.data.glyphs`` generated characters
    and says so in ``info["data"]`` (``n_glyph_classes`` generated characters of 20 drawings each;
    they have no alphabets, so every episode mixes classes freely).

    Parameters
    ----------
    budget : TrainingBudget
    size, hidden : int
        Glyph side and the encoder's channels.
    n_way, k_shot, n_query, lr, within_group, precision
        See :func:`train_protonet`.
    seed : int
        Seeds a ``torch.Generator`` for the weights, episodes and warps. A cached result needs
        an explicit seed in its key, which a generator's state would not give.
    backgrounds : tuple of str
    cache_dir : path, optional
        Default ``config.cache_dir()``.
    use_cache : bool
        Load from and save to the cache (``coursekit.cache``, keyed by every setting above, the
        budget and the data); False always trains.
    data_home : path, optional
    progress : bool
    n_glyph_classes : int
    device : optional
        Where to train; default ``config.device()``.

    Returns
    -------
    Run
        ``model``: the encoder in eval mode on the CPU; ``history`` (stored with the cache);
        ``info``: ``data``, ``from_cache``, ``path``, ``settings``.
    """
    if not isinstance(budget, TrainingBudget):
        raise TypeError(f"budget must be a TrainingBudget, got {describe(budget)}")
    seed = check_int(seed, "seed", minimum=0)
    generator = torch.Generator().manual_seed(seed)
    images, labels, groups, data = _omniglot_data(data_home, backgrounds, size, n_glyph_classes, seed)
    if groups is None:
        within_group = 0.0
    device = config.device() if device is None else check_device(device)
    dtype = autocast_dtype(device, precision)
    settings = dict(asdict(budget), size=size, hidden=hidden, n_way=n_way, k_shot=k_shot, n_query=n_query,
                    lr=lr, within_group=within_group, precision=str(dtype or torch.float32), seed=seed, data=data,
                    format=_CACHE_FORMAT)
    path = cache.cache_path("omniglot", settings, cache_dir=cache_dir)

    def build():
        with torch.random.fork_rng(devices=[]):  # weights from `seed`, the caller's RNG untouched
            torch.manual_seed(seed)
            encoder = Conv4(1, hidden)
        run = train_protonet(encoder, images, labels, budget, n_way=n_way, k_shot=k_shot, n_query=n_query,
                             lr=lr, groups=groups, within_group=within_group, precision=precision,
                             generator=generator, device=device, progress=progress)
        return run.model.cpu().state_dict(), {"settings": settings, "history": run.history.as_dict()}

    if use_cache:
        state, meta, from_cache = cache.load_or_build(path, build)
    else:
        state, meta = build()
        from_cache = False
    encoder = Conv4(1, hidden)
    encoder.load_state_dict(state)
    history = History(**meta["history"])
    return Run(encoder.eval(), history, {}, {"data": data, "from_cache": from_cache, "path": str(path),
                                             "settings": settings})
