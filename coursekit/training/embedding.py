"""Train a face embedding with the triplet loss, and measure it on people it never saw.

One training step is the lesson of notebook 02::

    idx = next(pk_batches)                                     # P identities × K images
    embeddings = model(augment_faces(images[idx], generator))  # (P·K, D), unit vectors
    loss = batch_hard_triplet_loss(labels[idx], embeddings, margin)   # on squared distances
    optimizer.zero_grad(); loss.backward(); optimizer.step()

:func:`train_face_embedding` runs that step under :func:`~coursekit.training.loop.fit`;
:func:`load_or_train_face_embedding` caches the result, keyed by its explicit parameters
(a :class:`TripletRecipe`, the seed and the data). :mod:`.evaluation` measures the embedding.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Literal

import torch

from .. import config
from ..augment import augment_faces
from ..losses import batch_all_triplet_loss, batch_hard_triplet_loss
from ..models.face_embedding import FaceEmbeddingNet
from ..sampling import PKSampler
from ..validation import (
    check_bool,
    check_choice,
    check_device,
    check_float,
    check_generator,
    check_int,
    check_labels,
    check_tensor,
    describe,
)
from .budget import CosineByBudget, TrainingBudget
from .cached import cached_run
from .evaluation import as_float_images, embed, verification_auc
from .loop import History, Run, fit

__all__ = ["TripletRecipe", "train_face_embedding", "load_or_train_face_embedding"]

LossName = Literal["batch_all", "batch_hard"]
_CACHE_FORMAT = 2  # bump when the network or the training recipe changes meaning


def _check_images(images, labels, name: str = "images", label_name: str = "labels") -> None:
    check_tensor(images, name, ndim=4, shape="(N, C, H, W)", min_len=1)
    if images.dtype != torch.uint8 and not images.is_floating_point():
        raise TypeError(f"{name} must be uint8 (0..255) or float (0..1), got dtype {images.dtype}")
    check_labels(labels, label_name, n=images.shape[0])


def _check_training_set(images, labels, recipe, held_out) -> None:
    """The arguments shared by ``train_face_embedding`` and ``load_or_train_face_embedding``."""
    _check_images(images, labels)
    if not isinstance(recipe, TripletRecipe):
        raise TypeError(f"recipe must be a TripletRecipe, got {describe(recipe)}")
    if held_out is not None:
        _check_images(*held_out, name="held_out images", label_name="held_out labels")
        if held_out[0].shape[1:] != images.shape[1:]:
            raise ValueError(f"held_out images must have shape (M, {', '.join(map(str, images.shape[1:]))}), "
                             f"got {tuple(held_out[0].shape)}")


def _pk_batches(sampler: PKSampler, images: torch.Tensor, labels: torch.Tensor,
                endless: bool) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(images, labels) of each P×K index batch; forever when ``endless`` (a time budget)."""
    while True:
        for idx in sampler:
            idx = torch.tensor(idx)
            yield images[idx], labels[idx]
        if not endless:
            return


@dataclass(frozen=True)
class TripletRecipe:
    """How a face embedding is trained: every setting that changes the trained weights.

    Parameters
    ----------
    loss : {"batch_hard", "batch_all"}
        ``batch_hard_triplet_loss`` or ``batch_all_triplet_loss`` from ``coursekit.losses``.
    margin : float
        α. The default 0.2 is FaceNet's, on squared distances between unit vectors.
    squared : bool
        Compare squared Euclidean distances, as the lecture's
        ``L = max(‖f(A)−f(P)‖² − ‖f(A)−f(N)‖² + α, 0)`` (default), or Euclidean ones.
    budget : TrainingBudget
        Optimiser steps and/or seconds (Adam, learning rate ``lr`` decayed by a cosine over it).
    p, k : int
        Identities per batch and images per identity (``PKSampler``).
    embedding_dim, width : int
        Network size (see ``FaceEmbeddingNet``).
    lr : float
    augment : bool
        Apply ``coursekit.augment.augment_faces`` to every batch.
    eval_every : int, optional
        Steps between held-out evaluations (default a tenth of ``max_steps``, else 50).

    Examples
    --------
    >>> TripletRecipe(budget=TrainingBudget(max_steps=100)).margin
    0.2
    """

    loss: LossName = "batch_hard"
    margin: float = 0.2
    squared: bool = True
    budget: TrainingBudget = TrainingBudget(max_steps=500)
    p: int = 8
    k: int = 4
    embedding_dim: int = 64
    width: int = 32
    lr: float = 1e-3
    augment: bool = True
    eval_every: int | None = None

    def __post_init__(self) -> None:
        check_choice(self.loss, "loss", ("batch_all", "batch_hard"))
        object.__setattr__(self, "margin", check_float(self.margin, "margin", minimum=0.0))
        check_bool(self.squared, "squared")
        if not isinstance(self.budget, TrainingBudget):
            raise TypeError(f"budget must be a TrainingBudget, got {describe(self.budget)}")
        for name in ("p", "k", "embedding_dim", "width"):
            object.__setattr__(self, name, check_int(getattr(self, name), name, minimum=1))
        object.__setattr__(self, "lr", check_float(self.lr, "lr", minimum=0.0))
        check_bool(self.augment, "augment")
        if self.eval_every is not None:
            object.__setattr__(self, "eval_every", check_int(self.eval_every, "eval_every", minimum=1))


def train_face_embedding(
    images: torch.Tensor,
    labels: torch.Tensor,
    recipe: TripletRecipe = TripletRecipe(),  # noqa: B008 -- frozen, immutable
    *,
    held_out: tuple[torch.Tensor, torch.Tensor] | None = None,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> Run:
    """Train a ``FaceEmbeddingNet`` with an online-mined triplet loss on P×K batches.

    Parameters
    ----------
    images : Tensor of shape (N, C, H, W), uint8 (0..255) or float (0..1)
        Training faces; C decides the network's input channels.
    labels : Tensor of shape (N,), integer
        Identity of each image; ``recipe.p`` identities need ``recipe.k`` images or more.
    recipe : TripletRecipe
        The loss, margin, distances, budget, batch shape, network size, learning rate,
        augmentation and evaluation interval.
    held_out : (images, labels), optional
        People never trained on; their all-pairs verification ROC AUC is recorded before
        training (step 0) and every ``recipe.eval_every`` steps as
        ``history.eval_metrics["held_out_auc"]``.
    generator : torch.Generator, optional
        Draws the initial weights, the batches and the augmentation; None uses torch's
        default generator.
    device : optional
        Default ``config.device()`` (CUDA when present).
    progress : bool

    Returns
    -------
    Run
        ``model``: the FaceEmbeddingNet in eval mode on ``device``; ``history``: per-step
        ``loss`` and ``metrics["fraction_positive"]`` (the fraction of valid triplets of the
        batch with a positive loss, measured for both losses), plus the evaluations;
        ``metrics["held_out_auc"]`` when ``held_out`` is given.
    """
    _check_training_set(images, labels, recipe, held_out)
    r = recipe
    gen = check_generator(generator)
    device = config.device() if device is None else check_device(device)
    sampler = PKSampler(labels, r.p, r.k, n_batches=r.budget.max_steps or 1000, generator=gen)  # checks p, k
    with torch.random.fork_rng(devices=[]):  # the weights come from `gen`
        torch.manual_seed(int(torch.randint(2**31 - 1, (1,), generator=gen)))
        model = FaceEmbeddingNet(r.embedding_dim, in_channels=images.shape[1], width=r.width).to(device)

    def step(net, batch):
        x, y = batch
        e = net(augment_faces(x, gen) if r.augment else x)  # (P·K, D), unit vectors
        if r.loss == "batch_all":
            value, frac = batch_all_triplet_loss(y, e, r.margin, squared=r.squared)
        else:
            value = batch_hard_triplet_loss(y, e, r.margin, squared=r.squared)
            with torch.no_grad():
                frac = batch_all_triplet_loss(y, e.detach(), r.margin, squared=r.squared)[1]
        return value, {"fraction_positive": frac}

    batches = _pk_batches(sampler, as_float_images(images), labels.long(), endless=r.budget.max_steps is None)
    optimizer = torch.optim.Adam(model.parameters(), lr=r.lr)
    history = History()
    eval_fn = None
    if held_out is not None:
        def eval_fn(net):
            return {"held_out_auc": verification_auc(embed(net, held_out[0], device=device), held_out[1])}
        history.record_eval(0, **eval_fn(model))
    every = r.eval_every or (max(1, r.budget.max_steps // 10) if r.budget.max_steps else 50)
    fit(model, batches, step, optimizer, budget=r.budget, scheduler=CosineByBudget(optimizer, r.lr, r.budget),
        device=device, eval_fn=eval_fn, eval_every=every, progress=progress, desc=f"triplet {r.loss}",
        history=history)
    metrics = {"held_out_auc": history.eval_metrics["held_out_auc"][-1]} if held_out is not None else {}
    return Run(model.eval(), history, metrics)


def load_or_train_face_embedding(
    images: torch.Tensor,
    labels: torch.Tensor,
    recipe: TripletRecipe = TripletRecipe(),  # noqa: B008 -- frozen, immutable
    *,
    held_out: tuple[torch.Tensor, torch.Tensor] | None = None,
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
    retrain: bool = False,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> Run:
    """Train as :func:`train_face_embedding` does, or load the result of an identical earlier run.

    The cache file (``coursekit.cache``, in ``<cache_dir>/face_embedding/``) is keyed by these
    explicit values: the training images and labels, the ``held_out`` set (it decides the
    recorded curve), ``seed``, every field of ``recipe`` and a format version, so any change
    retrains. ``device`` and ``progress`` are not part of the key: weights trained on a GPU are
    reused on the CPU and vice versa.

    Parameters
    ----------
    images, labels, recipe, held_out
        As in :func:`train_face_embedding`.
    seed : int
        Seeds the ``torch.Generator`` given to :func:`train_face_embedding`: a cached result
        needs an explicit seed in its key.
    cache_dir : path, optional
        Default ``config.cache_dir()`` (``$COURSEKIT_CACHE`` or the user cache dir).
    retrain : bool
        Train even when a cached file exists (and overwrite it).
    device : optional
        Where to train; default ``config.device()``.
    progress : bool

    Returns
    -------
    Run
        As :func:`train_face_embedding`'s (the stored history when loaded), the model on
        ``device``; ``info["from_cache"]`` and ``info["path"]``.
    """
    _check_training_set(images, labels, recipe, held_out)
    seed = check_int(seed, "seed", minimum=0)
    device = config.device() if device is None else check_device(device)
    params = dict(asdict(recipe), seed=seed, format=_CACHE_FORMAT, images=images, labels=labels,
                  held_out=list(held_out) if held_out is not None else None)

    def train() -> Run:
        return train_face_embedding(images, labels, recipe, held_out=held_out, device=device, progress=progress,
                                    generator=torch.Generator().manual_seed(seed))

    def new_model() -> FaceEmbeddingNet:
        return FaceEmbeddingNet(recipe.embedding_dim, in_channels=images.shape[1], width=recipe.width)

    run = cached_run("face_embedding", params, train, new_model, cache_dir=cache_dir, retrain=retrain)
    run.model.to(device)
    return run
