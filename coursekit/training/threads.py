"""Choosing torch's CPU thread count for a training loop by measuring it, again and again.

A step of a small network (Omniglot's conv4 on 28×28 glyphs) is hundreds of short parallel
operations, and each ends when its *slowest* thread ends. On an idle 2-core machine two threads
are the fastest (here 84 ms a step against about 140 ms with one); when another program takes
one of the cores, a thread waits for its time slice at every one of those operations, and one
thread becomes the faster (140 ms against 215–245 ms with two, measured with one busy process
beside it; far worse with more). Which one wins changes while the machine's load does, so
:class:`ThreadTuner` times a few steps with each candidate, keeps the faster, and measures again
every ``every`` seconds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence

import torch

from ..validation import check_int, describe

__all__ = ["ThreadTuner"]


class ThreadTuner:
    """Time training steps with each thread count in ``candidates``; run with the fastest.

    Call :meth:`step_done` after every step and :meth:`close` at the end (or use it as a
    context manager): it restores the thread count it found. A round of measurement starts with
    the count in use; each other candidate gets one step to switch (not timed) and then
    ``probe_steps`` timed ones — fewer when a step already takes over twice the best median,
    so that a bad candidate costs little on a busy machine. When a round confirms the choice,
    the next one waits twice as long (up to ``8 · every``).

    Parameters
    ----------
    candidates : sequence of int, optional
        Thread counts to compare; default 1, half and all of ``torch.get_num_threads()``.
        With one candidate the tuner does nothing.
    probe_steps : int
        Timed steps per candidate in a round (their median decides).
    every : float
        Seconds of training between rounds.
    clock : callable
        Returns seconds (``time.perf_counter``; replaceable in tests).

    Attributes
    ----------
    chosen : list of (float, int)
        (clock time, thread count) for every decision, for a report.

    Examples
    --------
    >>> with ThreadTuner(candidates=[1]) as tuner:
    ...     tuner.step_done()
    >>> tuner.chosen
    []
    """

    def __init__(self, candidates: Sequence[int] | None = None, *, probe_steps: int = 3, every: float = 60.0,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.original = torch.get_num_threads()
        if candidates is None:
            candidates = [1, max(1, self.original // 2), self.original]
        if isinstance(candidates, (str, bytes)) or not isinstance(candidates, Sequence) or not candidates:
            raise TypeError(f"candidates must be a non-empty sequence of thread counts, got {describe(candidates)}")
        self.candidates = sorted({check_int(c, "each candidate", minimum=1) for c in candidates})
        self.probe_steps = check_int(probe_steps, "probe_steps", minimum=1)
        if isinstance(every, bool) or not isinstance(every, (int, float)) or not every > 0:
            raise ValueError(f"every must be a positive number of seconds, got {every!r}")
        self.every, self.clock = float(every), clock
        self.chosen: list[tuple[float, int]] = []
        self._interval = self.every
        self._todo: list[int] = []  # candidates left in this round, the one running first
        self._times: dict[int, list[float]] = {}
        self._untimed = False
        self._last = clock()
        if len(self.candidates) > 1:
            self._start_round()

    def _start_round(self) -> None:
        current = torch.get_num_threads()
        self._todo = sorted(self.candidates, key=lambda c: c != current)  # no switch to start with
        self._times = {c: [] for c in self.candidates}
        self._begin(self._todo[0])

    def _begin(self, n: int) -> None:
        self._untimed = torch.get_num_threads() != n  # the step that pays for a switch
        torch.set_num_threads(n)

    def _best_median(self, other_than: int) -> float | None:
        done = [statistics.median(t) for c, t in self._times.items() if t and c != other_than]
        return min(done) if done else None

    def step_done(self) -> None:
        """Record that one training step ended now; switch threads when a decision is due."""
        now = self.clock()
        took, self._last = now - self._last, now
        if len(self.candidates) == 1:
            return
        if not self._todo:  # running with the choice
            if now >= self._next_round:
                self._start_round()
            return
        c = self._todo[0]
        best = self._best_median(other_than=c)
        hopeless = best is not None and took > 2 * best
        if not self._untimed or (hopeless and not self._times[c]):
            self._times[c].append(took)
        self._untimed = False
        if len(self._times[c]) < self.probe_steps and not hopeless:
            return
        self._todo.pop(0)
        if self._todo:
            self._begin(self._todo[0])
            return
        medians = {c: statistics.median(t) for c, t in self._times.items() if t}
        best_n = min(medians, key=medians.get)
        same = bool(self.chosen) and self.chosen[-1][1] == best_n
        self._interval = min(2 * self._interval, 8 * self.every) if same else self.every
        torch.set_num_threads(best_n)
        self.chosen.append((now, best_n))
        self._next_round = now + self._interval

    def close(self) -> None:
        """Restore the thread count found at construction."""
        torch.set_num_threads(self.original)

    def __enter__(self) -> ThreadTuner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
