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

from ..train import History, fit

__all__ = ["pair_features", "SiameseHead", "SiameseNetwork", "train_siamese_head"]

FeatureKind = Literal["l1", "chi2"]


def _check_pair(a, b) -> None:
    for t, n in ((a, "a"), (b, "b")):
        if not isinstance(t, torch.Tensor) or t.dim() != 2:
            raise ValueError(f"{n} must be a tensor of shape (P, D), got {getattr(t, 'shape', type(t).__name__)}")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape (P, D), got {tuple(a.shape)} and {tuple(b.shape)}")


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
    _check_pair(a, b)
    if kind not in ("l1", "chi2"):
        raise ValueError(f"kind must be 'l1' or 'chi2', got {kind!r}")
    return _pair_features(a, b, kind, eps)


def _pair_features(a, b, kind, eps):
    if kind == "l1":
        return (a - b).abs()
    return (a - b).pow(2) / (a.abs() + b.abs() + eps)


class SiameseHead(nn.Module):
    """Logistic regression on standardised pair features: logit = w · (φ(a, b) − μ) / σ + b.

    ``mean`` and ``scale`` (μ, σ; buffers of shape (D,)) are set by :func:`train_siamese_head`
    from the training pairs; they start at 0 and 1.
    """

    def __init__(self, dim: int, kind: FeatureKind = "l1") -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ValueError(f"dim must be a positive int, got {dim!r}")
        if kind not in ("l1", "chi2"):
            raise ValueError(f"kind must be 'l1' or 'chi2', got {kind!r}")
        self.kind = kind
        self.linear = nn.Linear(dim, 1)
        nn.init.zeros_(self.linear.weight)  # logistic regression is convex: start at p = 1/2
        nn.init.zeros_(self.linear.bias)
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("scale", torch.ones(dim))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Logits of shape (P,) for embeddings a, b of shape (P, D); large means "same"."""
        phi = pair_features(a, b, kind=self.kind)
        if phi.shape[1] != self.linear.in_features:
            raise ValueError(f"embeddings must have D={self.linear.in_features}, got {phi.shape[1]}")
        return self.linear((phi - self.mean) / self.scale).squeeze(1)

    def predict_proba(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """P(same) of shape (P,): σ(logit)."""
        return torch.sigmoid(self(a, b))


class SiameseNetwork(nn.Module):
    """One embedding network f shared by both inputs, then a :class:`SiameseHead`.

    forward(x1, x2) = head(f(x1), f(x2)): the same weights see both images, so the
    comparison is symmetric and learns one embedding, not two.
    """

    def __init__(self, embedding: nn.Module, head: SiameseHead) -> None:
        super().__init__()
        self.embedding = embedding
        self.head = head

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        if x1.shape != x2.shape:
            raise ValueError(f"x1 and x2 must have the same shape, got {tuple(x1.shape)} and {tuple(x2.shape)}")
        f = self.embedding(torch.cat([x1, x2]))  # one pass: both halves use the same weights
        return self.head(f[: len(x1)], f[len(x1):])


def train_siamese_head(
    a: torch.Tensor,
    b: torch.Tensor,
    is_same: torch.Tensor,
    *,
    kind: FeatureKind = "l1",
    n_steps: int = 300,
    lr: float = 0.05,
    weight_decay: float = 1e-3,
) -> tuple[SiameseHead, History]:
    """Fit a :class:`SiameseHead` on precomputed embeddings of same/different pairs.

    Minimises the mean binary cross-entropy −[y log ŷ + (1 − y) log(1 − ŷ)] with Adam on the full
    batch (``n_steps`` steps, L2 ``weight_decay``). The embedding is frozen: only w and b learn.

    Parameters
    ----------
    a, b : Tensor of shape (P, D)
    is_same : Tensor of shape (P,), bool
        Must contain both classes.

    Returns
    -------
    head : SiameseHead
        On the device of ``a``; ``head(a, b)`` gives logits.
    history : History
        The training loss per step.

    Examples
    --------
    >>> a = torch.tensor([[0.0], [0.0], [0.0], [0.0]]); b = torch.tensor([[0.1], [0.2], [2.0], [3.0]])
    >>> head, _ = train_siamese_head(a, b, torch.tensor([True, True, False, False])); (head(a, b) > 0).tolist()
    [True, True, False, False]
    """
    _check_pair(a, b)
    if not isinstance(is_same, torch.Tensor) or is_same.shape != (a.shape[0],) or is_same.dtype != torch.bool:
        raise ValueError(f"is_same must be a bool tensor of shape ({a.shape[0]},), got {getattr(is_same, 'dtype', type(is_same).__name__)} {tuple(getattr(is_same, 'shape', ()))}")
    if is_same.all() or not is_same.any():
        raise ValueError(f"is_same must contain both same and different pairs, got {int(is_same.sum())} same of {len(is_same)}")
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        raise ValueError("a and b must be finite, got NaN or inf")
    if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 1:
        raise ValueError(f"n_steps must be an int >= 1, got {n_steps!r}")
    head = SiameseHead(a.shape[1], kind).to(device=a.device, dtype=a.dtype)
    a, b, y = a.detach(), b.detach(), is_same.to(a.dtype)
    with torch.no_grad():
        phi = pair_features(a, b, kind=kind)
        head.mean.copy_(phi.mean(0))
        head.scale.copy_(phi.std(0).clamp_min(1e-6))  # constant features must not divide by 0
    opt = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=weight_decay)

    def step(model, batch):
        return nn.functional.binary_cross_entropy_with_logits(model(batch[0], batch[1]), batch[2])

    history = fit(head, [(a, b, y)], step, opt, n_epochs=n_steps, progress=False, desc="siamese head")
    head.eval()
    return head, history
