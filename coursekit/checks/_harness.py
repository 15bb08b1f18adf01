"""The machinery shared by every exercise check: cases, comparison, diagnosis.

A check is a list of ``Case`` (arguments to call the learner's function with), a reference
implementation, and a list of ``Mistake`` (plausible wrong implementations with a hint). When
the learner's output differs from the reference on a case, the check looks for a mistake whose
output matches the learner's and, if one does, prints its hint.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

__all__ = ["Case", "Mistake", "CheckFailed", "rel_error", "compare", "run_check"]


class CheckFailed(AssertionError):
    """Raised when a learner's function does not match the reference."""


@dataclass
class Case:
    """One call of the function under test: ``fn(*args, **kwargs)``, with a short name."""

    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


@dataclass
class Mistake:
    """A plausible wrong implementation and the hint to show when the learner's output matches it."""

    fn: Callable[..., Any]
    hint: str


def _to_numpy(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy() if x.dtype != torch.bool else x.cpu().numpy()
    return x


def rel_error(x: Any, y: Any) -> float:
    """CS231n's relative error ``max |x − y| / max(1e-8, |x| + |y|)``, elementwise then max."""
    x = np.asarray(_to_numpy(x), dtype=np.float64)
    y = np.asarray(_to_numpy(y), dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"shapes differ: {x.shape} vs {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def compare(got: Any, expected: Any, *, tol: float = 1e-6, path: str = "output") -> str | None:
    """Return None when ``got`` matches ``expected``, else a sentence saying what differs.

    Tensors/arrays must have the same shape (and both be boolean or both numeric) and a
    relative error at most ``tol``; tuples/lists are compared element by element; other
    values with ``==``.
    """
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"{path} should be a {type(expected).__name__} of {len(expected)} items, got {type(got).__name__}"
        if len(got) != len(expected):
            return f"{path} should have {len(expected)} items, got {len(got)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            msg = compare(g, e, tol=tol, path=f"{path}[{i}]")
            if msg:
                return msg
        return None
    if isinstance(expected, (torch.Tensor, np.ndarray)) or isinstance(got, (torch.Tensor, np.ndarray)):
        if not isinstance(got, (torch.Tensor, np.ndarray, float, int, np.floating, np.integer)):
            return f"{path} should be a tensor, got {type(got).__name__}"
        g, e = np.asarray(_to_numpy(got)), np.asarray(_to_numpy(expected))
        if g.shape != e.shape:
            return f"{path} has shape {tuple(g.shape)}, expected {tuple(e.shape)}"
        if e.dtype == bool or g.dtype == bool:
            if g.dtype != e.dtype:
                return f"{path} has dtype {g.dtype}, expected {e.dtype}"
            n_bad = int((g != e).sum())
            return None if n_bad == 0 else f"{path} differs in {n_bad} of {e.size} entries"
        if np.isnan(g).any() and not np.isnan(e).any():
            return f"{path} contains NaN"
        err = rel_error(g, e)
        return None if err <= tol else f"{path} has relative error {err:.2e} (tolerance {tol:.0e})"
    if isinstance(expected, float) or isinstance(got, float):
        try:
            err = rel_error(float(got), float(expected))
        except (TypeError, ValueError):
            return f"{path} should be a number, got {type(got).__name__}"
        return None if err <= tol else f"{path} is {float(got):.6g}, expected {float(expected):.6g}"
    return None if got == expected else f"{path} is {got!r}, expected {expected!r}"


def _call(fn: Callable[..., Any], case: Case) -> Any:
    # deep copies: a function that modifies its input must not change the next call's input
    return fn(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))


def run_check(
    name: str,
    learner_fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    cases: Sequence[Case],
    *,
    mistakes: Sequence[Mistake] = (),
    tol: float = 1e-6,
    verbose: bool = True,
) -> int:
    """Compare ``learner_fn`` with ``reference_fn`` on every case; raise ``CheckFailed`` on the first miss.

    Returns the number of cases passed (all of them) and prints one line saying so.
    """
    if not callable(learner_fn):
        raise TypeError(f"{name}: expected a function to check, got {type(learner_fn).__name__}")
    if not cases:
        raise ValueError(f"{name}: a check needs at least one case")
    for case in cases:
        expected = _call(reference_fn, case)
        try:
            got = _call(learner_fn, case)
        except NotImplementedError as exc:
            raise CheckFailed(f"{name}: not implemented yet ({exc})") from None
        except Exception as exc:  # the learner's code raised: say where
            raise CheckFailed(
                f"{name}: case '{case.name}' raised {type(exc).__name__}: {exc}"
            ) from exc
        problem = compare(got, expected, tol=tol)
        if problem is None:
            continue
        hint = None
        for mistake in mistakes:
            try:
                wrong = _call(mistake.fn, case)
            except Exception:
                continue
            if compare(got, wrong, tol=tol) is None:
                hint = mistake.hint
                break
        message = f"{name}: case '{case.name}' fails: {problem}."
        message += f"\nLikely mistake: {hint}" if hint else ""
        raise CheckFailed(message)
    if verbose:
        print(f"{name}: all {len(cases)} cases pass.")
    return len(cases)
