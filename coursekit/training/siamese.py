"""Fit the logistic-regression head of a Siamese verifier on precomputed embedding pairs.

The network idea (``pair_features``, ``SiameseHead``, ``SiameseNetwork``) lives in
:mod:`coursekit.verification.siamese`; this module trains the head with
:func:`~coursekit.training.loop.fit`, the embedding frozen.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import config
from ..validation import (
    check_device,
    check_float,
    check_paired_embeddings,
    check_tensor,
)
from ..verification.siamese import FeatureKind, SiameseHead, pair_features
from .budget import TrainingBudget
from .loop import Run, fit

__all__ = ["train_siamese_head"]


def train_siamese_head(
    a: torch.Tensor,
    b: torch.Tensor,
    is_same: torch.Tensor,
    *,
    kind: FeatureKind = "l1",
    budget: TrainingBudget = TrainingBudget(max_steps=300),  # noqa: B008 -- frozen, immutable
    lr: float = 0.05,
    weight_decay: float = 1e-3,
    device: torch.device | str | None = None,
) -> Run:
    """Fit a ``SiameseHead`` on precomputed embeddings of same/different pairs.

    Minimises the mean binary cross-entropy −[y log ŷ + (1 − y) log(1 − ŷ)] with Adam on the full
    batch (one step per budget step, L2 ``weight_decay``). The embedding is frozen: only w and b
    learn; the features are standardised with the training pairs' mean and spread first.

    Parameters
    ----------
    a, b : Tensor of shape (P, D), finite
        Embeddings of the first and second image of each pair.
    is_same : Tensor of shape (P,), bool
        Must contain both classes.
    kind : {"l1", "chi2"}
        The pair features, see ``pair_features``.
    budget : TrainingBudget
        Full-batch steps and/or seconds.
    lr, weight_decay : float
    device : optional
        Where to train; default ``config.device()``. The head is handed back on ``a``'s device.

    Returns
    -------
    Run
        ``model``: the SiameseHead in eval mode (``head(a, b)`` gives logits, large = same);
        ``history``: the training loss per step; ``metrics["train_loss"]``: the last one.

    Examples
    --------
    >>> a = torch.tensor([[0.0], [0.0], [0.0], [0.0]]); b = torch.tensor([[0.1], [0.2], [2.0], [3.0]])
    >>> head = train_siamese_head(a, b, torch.tensor([True, True, False, False]), device="cpu").model
    >>> (head(a, b) > 0).tolist()
    [True, True, False, False]
    """
    check_paired_embeddings(a, b)
    check_tensor(is_same, "is_same", ndim=1, shape=f"({a.shape[0]},) of bool")
    if is_same.dtype != torch.bool:
        raise TypeError(f"is_same must be a bool tensor, got dtype {is_same.dtype}")
    if is_same.shape != (a.shape[0],):
        raise ValueError(f"is_same must have shape ({a.shape[0]},), got {tuple(is_same.shape)}")
    if is_same.all() or not is_same.any():
        raise ValueError(f"is_same must contain both same and different pairs, got {int(is_same.sum())} same of {len(is_same)}")
    if not isinstance(budget, TrainingBudget):
        raise TypeError(f"budget must be a TrainingBudget, got {type(budget).__name__}")
    lr = check_float(lr, "lr", minimum=0.0)
    weight_decay = check_float(weight_decay, "weight_decay", minimum=0.0)
    home = a.device
    device = config.device() if device is None else check_device(device)
    head = SiameseHead(a.shape[1], kind).to(device=device, dtype=a.dtype)
    a, b, y = a.detach().to(device), b.detach().to(device), is_same.to(device=device, dtype=a.dtype)
    with torch.no_grad():
        phi = pair_features(a, b, kind=kind)
        head.mean.copy_(phi.mean(0))
        head.scale.copy_(phi.std(0).clamp_min(1e-6))  # constant features must not divide by 0
    opt = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=weight_decay)

    def step(model, batch):
        return nn.functional.binary_cross_entropy_with_logits(model(batch[0], batch[1]), batch[2])

    n_epochs = budget.max_steps if budget.max_steps is not None else 10**9  # one epoch = one full batch
    history = fit(head, [(a, b, y)], step, opt, budget=budget, n_epochs=n_epochs, device=device,
                  progress=False, desc="siamese head")
    return Run(head.to(home).eval(), history, {"train_loss": history.loss[-1]})
