"""Train and evaluate a classifier on tensors (clips, signals) with :func:`~coursekit.training.loop.fit`.

``train_classifier`` = shuffled minibatches + Adam + cross-entropy + test accuracy after every
epoch. ``predict`` and ``accuracy`` work for any model mapping a batch of inputs to logits (N, K).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch import nn
from torch.nn import functional as F

from .. import config
from ..validation import (
    check_device,
    check_float,
    check_generator,
    check_int,
    check_labels,
    check_tensor,
    describe,
)
from .budget import TrainingBudget
from .loop import Run, fit

__all__ = ["TensorBatches", "predict", "accuracy", "train_classifier"]


def check_examples(x, y, name: str = "x", label_name: str = "y") -> tuple[torch.Tensor, torch.Tensor]:
    """Check inputs (N, ...) with N >= 1 and integer labels (N,); return ``(x, y as int64)``.

    Parameters
    ----------
    x : Tensor of shape (N, ...)
    y : Tensor of shape (N,), any integer dtype
    name, label_name : str
        The arguments' names, for messages.

    Returns
    -------
    x : Tensor of shape (N, ...)
    y : Tensor of shape (N,), int64
    """
    check_tensor(x, name, ndim=range(2, 9), shape="(N, ...)", min_len=1, finite=True)
    check_labels(y, label_name, n=x.shape[0])
    return x, y.long()


class TensorBatches:
    """Re-iterable minibatches ``(x[b], y[b])``, reshuffled on every pass.

    Parameters
    ----------
    x : Tensor of shape (N, ...)
    y : Tensor of shape (N,), integer
    batch_size : int
    shuffle : bool
    generator : torch.Generator, optional
        Draws the order of every pass; None uses torch's default generator.

    Examples
    --------
    >>> b = TensorBatches(torch.zeros(5, 2), torch.zeros(5, dtype=torch.long), 2)
    >>> len(b), [len(y) for _, y in b]
    (3, [2, 2, 1])
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int = 32, *,
                 shuffle: bool = True, generator: torch.Generator | None = None):
        self.x, self.y = check_examples(x, y)
        self.batch_size = check_int(batch_size, "batch_size", minimum=1)
        self.shuffle = shuffle
        self.generator = check_generator(generator)

    def __len__(self) -> int:
        return math.ceil(len(self.y) / self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.y)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        for start in range(0, n, self.batch_size):
            b = order[start : start + self.batch_size]
            yield self.x[b], self.y[b]


def predict(model: nn.Module, x: torch.Tensor, *, batch_size: int = 256) -> torch.Tensor:
    """Predicted class ``argmax_k logits[n, k]`` of every input, in eval mode, without gradients.

    Parameters
    ----------
    model : nn.Module
        ``(B, ...) -> (B, K)`` logits; run on the device of its parameters.
    x : Tensor of shape (N, ...)
    batch_size : int

    Returns
    -------
    Tensor of shape (N,), int64, on the CPU
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {describe(model)}")
    check_tensor(x, "x", ndim=range(2, 9), shape="(N, ...)", min_len=1, finite=True)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
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

    Parameters
    ----------
    model : nn.Module
    x : Tensor of shape (N, ...)
    y : Tensor of shape (N,), integer
    batch_size : int

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> accuracy(nn.Linear(2, 2), torch.zeros(3, 2), torch.zeros(3, dtype=torch.long)) in (0.0, 1.0)
    True
    """
    x, y = check_examples(x, y)
    return float((predict(model, x, batch_size=batch_size) == y.cpu()).double().mean())


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
    budget: TrainingBudget | None = None,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
    desc: str = "train",
) -> Run:
    """Train ``model`` with Adam on cross-entropy ``−log softmax(z)_y``; test accuracy after each epoch.

    Parameters
    ----------
    model : nn.Module
        ``(B, ...) -> (B, K)`` logits.
    x_train, x_test : Tensor of shape (N, ...) and (M, ...), same per-example shape
    y_train, y_test : Tensor of shape (N,) and (M,), integer
    n_epochs, batch_size : int
    lr, weight_decay : float
        Adam's settings.
    budget : TrainingBudget, optional
        Stop earlier after this many steps or seconds.
    generator : torch.Generator, optional
        Draws the minibatch order; None uses torch's default generator (which dropout uses too).
    device : optional
        Default ``config.device()``.
    progress : bool
    desc : str

    Returns
    -------
    Run
        ``metrics["test_accuracy"]``: the last epoch's (no model selection on the test set);
        ``history.eval_metrics["test_accuracy"]``: the per-epoch curve.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {describe(model)}")
    x_train, y_train = check_examples(x_train, y_train, "x_train", "y_train")
    x_test, y_test = check_examples(x_test, y_test, "x_test", "y_test")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(f"x_train and x_test must have the same per-example shape, got "
                         f"{tuple(x_train.shape[1:])} and {tuple(x_test.shape[1:])}")
    lr = check_float(lr, "lr", minimum=0.0)
    weight_decay = check_float(weight_decay, "weight_decay", minimum=0.0)
    device = config.device() if device is None else check_device(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)

    def step(m: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]):
        x, y = batch
        logits = m(x)
        return F.cross_entropy(logits, y), {"accuracy": (logits.argmax(1) == y).float().mean()}

    batches = TensorBatches(x_train, y_train, batch_size, generator=generator)
    history = fit(model, batches, step, optimizer, n_epochs=n_epochs, budget=budget, device=device,
                  eval_fn=lambda m: {"test_accuracy": accuracy(m, x_test, y_test)}, progress=progress, desc=desc)
    model.eval()
    return Run(model, history, {"test_accuracy": history.eval_metrics["test_accuracy"][-1]})
