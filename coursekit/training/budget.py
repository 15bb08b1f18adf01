"""When training stops, and what a run shows while it goes: one budget of steps and/or seconds.

:class:`TrainingBudget` ends a run after ``max_steps`` optimiser steps or ``max_seconds`` wall
seconds, whichever comes first; :class:`CosineByBudget` decays the learning rate over the spent
fraction of it; :class:`BudgetBar` is the progress bar :func:`~coursekit.training.loop.fit` shows:
seconds of ``max_seconds`` for a time budget, steps of N otherwise — never a bar of a billion steps
with an ETA of years.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from ..validation import check_float, check_int, describe

__all__ = ["TrainingBudget", "CosineByBudget", "BudgetBar"]


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


class BudgetBar:
    """A tqdm bar over the budget that binds: seconds of ``max_seconds``, else steps of N.

    A time-limited run shows ``elapsed/max_seconds s`` (its ETA is the time left, at most), with
    the step count in the postfix; a run limited by steps or epochs shows ``steps/N``. Never a bar
    of a billion steps.

    Parameters
    ----------
    total_steps : int, optional
        Steps the run will take at most, when known.
    max_seconds : float, optional
        The time budget; when given, the bar counts seconds.
    desc : str
    enabled : bool
        False draws nothing.
    """

    def __init__(self, total_steps: int | None, max_seconds: float | None, desc: str, enabled: bool) -> None:
        self.total_steps, self.max_seconds = total_steps, max_seconds
        if max_seconds is not None:
            self.bar = tqdm(total=max_seconds, desc=desc, disable=not enabled, leave=False, unit="s",
                            bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f} s [{elapsed}<{remaining}{postfix}]")
        else:
            self.bar = tqdm(total=total_steps, desc=desc, disable=not enabled, leave=False, unit="step")

    def update(self, steps: int, seconds: float, loss: float) -> None:
        """Show the state of the run.

        Parameters
        ----------
        steps : int
            Steps done in this run.
        seconds : float
            Wall seconds since the start.
        loss : float
            The last step's loss.
        """
        of = f"/{self.total_steps}" if self.total_steps is not None else ""
        if self.max_seconds is not None:
            self.bar.set_postfix_str(f"step {steps}{of}, loss {loss:.4f}", refresh=False)
            self.bar.update(min(seconds, self.max_seconds) - self.bar.n)
        else:
            self.bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        """Draw the final state and close the bar."""
        self.bar.refresh()  # the final count, even when the last update fell inside tqdm's mininterval
        self.bar.close()
