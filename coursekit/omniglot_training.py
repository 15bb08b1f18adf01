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
than float32 in the default layout; batch norm and the loss stay float32. The budget is steps,
wall seconds and/or process CPU seconds, whichever ends first, so a run on a busy machine is
still bounded and reports what it did. Weights are cached as safetensors in ``config.cache_dir()``.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import torch
from safetensors.torch import load_file, save_file

from . import config
from .fewshot.classifiers import prototypical_loss
from .glyph_augment import glyph_tensor, random_affine
from .models.protonet import Conv4
from .sampling import EpisodeSampler
from .train import History, fit

__all__ = ["TrainingBudget", "GlyphEpisodes", "train_protonet", "omniglot_encoder", "autocast_dtype"]


@dataclass(frozen=True)
class TrainingBudget:
    """When to stop: after ``max_steps`` steps, ``max_seconds`` wall seconds or ``max_cpu_seconds``
    of this process's CPU time (all threads), whichever comes first. ``None`` means no limit."""

    max_steps: int | None = None
    max_seconds: float | None = None
    max_cpu_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.max_steps is None and self.max_seconds is None and self.max_cpu_seconds is None:
            raise ValueError("a TrainingBudget needs max_steps, max_seconds or max_cpu_seconds")
        for name in ("max_steps", "max_seconds", "max_cpu_seconds"):
            v = getattr(self, name)
            if v is not None and not v > 0:
                raise ValueError(f"{name} must be > 0 or None, got {v}")


class GlyphEpisodes:
    """Iterable of augmented training episodes ``(support, query)`` from a labelled glyph set.

    With ``rotations=True`` the set has ``4 · n_classes`` classes: class ``c + r · n_classes`` is
    class ``c`` turned by ``90° · r``. Each episode is an ``EpisodeSampler`` draw, each image
    warped by ``random_affine``. With ``groups`` (the alphabet of each class) a fraction
    ``within_group`` of the episodes takes its classes from one group in one rotation (all of
    them when the group has fewer than ``n_way``: such episodes have fewer ways). Iteration
    stops when ``budget`` runs out (or ``max_episodes``).
    Yields support (n_way, k_shot, 1, S, S) and query (n_way, n_query, 1, S, S).
    """

    def __init__(
        self, images: torch.Tensor, labels: torch.Tensor, *, n_way: int, k_shot: int, n_query: int,
        budget: TrainingBudget, rotations: bool = True, strength: float = 1.0, seed: int = 0,
        groups: torch.Tensor | None = None, within_group: float = 0.0,
    ) -> None:
        if images.dim() != 4 or images.shape[0] != labels.shape[0]:
            raise ValueError(f"images (N, 1, S, S) and labels (N,) must agree, got {tuple(images.shape)} and {tuple(labels.shape)}")
        if not 0.0 <= within_group <= 1.0:
            raise ValueError(f"within_group must be a fraction in [0, 1], got {within_group}")
        self.images, self.strength, self.budget, self.within_group = images, strength, budget, within_group
        n_classes = int(labels.max()) + 1
        self.turns = 4 if rotations else 1
        virtual = torch.cat([labels + r * n_classes for r in range(self.turns)])
        self.generator = torch.Generator().manual_seed(seed)
        self.sampler = EpisodeSampler(
            virtual, n_way=n_way, k_shot=k_shot, n_query=n_query,
            n_episodes=budget.max_steps or 10**9, generator=self.generator,
        )
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

    def __len__(self) -> int:
        return len(self.sampler)

    def _episode(self):
        if self.group_samplers and torch.rand((), generator=self.generator) < self.within_group:
            pos, sampler = self.group_samplers[int(torch.randint(len(self.group_samplers), (), generator=self.generator))]
            ep = sampler.sample()
            return pos[ep.support], pos[ep.query]
        ep = self.sampler.sample()
        return ep.support, ep.query

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        b = self.budget
        for _ in range(len(self)):
            if (b.max_seconds is not None and time.perf_counter() - wall0 >= b.max_seconds) or (
                b.max_cpu_seconds is not None and time.process_time() - cpu0 >= b.max_cpu_seconds
            ):
                return
            support, query = self._episode()
            idx = torch.cat([support, query], 1)  # (n_way, k + q) virtual positions
            n = self.images.shape[0]
            x = random_affine(self.images[idx.flatten() % n], self.generator,
                              quarter_turns=idx.flatten() // n, strength=self.strength)
            x = x.view(*idx.shape, *x.shape[1:])
            k = support.shape[1]
            yield x[:, :k], x[:, k:]


class _CosineByProgress:
    """Sets ``lr · ½(1 + cos(π p))`` where p is the spent fraction of the budget (steps, wall, CPU)."""

    def __init__(self, optimizer: torch.optim.Optimizer, lr: float, budget: TrainingBudget) -> None:
        self.optimizer, self.lr, self.budget = optimizer, lr, budget
        self.steps, self.wall0, self.cpu0 = 0, time.perf_counter(), time.process_time()

    def step(self) -> None:
        self.steps += 1
        b, fracs = self.budget, [0.0]
        if b.max_steps:
            fracs.append(self.steps / b.max_steps)
        if b.max_seconds:
            fracs.append((time.perf_counter() - self.wall0) / b.max_seconds)
        if b.max_cpu_seconds:
            fracs.append((time.process_time() - self.cpu0) / b.max_cpu_seconds)
        p = min(max(fracs), 1.0)
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr * 0.5 * (1 + math.cos(math.pi * p))


def autocast_dtype(device: torch.device | str, precision: Literal["auto", "float32", "bfloat16"] = "auto") -> torch.dtype | None:
    """The autocast dtype training uses on ``device``: ``torch.bfloat16`` or ``None`` (float32).

    ``"auto"`` picks bfloat16 on CUDA devices that support it and on CPUs for which PyTorch's
    oneDNN reports bfloat16 kernels (AVX-512 x86 CPUs, recent ARM), else float32. ``"bfloat16"``
    forces it, ``"float32"`` turns it off (use it if bfloat16 turns out slower on your CPU).

    Examples
    --------
    >>> autocast_dtype("cpu", "float32") is None
    True
    """
    if precision not in ("auto", "float32", "bfloat16"):
        raise ValueError(f"precision must be 'auto', 'float32' or 'bfloat16', got {precision!r}")
    device = torch.device(device)
    if precision == "float32":
        return None
    if precision == "bfloat16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    try:  # private but stable since torch 1.12; absent on some builds
        native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        native = False
    return torch.bfloat16 if device.type == "cpu" and native else None


def _make_episode_step(device_type: str, dtype: torch.dtype | None):
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
    precision: Literal["auto", "float32", "bfloat16"] = "auto", seed: int = 0, progress: bool = True,
    eval_fn=None, eval_every: int | None = None,
) -> History:
    """Train ``encoder`` in place on episodes of (``images``, ``labels``) with the prototypical loss.

    Parameters
    ----------
    encoder : nn.Module
        ``(B, 1, S, S) -> (B, D)``, e.g. ``Conv4()``; trained on the device it is on.
    images : Tensor of shape (N, 1, S, S), float in [0, 1]
    labels : Tensor of shape (N,), int64
    budget : TrainingBudget
    n_way, k_shot, n_query : int
        Training episodes (Snell et al. train with more ways than they test with).
    groups : Tensor of shape (n_classes,), int64, optional
        The group (alphabet) of each class, for ``within_group``.
    within_group : float
        Fraction of episodes drawn within one group (see ``GlyphEpisodes``).
    precision : {"auto", "float32", "bfloat16"}
        Autocast dtype, see ``autocast_dtype``. The encoder is trained in the channels-last
        layout and handed back in the default one.

    Returns
    -------
    History
        Per-step loss and episode accuracy, ``seconds``; ``history.metrics["cpu_seconds"]`` holds
        one number, this run's process CPU time.
    """
    if not isinstance(budget, TrainingBudget):
        raise TypeError(f"budget must be a TrainingBudget, got {type(budget).__name__}")
    episodes = GlyphEpisodes(images, labels, n_way=n_way, k_shot=k_shot, n_query=n_query, budget=budget,
                             rotations=rotations, strength=strength, seed=seed, groups=groups,
                             within_group=within_group)
    device = next(encoder.parameters()).device
    step = _make_episode_step(device.type, autocast_dtype(device, precision))
    encoder.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(encoder.parameters(), lr=lr)
    cpu0 = time.process_time()
    try:
        hist = fit(encoder, episodes, step, optimizer, max_steps=budget.max_steps,
                   max_seconds=budget.max_seconds, scheduler=_CosineByProgress(optimizer, lr, budget),
                   eval_fn=eval_fn, eval_every=eval_every, progress=progress, desc="protonet")
    finally:
        encoder.to(memory_format=torch.contiguous_format)
    hist.metrics["cpu_seconds"] = [time.process_time() - cpu0]
    encoder.eval()
    return hist


def _cache_path(settings: dict) -> str:
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return str(config.cache_dir() / "omniglot" / f"protonet_conv4_{key}.safetensors")


def omniglot_encoder(
    budget: TrainingBudget, *, size: int = 28, hidden: int = 64, n_way: int = 40, k_shot: int = 1,
    n_query: int = 5, lr: float = 1e-3, within_group: float = 0.5,
    precision: Literal["auto", "float32", "bfloat16"] = "auto", seed: int = 0,
    backgrounds: tuple[str, ...] = ("small1", "small2"), cache: bool = True, data_home=None,
    progress: bool = True, n_glyph_classes: int = 300, device: torch.device | str | None = None,
) -> tuple[Conv4, dict]:
    """A ``Conv4`` trained on the Omniglot background sets, loaded from the cache when it is there.

    The cache file (safetensors in ``config.cache_dir()/omniglot``) is keyed by every setting
    and the budget, so a different recipe never loads someone else's weights. With no Omniglot
    on disk or online, trains on ``coursekit.data.glyphs`` generated characters and says so in
    ``info["data"]`` (``n_glyph_classes`` generated characters of 20 drawings each; they have no
    alphabets, so every episode mixes classes freely). Training runs on ``device`` (default
    ``config.device()``: CUDA when present); see ``train_protonet`` for the other settings.

    Returns
    -------
    encoder : Conv4, in eval mode, on the CPU
    info : dict
        ``data``, ``from_cache``, ``path``, ``steps``, ``seconds`` (wall), ``cpu_seconds``,
        ``history`` (None when loaded from the cache).
    """
    from .data import DataNotFoundError, load_omniglot
    from .data.glyphs import make_glyphs

    if not isinstance(budget, TrainingBudget):
        raise TypeError(f"budget must be a TrainingBudget, got {type(budget).__name__}")
    try:
        sets = [load_omniglot(data_home, background=b, size=size) for b in backgrounds]
        images = torch.cat([glyph_tensor(s.images, size) for s in sets])
        offsets = torch.tensor([0] + [len(s.classes) for s in sets]).cumsum(0)
        labels = torch.cat([s.labels + offsets[i] for i, s in enumerate(sets)])
        alphabets = [c.split("/")[0] for s in sets for c in s.classes]
        groups = torch.tensor([sorted(set(alphabets)).index(a) for a in alphabets])
        data = f"Omniglot {' + '.join(backgrounds)}: {int(labels.max()) + 1} characters, {len(labels)} drawings"
    except DataNotFoundError:
        glyphs = make_glyphs(n_glyph_classes, 20, size=size, seed=seed)
        images, labels, groups = glyph_tensor(glyphs.images, size), glyphs.labels, None
        within_group = 0.0
        data = f"generated glyphs (no Omniglot found): {len(glyphs.classes)} classes, {len(labels)} drawings"
    device = config.device() if device is None else torch.device(device)
    dtype = autocast_dtype(device, precision)
    settings = dict(asdict(budget), size=size, hidden=hidden, n_way=n_way, k_shot=k_shot, n_query=n_query,
                    lr=lr, within_group=within_group, precision=str(dtype or torch.float32), seed=seed, data=data)
    path = _cache_path(settings)
    with torch.random.fork_rng(devices=[]):  # seeded init without touching the caller's RNG
        torch.manual_seed(seed)
        encoder = Conv4(1, hidden)
    if cache and Path(path).is_file():
        encoder.load_state_dict(load_file(path))
        meta = json.loads(_read_metadata(path))
        return encoder.eval(), dict(meta, from_cache=True, path=path, history=None)
    hist = train_protonet(encoder.to(device), images, labels, budget, n_way=n_way, k_shot=k_shot,
                          n_query=n_query, lr=lr, groups=groups, within_group=within_group,
                          precision=precision, seed=seed, progress=progress)
    encoder.cpu()
    meta = dict(data=data, steps=hist.step[-1], seconds=round(hist.seconds, 1),
                cpu_seconds=round(hist.metrics["cpu_seconds"][0], 1), settings=settings)
    if cache:
        config.cache_dir().joinpath("omniglot").mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in encoder.state_dict().items()}, path,
                  metadata={"info": json.dumps(meta)})
    return encoder.eval(), dict(meta, from_cache=False, path=path, history=hist)


def _read_metadata(path: str) -> str:
    from safetensors import safe_open

    with safe_open(path, framework="pt") as f:
        return (f.metadata() or {}).get("info", "{}")
