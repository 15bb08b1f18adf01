"""Train and evaluate a classifier on tensors (clips, signals) with ``coursekit.train.fit``.

``train_classifier`` = seeded minibatches + Adam + cross-entropy + test accuracy after every epoch.
``predict`` and ``accuracy`` work for any model mapping a batch of inputs to logits (N, K).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from .train import History, fit

__all__ = ["TensorBatches", "predict", "accuracy", "ClassifierRun", "train_classifier"]


def _check_xy(x: torch.Tensor, y: torch.Tensor, name: str = "x") -> None:
    if not isinstance(x, torch.Tensor) or x.dim() < 2 or x.shape[0] == 0:
        raise ValueError(f"{name} must be a tensor of shape (N, ...) with N >= 1, got {getattr(x, 'shape', type(x).__name__)}")
    if not isinstance(y, torch.Tensor) or y.dtype != torch.long or y.shape != (x.shape[0],):
        raise ValueError(
            f"labels must be an int64 tensor of shape ({x.shape[0]},), got "
            f"{getattr(y, 'dtype', type(y).__name__)} {tuple(getattr(y, 'shape', ()))}"
        )


class TensorBatches:
    """Re-iterable minibatches ``(x[b], y[b])``, reshuffled on every pass with a seeded generator."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int = 32, *,
                 shuffle: bool = True, generator: torch.Generator | None = None):
        _check_xy(x, y)
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
        self.x, self.y, self.batch_size, self.shuffle = x, y, batch_size, shuffle
        self.generator = generator if generator is not None else torch.Generator().manual_seed(0)

    def __len__(self) -> int:
        return math.ceil(len(self.y) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.y)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            b = order[start : start + self.batch_size]
            yield self.x[b], self.y[b]


def predict(model: nn.Module, x: torch.Tensor, *, batch_size: int = 256) -> torch.Tensor:
    """Predicted class ``argmax_k logits[n, k]`` of every input, in eval mode, without gradients; shape (N,)."""
    if not isinstance(x, torch.Tensor) or x.dim() < 2 or x.shape[0] == 0:
        raise ValueError(f"x must be a tensor of shape (N, ...) with N >= 1, got {getattr(x, 'shape', type(x).__name__)}")
    was_training = model.training
    model.eval()
    first = next(model.parameters(), None)
    device = first.device if first is not None else x.device
    with torch.no_grad():
        out = torch.cat([model(x[i : i + batch_size].to(device)).argmax(1).cpu() for i in range(0, len(x), batch_size)])
    model.train(was_training)
    return out


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 256) -> float:
    """Fraction of inputs classified correctly: ``mean_n [ŷ_n == y_n]``.

    Examples
    --------
    >>> accuracy(nn.Linear(2, 2), torch.zeros(3, 2), torch.zeros(3, dtype=torch.long)) in (0.0, 1.0)
    True
    """
    _check_xy(x, y)
    return float((predict(model, x, batch_size=batch_size) == y.cpu()).double().mean())


@dataclass
class ClassifierRun:
    """The trained model, its history (``eval_metrics["test_accuracy"]`` per epoch) and final test accuracy."""

    model: nn.Module
    history: History
    test_accuracy: float


def train_classifier(
    model: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    *,
    n_epochs: int = 10,
    batch_size: int = 32,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    seed: int = 0,
    max_seconds: float | None = None,
    device: torch.device | str = "cpu",
    progress: bool = True,
    desc: str = "train",
) -> ClassifierRun:
    """Train ``model`` with Adam on cross-entropy ``−log softmax(z)_y``; test accuracy after each epoch.

    Returns the last epoch's test accuracy (no model selection on the test set).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    _check_xy(x_train, y_train, "x_train")
    _check_xy(x_test, y_test, "x_test")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(f"x_train and x_test must have the same per-example shape, got "
                         f"{tuple(x_train.shape[1:])} and {tuple(x_test.shape[1:])}")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)

    def step(m: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]):
        x, y = batch
        logits = m(x)
        return F.cross_entropy(logits, y), {"accuracy": (logits.argmax(1) == y).float().mean()}

    batches = TensorBatches(x_train, y_train, batch_size, generator=torch.Generator().manual_seed(seed))
    with torch.random.fork_rng(devices=[]):  # dropout draws from the global RNG: seed it, then restore it
        torch.manual_seed(seed)
        history = fit(model, batches, step, optimizer, n_epochs=n_epochs, max_seconds=max_seconds, device=device,
                      eval_fn=lambda m: {"test_accuracy": accuracy(m, x_test, y_test)}, progress=progress, desc=desc)
    return ClassifierRun(model, history, history.eval_metrics["test_accuracy"][-1])
