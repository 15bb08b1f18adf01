"""Verification as binary classification over a shared embedding (Taigman et al. 2014, DeepFace).

A Siamese network runs the *same* embedding network f on both images and feeds a symmetric
comparison of the two embeddings to a logistic regression:

    ŷ = σ( Σ_k w_k · φ_k(f(x_i), f(x_j)) + b )

with φ_k = |f_k(x_i) − f_k(x_j)| ("l1", DeepFace's first variant) or
φ_k = (f_k(x_i) − f_k(x_j))² / (|f_k(x_i)| + |f_k(x_j)|) ("chi2", DeepFace's χ² similarity;
the absolute values make it defined for signed embeddings and equal DeepFace's formula for
non-negative ones). The head's output is a logit: large means "same" (``kind="similarity"``
in :mod:`coursekit.verification`).
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from ..validation import (
    check_choice,
    check_float,
    check_int,
    check_paired_embeddings,
)

__all__ = ["FeatureKind", "pair_features", "SiameseHead", "SiameseNetwork"]

FeatureKind = Literal["l1", "chi2"]


def pair_features(a: torch.Tensor, b: torch.Tensor, *, kind: FeatureKind = "l1", eps: float = 1e-6) -> torch.Tensor:
    """Symmetric per-dimension comparison of two embeddings (DeepFace's pair features).

    Parameters
    ----------
    a, b : Tensor of shape (P, D)
        Embeddings of the first and second image of each pair.
    kind : {"l1", "chi2"}
        ``|a − b|`` or ``(a − b)² / (|a| + |b| + eps)``, elementwise.

    Returns
    -------
    Tensor of shape (P, D), non-negative, same device and dtype as ``a``.

    Examples
    --------
    >>> pair_features(torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 2.0]])).tolist()
    [[2.0, 0.0]]
    """
    check_paired_embeddings(a, b)
    check_choice(kind, "kind", ("l1", "chi2"))
    eps = check_float(eps, "eps", minimum=0.0)
    return _pair_features(a, b, kind, eps)


def _pair_features(a, b, kind, eps):
    if kind == "l1":
        return (a - b).abs()
    return (a - b).pow(2) / (a.abs() + b.abs() + eps)


class SiameseHead(nn.Module):
    """Logistic regression on standardised pair features: logit = w · (φ(a, b) − μ) / σ + b.

    ``mean`` and ``scale`` (μ, σ; buffers of shape (D,)) are set by
    ``coursekit.training.train_siamese_head`` from the training pairs; they start at 0 and 1.

    Parameters
    ----------
    dim : int
        D, the embedding length.
    kind : {"l1", "chi2"}
        The pair features, see :func:`pair_features`.

    Examples
    --------
    >>> SiameseHead(3)(torch.zeros(2, 3), torch.ones(2, 3)).tolist()  # untrained: w = 0, b = 0
    [0.0, 0.0]
    """

    def __init__(self, dim: int, kind: FeatureKind = "l1") -> None:
        super().__init__()
        dim = check_int(dim, "dim", minimum=1)
        check_choice(kind, "kind", ("l1", "chi2"))
        self.kind = kind
        self.linear = nn.Linear(dim, 1)
        nn.init.zeros_(self.linear.weight)  # logistic regression is convex: start at p = 1/2
        nn.init.zeros_(self.linear.bias)
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Logits of "same person" for each pair; large means "same".

        Parameters
        ----------
        a, b : Tensor of shape (P, D)

        Returns
        -------
        Tensor of shape (P,)
        """
        phi = pair_features(a, b, kind=self.kind)
        if phi.shape[1] != self.linear.in_features:
            raise ValueError(f"embeddings must have D={self.linear.in_features}, got {phi.shape[1]}")
        return self.linear((phi - self.mean) / self.scale).squeeze(1)

    def predict_proba(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """P(same) = σ(logit) of each pair.

        Parameters
        ----------
        a, b : Tensor of shape (P, D)

        Returns
        -------
        Tensor of shape (P,), in (0, 1)
        """
        return torch.sigmoid(self(a, b))


class SiameseNetwork(nn.Module):
    """One embedding network f shared by both inputs, then a :class:`SiameseHead`.

    forward(x1, x2) = head(f(x1), f(x2)): the same weights see both images, so the
    comparison is symmetric and learns one embedding, not two.

    Parameters
    ----------
    embedding : nn.Module
        f: ``(B, ...) -> (B, D)``.
    head : SiameseHead
    """

    def __init__(self, embedding: nn.Module, head: SiameseHead) -> None:
        super().__init__()
        self.embedding = embedding
        self.head = head

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        """Logits of "same person" for pairs of images.

        Parameters
        ----------
        x1, x2 : Tensor of shape (P, ...), the same shape

        Returns
        -------
        Tensor of shape (P,)
        """
        if x1.shape != x2.shape:
            raise ValueError(f"x1 and x2 must have the same shape, got {tuple(x1.shape)} and {tuple(x2.shape)}")
        f = self.embedding(torch.cat([x1, x2]))  # one pass: both halves use the same weights
        return self.head(f[: len(x1)], f[len(x1):])
