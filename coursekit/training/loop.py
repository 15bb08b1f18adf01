"""The one training loop under every trainer of the course, its budget and its result.

The loop knows nothing about the task: a ``step_fn(model, batch)`` computes the loss (and
optionally metrics) of one batch, and :func:`fit` does the rest — the device, the optimiser
step, a progress bar that shows the budget that binds, a :class:`TrainingBudget` (steps and/or
seconds, see :mod:`.budget`), evaluations, and a :class:`History` of every number it saw. Every
trainer returns a :class:`Run`.

One step, as a learner would write it::

    loss = step_fn(model, batch)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from .. import config
from ..validation import check_device, check_int, describe
from .budget import BudgetBar, TrainingBudget
from .threads import ThreadTuner

__all__ = ["History", "Run", "fit", "to_device"]


def _scalar(value: float | torch.Tensor) -> float:
    """A float from a number or a 0-d tensor, which may still require grad (a loss straight
    from the forward pass): detached first, so recording it never warns."""
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


@dataclass
class History:
    """What :func:`fit` saw: the loss and metrics of every step, and of every evaluation.

    Parameters
    ----------
    step : list of int
        Step numbers 1, 2, ... (continuing across calls that share a history).
    loss : list of float
        The loss of each step.
    metrics : dict of str to list of float
        Per-step metrics returned by ``step_fn``.
    eval_step : list of int
        The step after which each evaluation ran.
    eval_metrics : dict of str to list of float
        The values ``eval_fn`` returned.
    seconds, cpu_seconds : float
        Wall time and process CPU time (all threads) spent in :func:`fit`.
    """

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    eval_step: list[int] = field(default_factory=list)
    eval_metrics: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def record(self, step: int, loss: float | torch.Tensor, **metrics: float | torch.Tensor) -> None:
        """Append one training step: its number, its loss and any metrics (tensors become floats).

        Parameters
        ----------
        step : int
        loss : float or 0-d Tensor
        **metrics : float or 0-d Tensor
        """
        self.step.append(int(step))
        self.loss.append(_scalar(loss))
        for k, v in metrics.items():
            self.metrics.setdefault(k, []).append(_scalar(v))

    def record_eval(self, step: int, **metrics: float | torch.Tensor) -> None:
        """Append one evaluation, made after ``step``.

        Parameters
        ----------
        step : int
        **metrics : float or 0-d Tensor
        """
        self.eval_step.append(int(step))
        for k, v in metrics.items():
            self.eval_metrics.setdefault(k, []).append(_scalar(v))

    def as_dict(self) -> dict[str, Any]:
        """Plain lists and dicts, ready for JSON.

        Returns
        -------
        dict
            One entry per attribute; ``History(**h.as_dict()) == h``.
        """
        return asdict(self)


@dataclass
class Run:
    """What a trainer returns: the model, its history, what was measured, and anything else.

    Parameters
    ----------
    model : nn.Module
        The trained model, in eval mode.
    history : History
    metrics : dict of str to float
        Final measurements, e.g. ``{"test_accuracy": 0.91}``.
    info : dict
        Other facts of the run: the data used, the cache file, whether it came from the cache,
        a vocabulary...
    """

    model: nn.Module
    history: History
    metrics: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        """Wall seconds of training (as recorded, also for a run loaded from a cache)."""
        return self.history.seconds

    @property
    def steps(self) -> int:
        """Optimiser steps taken."""
        return self.history.step[-1] if self.history.step else 0


def to_device(batch: Any, device: torch.device | str) -> Any:
    """Move every tensor in a (nested) tuple/list/dict to ``device``; leave the rest alone.

    Parameters
    ----------
    batch : Tensor, or tuple/list/namedtuple/dict nesting tensors and other values
    device : torch.device or str

    Returns
    -------
    The same structure, tensors on ``device``.

    Raises
    ------
    ValueError
        A device this machine does not have (``"cuda"`` without a GPU).
    """
    return _to_device(batch, check_device(device))


def _to_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, Mapping):
        return {k: _to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        moved = [_to_device(v, device) for v in batch]
        return type(batch)(*moved) if hasattr(batch, "_fields") else type(batch)(moved)
    return batch


def _split_step_output(out: Any) -> tuple[torch.Tensor, dict[str, float]]:
    if isinstance(out, torch.Tensor):
        return out, {}
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], Mapping):
        loss, metrics = out
        if isinstance(loss, torch.Tensor):
            return loss, {k: float(v) for k, v in metrics.items()}
    raise TypeError(
        "step_fn must return a scalar loss tensor or (loss, dict of metrics), "
        f"got {type(out).__name__}"
    )


def fit(
    model: nn.Module,
    batches: Iterable,
    step_fn: Callable[[nn.Module, Any], Any],
    optimizer: torch.optim.Optimizer,
    *,
    budget: TrainingBudget | None = None,
    n_epochs: int = 1,
    device: torch.device | str | None = None,
    scheduler: Any = None,
    eval_fn: Callable[[nn.Module], Mapping[str, float]] | None = None,
    eval_every: int | None = None,
    progress: bool = True,
    desc: str = "train",
    history: History | None = None,
    threads: str | None = None,
) -> History:
    """Train ``model`` by calling ``step_fn`` on each batch and stepping ``optimizer``.

    Parameters
    ----------
    model : nn.Module
        Moved to ``device``; left there, in train mode.
    batches : iterable
        Re-iterable source of batches (a DataLoader, a list, a sampler); iterated once per epoch.
        An endless iterable needs a ``budget``.
    step_fn : callable
        ``step_fn(model, batch) -> loss`` or ``-> (loss, {"name": value, ...})``; ``batch`` has
        been moved to the device already; ``loss`` is a scalar tensor to minimise.
    optimizer : torch.optim.Optimizer
    budget : TrainingBudget, optional
        Stop after ``max_steps`` steps (of this call) or ``max_seconds``, whichever comes first,
        even in the middle of an epoch.
    n_epochs : int
        Passes over ``batches`` (the run ends earlier if the budget is spent).
    device : torch.device or str, optional
        Default ``config.device()`` (CUDA when present).
    scheduler : optional
        Anything with ``.step()``; called after every optimiser step.
    eval_fn : callable, optional
        ``eval_fn(model) -> {"name": value}``, run in eval mode under ``torch.no_grad`` every
        ``eval_every`` steps (default: at the end of every epoch) and once at the end.
    eval_every : int, optional
    progress : bool
        Show a tqdm bar: seconds of ``max_seconds`` for a time budget, else steps of the total.
    desc : str
        The bar's label.
    history : History, optional
        Continue appending to an earlier run's history (step numbers continue).
    threads : {None, "auto"}
        ``"auto"`` on a CPU: choose torch's thread count by timing steps, and time them again
        after a minute, then less often while the choice holds
        (:class:`~coursekit.training.threads.ThreadTuner`: on a shared machine one thread can be
        faster than two); the count is restored at the end. None leaves it alone.

    Returns
    -------
    History
        Per-step loss and metrics, per-evaluation metrics, wall and CPU seconds.

    Examples
    --------
    >>> m = nn.Linear(1, 1)
    >>> h = fit(m, [(torch.ones(4, 1), torch.zeros(4, 1))], lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(),
    ...         torch.optim.SGD(m.parameters(), lr=0.1), n_epochs=3, device="cpu", progress=False)
    >>> h.step
    [1, 2, 3]
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {describe(model)}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {describe(optimizer)}")
    if not callable(step_fn):
        raise TypeError(f"step_fn must be callable: step_fn(model, batch) -> loss, got {describe(step_fn)}")
    if budget is not None and not isinstance(budget, TrainingBudget):
        raise TypeError(f"budget must be a TrainingBudget or None, got {describe(budget)}")
    n_epochs = check_int(n_epochs, "n_epochs", minimum=1)
    if eval_every is not None:
        eval_every = check_int(eval_every, "eval_every", minimum=1)
    if history is not None and not isinstance(history, History):
        raise TypeError(f"history must be a History or None, got {describe(history)}")
    if threads not in (None, "auto"):
        raise ValueError(f"threads must be None or 'auto', got {threads!r}")
    device = config.device() if device is None else check_device(device)
    model.to(device)
    hist = history if history is not None else History()
    step = hist.step[-1] if hist.step else 0
    start, cpu_start = time.perf_counter(), time.process_time()
    last_eval_step = None

    def run_eval() -> None:
        nonlocal last_eval_step
        if eval_fn is None or last_eval_step == step:
            return
        was_training = model.training
        model.eval()
        with torch.no_grad():
            values = eval_fn(model)
        model.train(was_training)
        hist.record_eval(step, **values)
        last_eval_step = step

    try:
        total = len(batches) * n_epochs  # type: ignore[arg-type]
    except TypeError:
        total = None
    max_steps = budget.max_steps if budget is not None else None
    if max_steps is not None:
        total = max_steps if total is None else min(total, max_steps)
    bar = BudgetBar(total, budget.max_seconds if budget is not None else None, desc, progress)
    tuner = ThreadTuner() if threads == "auto" and device.type == "cpu" else None
    done = False
    n_done = 0
    model.train()
    try:
        for _ in range(n_epochs):
            for batch in batches:
                batch = _to_device(batch, device)
                loss, metrics = _split_step_output(step_fn(model, batch))
                if loss.dim() != 0:
                    raise ValueError(f"step_fn must return a scalar loss, got shape {tuple(loss.shape)}")
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"loss became {loss.item()} at step {step + 1}")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if scheduler is not None:
                    scheduler.step()
                step += 1
                n_done += 1
                hist.record(step, loss.detach(), **metrics)
                if tuner is not None:
                    tuner.step_done()
                elapsed = time.perf_counter() - start
                bar.update(n_done, elapsed, hist.loss[-1])
                if eval_every is not None and step % eval_every == 0:
                    run_eval()
                if budget is not None and budget.is_spent(n_done, elapsed):
                    done = True
                    break
            if eval_every is None:
                run_eval()
            if done:
                break
    finally:
        bar.close()
        if tuner is not None:
            tuner.close()
    run_eval()
    hist.seconds += time.perf_counter() - start
    hist.cpu_seconds += time.process_time() - cpu_start
    if n_done == 0:
        raise ValueError("batches yielded no batch: nothing was trained")
    assert all(math.isfinite(v) for v in hist.loss[-n_done:])
    return hist
