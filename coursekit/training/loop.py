"""The one training loop under every trainer of the course, its budget and its result.

The loop knows nothing about the task: a ``step_fn(model, batch)`` computes the loss (and
optionally metrics) of one batch, and :func:`fit` does the rest — the device, the optimiser
step, a progress bar that shows the budget that binds, a :class:`TrainingBudget` (steps and/or
seconds), evaluations, and a :class:`History` of every number it saw. Every trainer returns a
:class:`Run`.

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
from tqdm.auto import tqdm

from .. import config
from ..validation import check_device, check_float, check_int, describe

__all__ = ["TrainingBudget", "History", "Run", "CosineByBudget", "fit", "to_device"]


@dataclass(frozen=True)
class TrainingBudget:
    """When to stop: after ``max_steps`` optimiser steps or ``max_seconds`` wall seconds, whichever first.

    Parameters
    ----------
    max_steps : int, optional
    max_seconds : float, optional
        At least one of the two. The time is checked after each step, so a run overshoots
        ``max_seconds`` by at most one step.

    Examples
    --------
    >>> b = TrainingBudget(max_steps=100, max_seconds=60)
    >>> b.fraction_spent(steps=50, seconds=45.0), b.is_spent(steps=100, seconds=1.0)
    (0.75, True)
    """

    max_steps: int | None = None
    max_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.max_steps is None and self.max_seconds is None:
            raise ValueError("a TrainingBudget needs max_steps, max_seconds or both, got neither")
        if self.max_steps is not None:
            object.__setattr__(self, "max_steps", check_int(self.max_steps, "max_steps", minimum=1))
        if self.max_seconds is not None:
            seconds = check_float(self.max_seconds, "max_seconds")
            if seconds <= 0:
                raise ValueError(f"max_seconds must be > 0, got {seconds}")
            object.__setattr__(self, "max_seconds", seconds)

    def fraction_spent(self, steps: int, seconds: float) -> float:
        """The spent fraction of the budget in [0, 1]: the larger of steps/max_steps and seconds/max_seconds.

        Parameters
        ----------
        steps : int
            Steps taken so far.
        seconds : float
            Wall seconds so far.

        Returns
        -------
        float
        """
        fracs = [0.0]
        if self.max_steps is not None:
            fracs.append(steps / self.max_steps)
        if self.max_seconds is not None:
            fracs.append(seconds / self.max_seconds)
        return min(max(fracs), 1.0)

    def is_spent(self, steps: int, seconds: float) -> bool:
        """True when ``steps`` reached ``max_steps`` or ``seconds`` reached ``max_seconds``.

        Parameters
        ----------
        steps : int
        seconds : float

        Returns
        -------
        bool
        """
        return (self.max_steps is not None and steps >= self.max_steps) or (
            self.max_seconds is not None and seconds >= self.max_seconds)


@dataclass
class History:
    """What :func:`fit` saw: the loss and metrics of every step, and of every evaluation.

    Attributes
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
        self.loss.append(float(loss))
        for k, v in metrics.items():
            self.metrics.setdefault(k, []).append(float(v))

    def record_eval(self, step: int, **metrics: float | torch.Tensor) -> None:
        """Append one evaluation, made after ``step``.

        Parameters
        ----------
        step : int
        **metrics : float or 0-d Tensor
        """
        self.eval_step.append(int(step))
        for k, v in metrics.items():
            self.eval_metrics.setdefault(k, []).append(float(v))

    def as_dict(self) -> dict[str, Any]:
        """Plain lists and dicts (JSON-ready); ``History(**h.as_dict()) == h``."""
        return asdict(self)


@dataclass
class Run:
    """What a trainer returns: the model, its history, what was measured, and anything else.

    Attributes
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


class CosineByBudget:
    """Learning rate ``lr · ½(1 + cos(π p))``, p the spent fraction of a :class:`TrainingBudget`.

    A cosine schedule that also works when the budget is time: pass it to :func:`fit` as
    ``scheduler``; it counts its own steps and seconds from its creation.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
    lr : float
        The starting learning rate.
    budget : TrainingBudget
    """

    def __init__(self, optimizer: torch.optim.Optimizer, lr: float, budget: TrainingBudget) -> None:
        if not isinstance(budget, TrainingBudget):
            raise TypeError(f"budget must be a TrainingBudget, got {describe(budget)}")
        self.optimizer, self.lr, self.budget = optimizer, check_float(lr, "lr", minimum=0.0), budget
        self.steps, self.start = 0, time.perf_counter()

    def step(self) -> None:
        """Count one optimiser step and set the learning rate of every parameter group."""
        self.steps += 1
        p = self.budget.fraction_spent(self.steps, time.perf_counter() - self.start)
        for group in self.optimizer.param_groups:
            group["lr"] = self.lr * 0.5 * (1 + math.cos(math.pi * p))


def to_device(batch: Any, device: torch.device | str) -> Any:
    """Move every tensor in a (nested) tuple/list/dict to ``device``; leave the rest alone.

    Parameters
    ----------
    batch : Tensor, or tuple/list/namedtuple/dict nesting tensors and other values
    device : torch.device or str

    Returns
    -------
    The same structure, tensors on ``device``.
    """
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, Mapping):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        moved = [to_device(v, device) for v in batch]
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


class _BudgetBar:
    """A tqdm bar over the budget that binds: seconds of ``max_seconds``, else steps of N.

    A time-limited run shows ``elapsed/max_seconds s`` (its ETA is the time left, at most), with
    the step count in the postfix; a run limited by steps or epochs shows ``steps/N``. Never a bar
    of a billion steps.
    """

    def __init__(self, total_steps: int | None, max_seconds: float | None, desc: str, enabled: bool) -> None:
        self.total_steps, self.max_seconds = total_steps, max_seconds
        if max_seconds is not None:
            self.bar = tqdm(total=max_seconds, desc=desc, disable=not enabled, leave=False, unit="s",
                            bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s [{elapsed}<{remaining}{postfix}]")
        else:
            self.bar = tqdm(total=total_steps, desc=desc, disable=not enabled, leave=False, unit="step")

    def update(self, steps: int, seconds: float, loss: float) -> None:
        of = f"/{self.total_steps}" if self.total_steps is not None else ""
        if self.max_seconds is not None:
            self.bar.set_postfix_str(f"step {steps}{of}, loss {loss:.4f}", refresh=False)
            self.bar.update(min(seconds, self.max_seconds) - self.bar.n)
        else:
            self.bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        self.bar.refresh()  # the final count, even when the last update fell inside tqdm's mininterval
        self.bar.close()


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
    bar = _BudgetBar(total, budget.max_seconds if budget is not None else None, desc, progress)
    done = False
    n_done = 0
    model.train()
    try:
        for _ in range(n_epochs):
            for batch in batches:
                batch = to_device(batch, device)
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
    run_eval()
    hist.seconds += time.perf_counter() - start
    hist.cpu_seconds += time.process_time() - cpu_start
    if n_done == 0:
        raise ValueError("batches yielded no batch: nothing was trained")
    assert all(math.isfinite(v) for v in hist.loss[-n_done:])
    return hist
