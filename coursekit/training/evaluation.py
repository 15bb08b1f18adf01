"""Measuring an embedding: batched inference, distances of every pair, verification AUC, 2-D maps.

Used by notebooks 02–04 on the face embedding, and by :mod:`.embedding` to record the held-out
ROC AUC during training.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch

from .. import verification
from ..distances import paired_distances
from ..sampling import all_pairs
from ..validation import (
    check_bool,
    check_choice,
    check_device,
    check_embeddings,
    check_generator,
    check_int,
    check_labels,
    check_tensor,
)

__all__ = ["as_float_images", "embed", "held_out_distances", "verification_auc", "project_2d"]


def as_float_images(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (0..255) to float in [0, 1]; float images are returned as they are.

    Parameters
    ----------
    images : Tensor of shape (N, C, H, W), uint8 or float

    Returns
    -------
    Tensor of shape (N, C, H, W), float

    Examples
    --------
    >>> as_float_images(torch.full((1, 1, 1, 1), 255, dtype=torch.uint8)).item()
    1.0
    """
    check_tensor(images, "images", ndim=4, shape="(N, C, H, W)")
    return images.float().div(255.0) if images.dtype == torch.uint8 else images


@torch.no_grad()
def embed(model: torch.nn.Module, images: torch.Tensor, *, batch_size: int = 256,
          device: torch.device | str | None = None) -> torch.Tensor:
    """Embeddings of ``images`` in eval mode, computed in batches, without gradients.

    Parameters
    ----------
    model : nn.Module
        ``(B, C, H, W) -> (B, D)``; its train/eval mode is restored afterwards.
    images : Tensor of shape (N, C, H, W), uint8 (0..255) or float (0..1)
    batch_size : int
    device : optional
        Where to run; default the device of the model's parameters (inference does not move
        the model).

    Returns
    -------
    Tensor of shape (N, D), float32, on the CPU
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    check_tensor(images, "images", ndim=4, shape="(N, C, H, W)", min_len=1, finite=True)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else torch.device("cpu")
    else:
        device = check_device(device)
    was_training = model.training
    model.eval()
    out = [model(as_float_images(images[s:s + batch_size]).to(device)).float().cpu()
           for s in range(0, len(images), batch_size)]
    model.train(was_training)
    return torch.cat(out)


def held_out_distances(embeddings: torch.Tensor, labels: torch.Tensor, *,
                       squared: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Distance and same-person flag of every pair i < j of a set of embeddings.

    Parameters
    ----------
    embeddings : Tensor of shape (N, D)
    labels : Tensor of shape (N,), integer
    squared : bool
        ``‖f(x_i) − f(x_j)‖²`` instead of the Euclidean distance.

    Returns
    -------
    distances : Tensor of shape (N(N−1)/2,)
    is_same : Tensor of shape (N(N−1)/2,), bool

    Examples
    --------
    >>> d, same = held_out_distances(torch.tensor([[0.0, 0.0], [3.0, 4.0]]), torch.tensor([0, 0]))
    >>> d.tolist(), same.tolist()
    ([5.0], [True])
    """
    check_embeddings(embeddings, min_rows=2)
    check_labels(labels, n=embeddings.shape[0])
    i, j, is_same = all_pairs(labels)
    return paired_distances(embeddings[i], embeddings[j], squared=check_bool(squared, "squared")), is_same


def verification_auc(embeddings: torch.Tensor, labels: torch.Tensor) -> float:
    """ROC AUC of "same person?" decided by distance, over every pair of the set.

    The probability that a same-person pair is closer than a different-person pair (ties count
    half); squared or not, the order of the distances and hence the AUC are the same.

    Parameters
    ----------
    embeddings : Tensor of shape (N, D)
    labels : Tensor of shape (N,), integer; both same and different pairs must occur

    Returns
    -------
    float in [0, 1]
    """
    d, is_same = held_out_distances(embeddings, labels)
    return verification.roc_auc_score(d, is_same, kind="distance")


def project_2d(embeddings: torch.Tensor, method: Literal["pca", "tsne"] = "pca", *,
               generator: torch.Generator | None = None) -> np.ndarray:
    """Project embeddings to 2-D with scikit-learn's PCA or t-SNE, for a scatter plot.

    Parameters
    ----------
    embeddings : Tensor of shape (N, D), N >= 3
    method : {"pca", "tsne"}
    generator : torch.Generator, optional
        Seeds t-SNE (PCA is deterministic); None uses torch's default generator.

    Returns
    -------
    ndarray of shape (N, 2), float64
    """
    method = check_choice(method, "method", ("pca", "tsne"))
    check_embeddings(embeddings, min_rows=3)
    check_generator(generator)
    x = embeddings.detach().cpu().double().numpy()
    if method == "pca":
        from sklearn.decomposition import PCA
        return PCA(n_components=2).fit_transform(x)
    from sklearn.manifold import TSNE
    seed = int(torch.randint(2**31 - 1, (1,), generator=generator))
    return TSNE(n_components=2, perplexity=min(30.0, (len(x) - 1) / 3), init="pca", random_state=seed).fit_transform(x)
