"""One small training loop shared by the notebooks.

The loop knows nothing about the task: a ``step_fn(model, batch)`` computes the loss (and
optionally metrics) for one batch, and ``fit`` does the rest — device, optimiser steps, a
tqdm progress bar, a time or step budget, and a history of every number it saw.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from tqdm.auto import tqdm

__all__ = ["History", "fit", "to_device"]


@dataclass
class History:
    """What ``fit`` saw: the loss and metrics of every step, and of every evaluation."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    eval_step: list[int] = field(default_factory=list)
    eval_metrics: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "loss": self.loss,
            "metrics": self.metrics,
            "eval_step": self.eval_step,
            "eval_metrics": self.eval_metrics,
            "seconds": self.seconds,
        }


def to_device(batch: Any, device: torch.device | str) -> Any:
    """Move every tensor in a (nested) tuple/list/dict to ``device``; leave the rest alone."""
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
    n_epochs: int = 1,
    max_steps: int | None = None,
    max_seconds: float | None = None,
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
        Moved to ``device`` (default: the device of its first parameter).
    batches : iterable
        Re-iterable source of batches (a DataLoader, a list, a sampler); iterated once per epoch.
    step_fn : callable
        ``step_fn(model, batch) -> loss`` or ``-> (loss, {"name": value, ...})``. ``batch`` has
        been moved to the device already. ``loss`` is a scalar tensor to minimise.
    optimizer : torch.optim.Optimizer
    n_epochs : int
        Passes over ``batches``.
    max_steps, max_seconds : optional
        Stop early after this many optimiser steps or this much wall time (checked after each
        step, so a budget is never overshot by more than one step).
    scheduler : optional
        Anything with ``.step()``; called after every optimiser step.
    eval_fn : callable, optional
        ``eval_fn(model) -> {"name": value}``, run in eval mode under ``torch.no_grad`` every
        ``eval_every`` steps (default: at the end of every epoch) and once at the end.
    history : History, optional
        Continue appending to an earlier run's history (step numbers continue).

    Returns
    -------
    History
        Per-step loss/metrics and per-evaluation metrics.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if not callable(step_fn):
        raise TypeError("step_fn must be callable: step_fn(model, batch) -> loss")
    if isinstance(n_epochs, bool) or not isinstance(n_epochs, int) or n_epochs < 1:
        raise ValueError(f"n_epochs must be an int >= 1, got {n_epochs!r}")
    if max_steps is not None and max_steps < 1:
        raise ValueError(f"max_steps must be >= 1, got {max_steps}")
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(f"max_seconds must be > 0, got {max_seconds}")
    if eval_every is not None and eval_every < 1:
        raise ValueError(f"eval_every must be >= 1, got {eval_every}")
    if device is None:
        first = next(model.parameters(), None)
        device = first.device if first is not None else torch.device("cpu")
    model.to(device)
    hist = history if history is not None else History()
    step = hist.step[-1] if hist.step else 0
    start = time.perf_counter()
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
        hist.eval_step.append(step)
        for k, v in values.items():
            hist.eval_metrics.setdefault(k, []).append(float(v))
        last_eval_step = step

    try:
        total = len(batches) * n_epochs  # type: ignore[arg-type]
    except TypeError:
        total = None
    if max_steps is not None:
        total = max_steps if total is None else min(total, max_steps)
    bar = tqdm(total=total, desc=desc, disable=not progress, leave=False)
    done = False
    n_done = 0
    model.train()
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
            hist.step.append(step)
            hist.loss.append(float(loss.detach()))
            for k, v in metrics.items():
                hist.metrics.setdefault(k, []).append(v)
            bar.update(1)
            bar.set_postfix(loss=f"{hist.loss[-1]:.4f}", refresh=False)
            if eval_every is not None and step % eval_every == 0:
                run_eval()
            if (max_steps is not None and n_done >= max_steps) or (
                max_seconds is not None and time.perf_counter() - start >= max_seconds
            ):
                done = True
                break
        if eval_every is None:
            run_eval()
        if done:
            break
    bar.close()
    run_eval()
    hist.seconds += time.perf_counter() - start
    if n_done == 0:
        raise ValueError("batches yielded no batch: nothing was trained")
    assert all(math.isfinite(v) for v in hist.loss[-n_done:])
    return hist
