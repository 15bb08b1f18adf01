"""Train a face embedding with triplet loss, evaluate it on held-out people, and cache it.

The one function later notebooks call is :func:`load_or_train_face_embedding`: it trains a
:class:`~coursekit.models.face_embedding.FaceEmbeddingNet` on P×K batches with the batch-all
or batch-hard triplet loss, or — when the same settings and the same images were trained
before — loads the weights from a safetensors file in ``config.cache_dir()``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from . import config, verification
from .distances import pairwise_distances
from .losses import batch_all_triplet_loss, batch_hard_triplet_loss
from .models.face_embedding import FaceEmbeddingNet
from .sampling import PKSampler, all_pairs
from .train import History, fit

__all__ = ["augment_faces", "embed", "held_out_distances", "verification_auc", "project_2d",
           "train_face_embedding", "load_or_train_face_embedding"]

LossName = Literal["batch_all", "batch_hard"]
_CACHE_FORMAT = 1  # bump when the network or the training recipe changes meaning


def _check_images(images, labels) -> None:
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ValueError(f"images must be a tensor of shape (N, C, H, W), got {tuple(getattr(images, 'shape', ())) or type(images).__name__}")
    if images.dtype != torch.uint8 and not images.is_floating_point():
        raise TypeError(f"images must be uint8 (0..255) or float (0..1), got {images.dtype}")
    if not isinstance(labels, torch.Tensor) or labels.shape != (images.shape[0],) or labels.dtype != torch.int64:
        raise ValueError(
            f"labels must be an int64 tensor of shape ({images.shape[0]},), got "
            f"{getattr(labels, 'dtype', type(labels).__name__)} {tuple(getattr(labels, 'shape', ()))}"
        )


def _as_float(images: torch.Tensor) -> torch.Tensor:
    return images.float().div(255.0) if images.dtype == torch.uint8 else images


def augment_faces(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random mirror, small rotation/zoom/shift and brightness/contrast change, per image.

    Parameters
    ----------
    x : Tensor of shape (N, C, H, W), float in [0, 1]
    generator : torch.Generator
        Draws every random number (on the CPU), so a seeded run repeats.

    Returns
    -------
    Tensor of shape (N, C, H, W)
        ``affine_grid``/``grid_sample`` with angle ~ U(±10°), scale ~ U(0.9, 1.1), shift ~
        U(±6 %), mirrored half the time; then ``(x − mean)·c + mean + b``, c ~ U(0.8, 1.2),
        b ~ U(±0.1), clipped to [0, 1].

    Examples
    --------
    >>> augment_faces(torch.rand(2, 1, 32, 32), torch.Generator().manual_seed(0)).shape
    torch.Size([2, 1, 32, 32])
    """
    n = x.shape[0]
    u = torch.rand(n, 6, generator=generator).to(device=x.device, dtype=x.dtype)
    angle = (u[:, 0] - 0.5) * math.radians(20)
    scale = 0.9 + 0.2 * u[:, 1]
    flip = torch.where(u[:, 2] < 0.5, -1.0, 1.0).to(x.dtype)
    shift = (u[:, 3:5] - 0.5) * 0.12
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * flip, -sin, shift[:, 0]], 1),
                         torch.stack([sin * flip, cos, shift[:, 1]], 1)], 1)  # (N, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    out = F.grid_sample(x, grid, padding_mode="border", align_corners=False)
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    contrast = (0.8 + 0.4 * u[:, 5]).view(n, 1, 1, 1)
    brightness = (torch.rand(n, generator=generator).to(x) - 0.5).mul(0.2).view(n, 1, 1, 1)
    return ((out - mean) * contrast + mean + brightness).clamp(0.0, 1.0)


@torch.no_grad()
def embed(model: torch.nn.Module, images: torch.Tensor, *, batch_size: int = 256,
          device: torch.device | str | None = None) -> torch.Tensor:
    """Embeddings of ``images`` (N, C, H, W; uint8 or float) in eval mode: (N, D) float32 on the CPU."""
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        raise ValueError(f"images must be a tensor of shape (N, C, H, W), got {tuple(getattr(images, 'shape', ()))}")
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    out = [model(_as_float(images[s:s + batch_size]).to(device)).float().cpu()
           for s in range(0, len(images), batch_size)]
    model.train(was_training)
    return torch.cat(out)


def held_out_distances(embeddings: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distance and same-person flag of every pair i < j: two tensors of shape (N(N−1)/2,)."""
    i, j, is_same = all_pairs(labels)
    return pairwise_distances(embeddings)[i, j], is_same


def verification_auc(embeddings: torch.Tensor, labels: torch.Tensor) -> float:
    """ROC AUC of "same person?" decided by Euclidean distance, over every pair of the set."""
    d, is_same = held_out_distances(embeddings, labels)
    return verification.roc_auc_score(d, is_same, kind="distance")


def project_2d(embeddings: torch.Tensor, method: Literal["pca", "tsne"] = "pca", *, seed: int = 0) -> np.ndarray:
    """Project (N, D) embeddings to (N, 2) with scikit-learn's PCA or t-SNE (seeded)."""
    if method not in ("pca", "tsne"):
        raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
    x = embeddings.detach().cpu().double().numpy()
    if x.ndim != 2 or len(x) < 3:
        raise ValueError(f"embeddings must have shape (N, D) with N >= 3, got {x.shape}")
    if method == "pca":
        from sklearn.decomposition import PCA
        return PCA(n_components=2, random_state=seed).fit_transform(x)
    from sklearn.manifold import TSNE
    return TSNE(n_components=2, perplexity=min(30.0, (len(x) - 1) / 3), init="pca", random_state=seed).fit_transform(x)


def train_face_embedding(
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    loss: LossName = "batch_hard",
    margin: float = 0.2,
    squared: bool = False,
    steps: int = 500,
    p: int = 8,
    k: int = 4,
    embedding_dim: int = 64,
    width: int = 32,
    lr: float = 1e-3,
    augment: bool = True,
    held_out: tuple[torch.Tensor, torch.Tensor] | None = None,
    eval_every: int | None = None,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> tuple[FaceEmbeddingNet, History]:
    """Train a FaceEmbeddingNet with an online-mined triplet loss on P×K batches.

    Parameters
    ----------
    images : Tensor of shape (N, C, H, W), uint8 (0..255) or float (0..1)
        Training faces; C decides the network's input channels.
    labels : Tensor of shape (N,), int64
        Identity of each image; ``p`` identities need ``k`` images or more.
    loss : {"batch_hard", "batch_all"}
        ``batch_hard_triplet_loss`` or ``batch_all_triplet_loss`` from ``coursekit.losses``.
    margin, squared : the loss's margin α and distance (Euclidean by default).
    steps : int
        Optimiser steps (Adam, cosine-decayed learning rate ``lr``).
    p, k : ints
        Identities per batch and images per identity (``PKSampler``).
    embedding_dim, width : network size (see ``FaceEmbeddingNet``).
    augment : bool
        Apply :func:`augment_faces` to every batch.
    held_out : (images, labels), optional
        People never trained on; their all-pairs verification ROC AUC is recorded before
        training (step 0) and every ``eval_every`` steps (default ``steps // 10``) as
        ``history.eval_metrics["held_out_auc"]``.
    generator : torch.Generator, optional
        Seeds the weights, the batches and the augmentation (default: seed 0).
    device : optional
        Default ``config.device()`` (CUDA when present).

    Returns
    -------
    model : FaceEmbeddingNet, in eval mode, on ``device``
    history : History
        Per-step ``loss`` and ``metrics["fraction_positive"]`` (the fraction of valid triplets
        in the batch with a positive loss, computed for both losses), plus the evaluations.
    """
    _check_images(images, labels)
    if loss not in ("batch_all", "batch_hard"):
        raise ValueError(f"loss must be 'batch_all' or 'batch_hard', got {loss!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1, got {steps!r}")
    if held_out is not None:
        _check_images(*held_out)
        if held_out[0].shape[1:] != images.shape[1:]:
            raise ValueError(f"held_out images must have shape (M, {', '.join(map(str, images.shape[1:]))}), got {tuple(held_out[0].shape)}")
    gen = generator if generator is not None else torch.Generator().manual_seed(0)
    device = torch.device(device) if device is not None else config.device()
    sampler = PKSampler(labels, p, k, n_batches=steps, generator=gen)  # validates p and k
    with torch.random.fork_rng(devices=[]):  # weights from `gen`, global RNG left untouched
        torch.manual_seed(int(torch.randint(2**31, (1,), generator=gen)))
        model = FaceEmbeddingNet(embedding_dim, in_channels=images.shape[1], width=width).to(device)
    loss_fn = batch_all_triplet_loss if loss == "batch_all" else batch_hard_triplet_loss

    def step(net, batch):
        x, y = batch
        x = augment_faces(x, gen) if augment else x
        e = net(x)
        if loss == "batch_all":
            value, frac = batch_all_triplet_loss(y, e, margin, squared=squared)
        else:
            value = loss_fn(y, e, margin, squared=squared)
            with torch.no_grad():
                frac = batch_all_triplet_loss(y, e.detach(), margin, squared=squared)[1]
        return value, {"fraction_positive": frac}

    x_all = _as_float(images)
    batches = _Batches(sampler, x_all, labels)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    history = History()
    eval_fn = None
    if held_out is not None:
        def eval_fn(net):
            return {"held_out_auc": verification_auc(embed(net, held_out[0], device=device), held_out[1])}
        history.eval_step.append(0)
        history.eval_metrics["held_out_auc"] = [eval_fn(model)["held_out_auc"]]
    fit(model, batches, step, optimizer, scheduler=scheduler, device=device, eval_fn=eval_fn,
        eval_every=eval_every or max(1, steps // 10), progress=progress, desc=f"triplet {loss}",
        history=history)
    return model.eval(), history


def _training_defaults() -> dict:
    """The settings of ``train_face_embedding`` that change the trained weights, with defaults."""
    sig = inspect.signature(train_face_embedding)
    return {n: p.default for n, p in sig.parameters.items()
            if p.kind is p.KEYWORD_ONLY and n not in ("generator", "device", "progress", "held_out")}


class _Batches:
    """(images, labels) for each index batch a PKSampler yields."""

    def __init__(self, sampler: PKSampler, images: torch.Tensor, labels: torch.Tensor) -> None:
        self.sampler, self.images, self.labels = sampler, images, labels

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self):
        for idx in self.sampler:
            idx = torch.tensor(idx)
            yield self.images[idx], self.labels[idx]


def load_or_train_face_embedding(
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    retrain: bool = False,
    device: torch.device | str | None = None,
    progress: bool = True,
    **settings,
) -> tuple[FaceEmbeddingNet, History]:
    """Train as :func:`train_face_embedding` does, or load the result of an identical earlier run.

    The cache file is ``<cache_dir>/face_embedding/<key>.safetensors`` (``cache_dir`` defaults
    to ``config.cache_dir()``, i.e. ``$COURSEKIT_CACHE`` or the user cache dir). ``key`` is a
    SHA-256 over the training images and labels, the ``held_out`` images and labels (they
    decide the recorded evaluation curve), ``seed``, every setting (defaults filled in) and a
    format version, so any change retrains. The file holds the weights; its metadata holds the
    settings and the training history (JSON). ``device`` and ``progress`` are not part of the
    key: weights trained on a GPU are reused on the CPU and vice versa.

    Parameters
    ----------
    images, labels : as in :func:`train_face_embedding`
    seed : int
        Seeds the ``torch.Generator`` passed on as ``generator``.
    cache_dir : path, optional
    retrain : bool
        Train even when a cached file exists (and overwrite it).
    **settings
        Any keyword of :func:`train_face_embedding` except ``generator``.

    Returns
    -------
    model : FaceEmbeddingNet in eval mode on ``device``
    history : History (the stored one when loaded from the cache)
    """
    _check_images(images, labels)
    if "generator" in settings:
        raise TypeError("pass seed=..., not generator=...: the cache key needs a seed")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    defaults = _training_defaults()
    unknown = set(settings) - set(defaults) - {"held_out"}
    if unknown:
        raise TypeError(f"unknown setting(s) {sorted(unknown)}; expected some of {sorted(defaults)}")
    held_out = settings.pop("held_out", None)
    full = defaults | settings | {"seed": seed, "format": _CACHE_FORMAT, "in_channels": int(images.shape[1])}
    digest = hashlib.sha256(json.dumps(full, sort_keys=True).encode())
    for t in (images, labels) + (tuple(held_out) if held_out is not None else ()):
        digest.update(t.contiguous().cpu().numpy().tobytes())
    path = Path(cache_dir) if cache_dir is not None else config.cache_dir()
    path = path / "face_embedding" / f"{digest.hexdigest()[:20]}.safetensors"
    device = torch.device(device) if device is not None else config.device()
    if path.exists() and not retrain:
        meta = json.loads(_file_metadata(path)["coursekit"])
        model = FaceEmbeddingNet(full["embedding_dim"], in_channels=full["in_channels"], width=full["width"])
        model.load_state_dict(load_file(path))
        h = meta["history"]
        history = History(h["step"], h["loss"], h["metrics"], h["eval_step"], h["eval_metrics"], h["seconds"])
        return model.to(device).eval(), history
    model, history = train_face_embedding(
        images, labels, generator=torch.Generator().manual_seed(seed), device=device,
        progress=progress, held_out=held_out, **settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    state = {n: t.detach().cpu().contiguous() for n, t in model.state_dict().items()}
    save_file(state, tmp, metadata={"coursekit": json.dumps({"settings": full, "history": history.as_dict()})})
    tmp.replace(path)  # atomic: a run killed mid-write leaves no half file under the real name
    return model, history


def _file_metadata(path: Path) -> dict[str, str]:
    """The string metadata stored in a safetensors file's header."""
    from safetensors import safe_open
    with safe_open(str(path), framework="pt") as f:
        return f.metadata() or {}
