"""The machinery shared by every exercise check: cases, what comes back, comparison, diagnosis.

A check is a list of ``Case`` (arguments to call the learner's function with), a reference
implementation, and a list of ``Mistake`` (plausible wrong implementations with a hint).
``run_check`` calls the learner's function on every case and, in this order, makes sure that

1. it ran (the exercise placeholder's own ``NotImplementedError`` means "not implemented yet";
   any other exception is the learner's, shown with the learner's traceback);
2. it left its inputs alone (a copy taken before the call is compared with the inputs after it);
3. what came back is the right *kind* of thing: a torch tensor where the reference returns one
   (not a numpy array, not a Python number from ``.item()``), with the reference's dtype, shape
   and device; a name (str) or None, a bool, an int where the reference returns those;
4. the values match, with a tolerance that fits the dtype and the scale of the values, and on
   degenerate cases (``Case.atol``) only "no NaN and within atol";
5. optionally (``Grad``) the result carries a gradient, ``backward()`` works and the gradient
   matches the reference's.

A hint is shown only when a known mistake reproduces the learner's output on *every* case.
``CheckFailed`` renders in IPython/Jupyter as its message alone (``_render_traceback_``), after
the learner's own traceback when the learner's code raised.
"""

from __future__ import annotations

import copy
import inspect
import os
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

__all__ = ["Case", "Mistake", "Grad", "CheckFailed", "PLACEHOLDER_PREFIX", "rel_error", "compare", "run_check"]

#: how the student build's placeholder message starts (coursekit.authoring.student_source writes it)
PLACEHOLDER_PREFIX = "Exercise: write"

_HERE = os.path.dirname(os.path.abspath(__file__))
_TORCH = os.path.dirname(os.path.abspath(torch.__file__))


def _is_learner_frame(filename: str) -> bool:
    path = os.path.abspath(filename)
    return not (path.startswith(_HERE + os.sep) or path.startswith(_TORCH + os.sep))


class CheckFailed(AssertionError):
    """Raised when a learner's function does not match the reference.

    In IPython/Jupyter it renders as the message alone; when the learner's own code raised,
    the learner's traceback (without the check's frames) comes first.

    Parameters
    ----------
    message : str
        What differs and the hint for the learner (shown instead of a traceback).
    learner_error : BaseException, optional
        The exception the learner's own code raised, if any; its frames are shown first.
    """

    def __init__(self, message: str, *, learner_error: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.learner_error = learner_error

    def _render_traceback_(self) -> list[str]:
        """IPython's protocol: the lines shown instead of the traceback through the check's code."""
        lines: list[str] = []
        if self.learner_error is not None:
            exc = self.learner_error
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if _is_learner_frame(f.filename)]
            if frames:
                lines.append("Traceback (your code, most recent call last):")
                for entry in traceback.format_list(frames):
                    lines.extend(entry.rstrip("\n").splitlines())
            lines.extend("".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n").splitlines())
            lines.append("")
        lines.extend(self.message.splitlines())
        return lines


@dataclass
class Case:
    """One call of the function under test: ``fn(*args, **kwargs)``, with a short name.

    ``atol`` marks a degenerate case (e.g. distances that are rounding error): values must be
    free of NaN and within ``atol`` of the reference, and gradients only finite.

    Parameters
    ----------
    name : str
        Short description shown in the check's messages (e.g. ``"one 6x5 page"``).
    args : tuple
        Positional arguments of the call.
    kwargs : dict
        Keyword arguments of the call.
    atol : float, optional
        Absolute tolerance for a degenerate case; None compares with the default tolerances.
    """

    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    atol: float | None = None


@dataclass
class Mistake:
    """A plausible wrong implementation and the hint to show when it reproduces the learner's output.

    Parameters
    ----------
    fn : callable
        The wrong implementation, with the signature of the function under test.
    hint : str
        The sentence shown when the learner's output equals ``fn``'s on every case.
    """

    fn: Callable[..., Any]
    hint: str


@dataclass
class Grad:
    """Ask ``run_check`` to backpropagate: ``wrt`` are the positions of the arguments to
    differentiate, ``output`` the position of the differentiable value in a returned tuple
    (None: the whole result).

    Parameters
    ----------
    wrt : tuple of int
        Positions of the (tensor) arguments whose gradients are compared.
    output : int, optional
        Position of the differentiable value in a returned tuple; None uses the whole result.
    """

    wrt: tuple[int, ...]
    output: int | None = None


# ---- describing and comparing values -------------------------------------------------------------

def _to_numpy(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy() if x.dtype != torch.bool else x.detach().cpu().numpy()
    return x


def rel_error(x: Any, y: Any) -> float:
    """CS231n's relative error ``max |x − y| / max(1e-8, |x| + |y|)``, elementwise then max.

    Parameters
    ----------
    x, y : Tensor, ndarray or number
        Values of the same shape (anything ``torch.as_tensor`` accepts).

    Returns
    -------
    float
        The largest elementwise relative error; 0.0 for equal inputs.
    """
    x = np.asarray(_to_numpy(x), dtype=np.float64)
    y = np.asarray(_to_numpy(y), dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"shapes differ: {x.shape} vs {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _describe(x: Any) -> str:
    if isinstance(x, torch.Tensor):
        return f"a {str(x.dtype).replace('torch.', '')} tensor of shape {tuple(x.shape)}"
    if type(x).__module__ == "torch.return_types":
        return f"torch.return_types.{type(x).__name__} (a (values, indices) pair)"
    if isinstance(x, np.ndarray):
        return f"a numpy array of shape {x.shape}"
    if isinstance(x, np.generic):
        return f"a numpy {type(x).__name__} ({x!r})"
    if isinstance(x, (bool, int, float)):
        return f"a Python {type(x).__name__} ({x!r})"
    if x is None:
        return "None"
    return f"a {type(x).__name__}"


_DTYPE_ADVICE = {
    "uint8": "keep the images uint8: 255 − x on a uint8 tensor stays uint8, while dividing, .float() or "
             "numpy change the dtype",
    "int64": "positions and class indices are integers (torch.int64) so that they can index a tensor: "
             "argmin/argmax/topk/nonzero give int64, a buffer from torch.zeros/torch.empty is float unless "
             "you pass dtype=torch.long",
    "bool": "a mask is boolean (dtype torch.bool): comparisons (==, !=, <) and &, |, ~ give one; "
            ".int()/.float() or arithmetic turn it into numbers",
    "float": "the result has the dtype of the input: a buffer from torch.zeros/torch.empty/torch.tensor is "
             "float32 unless you pass dtype=x.dtype, and float32 loses the input's precision",
}


def _dtype_problem(got: torch.Tensor, expected: torch.Tensor, path: str) -> str:
    e, g = str(expected.dtype).replace("torch.", ""), str(got.dtype).replace("torch.", "")
    msg = f"{path} has dtype torch.{g}, expected torch.{e}"
    if expected.dtype == torch.uint8:
        return f"{msg}: {_DTYPE_ADVICE['uint8']}"
    if expected.dtype == torch.bool:
        return f"{msg}: {_DTYPE_ADVICE['bool']}"
    if not expected.dtype.is_floating_point and not expected.dtype.is_complex:
        return f"{msg}: {_DTYPE_ADVICE['int64']}"
    return f"{msg}: {_DTYPE_ADVICE['float']}"


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _kind_problem(got: Any, expected: Any, path: str, any_float: Sequence[str] = ()) -> str | None:
    """What is wrong with the *kind* of ``got`` (type, dtype, shape, device, structure), or None.

    At the paths in ``any_float`` a tensor of any floating dtype is accepted."""
    if isinstance(expected, torch.Tensor):
        if type(got).__module__ == "torch.return_types":
            return (f"{path} is {_describe(got)}: torch.max/min(x, dim) return (values, indices); "
                    "take .values (or use x.amax(dim)) or .indices (x.argmax(dim))")
        if isinstance(got, (np.ndarray, np.generic)):
            return (f"{path} is {_describe(got)}: return a torch tensor (stay in torch; "
                    ".numpy() and numpy functions leave autograd and the device behind)")
        if isinstance(got, (bool, int, float)):
            return (f"{path} is {_describe(got)}, expected {_describe(expected)}: keep it a tensor — "
                    ".item(), float() and int() give a number with no gradient (J.backward() then fails)")
        if not isinstance(got, torch.Tensor):
            return f"{path} should be {_describe(expected)}, got {_describe(got)}"
        if got.shape != expected.shape:
            return f"{path} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
        if got.dtype != expected.dtype and not (path in any_float and got.dtype.is_floating_point
                                                 and expected.dtype.is_floating_point):
            return _dtype_problem(got, expected, path)
        if got.device != expected.device:
            return f"{path} is on {got.device}, expected {expected.device} (the input's device)"
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"{path} should be a {type(expected).__name__} of {len(expected)} items, got {_describe(got)}"
        if len(got) != len(expected):
            return f"{path} should have {len(expected)} items, got {len(got)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            msg = _kind_problem(g, e, f"{path}[{i}]", any_float)
            if msg:
                return msg
        return None
    if isinstance(expected, (bool, np.bool_)):
        if isinstance(got, (bool, np.bool_)) or (isinstance(got, torch.Tensor) and got.dtype == torch.bool
                                                 and got.numel() == 1):
            return None
        return f"{path} should be True or False (a bool), got {_describe(got)}"
    if isinstance(expected, (int, np.integer)):
        if isinstance(got, (int, np.integer)) and not isinstance(got, (bool, np.bool_)):
            return None
        if isinstance(got, torch.Tensor) and got.numel() == 1 and not got.dtype.is_floating_point \
                and got.dtype != torch.bool:
            return None
        if isinstance(got, (float, np.floating)):
            return f"{path} should be an int, got {_describe(got)}: use floor division //, not /"
        return f"{path} should be an int, got {_describe(got)}"
    if isinstance(expected, (float, np.floating)):
        if _is_number(got) or (isinstance(got, torch.Tensor) and got.numel() == 1 and got.dtype != torch.bool):
            return None
        return f"{path} should be a number, got {_describe(got)}"
    if isinstance(expected, str) or expected is None:
        if isinstance(got, str) or got is None:
            return None
        return (f"{path} should be a name (a str) or None, got {_describe(got)}: return the database's key "
                "(the person's name), not a position or a tensor")
    return None


def _fmt_index(idx: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in idx) + "]" if idx else ""


def _fmt(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.6g}"
    return str(v)


def _default_rtol(expected: Any) -> float:
    if isinstance(expected, torch.Tensor) and expected.dtype.is_floating_point:
        return {torch.float64: 1e-6, torch.float32: 1e-4}.get(expected.dtype, 1e-2)
    return 1e-6


def _array(x: Any) -> np.ndarray:
    a = np.asarray(_to_numpy(x))
    if a.dtype == object:
        raise TypeError(f"cannot compare {_describe(x)} as numbers")
    return a


def _value_problem(got: Any, expected: Any, path: str, rtol: float | None, atol: float | None) -> str | None:
    """What differs between the values of ``got`` and ``expected`` (kinds already checked), or None."""
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"{path} should be a {type(expected).__name__} of {len(expected)} items, got {_describe(got)}"
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            msg = _value_problem(g, e, f"{path}[{i}]", rtol, atol)
            if msg:
                return msg
        return None
    if isinstance(expected, str) or expected is None or isinstance(got, str) or got is None:
        return None if got == expected else f"{path} is {got!r}, expected {expected!r}"
    g, e = _array(got), _array(expected)
    if g.shape != e.shape:
        if g.size == e.size == 1:
            g, e = g.reshape(()), e.reshape(())
        else:
            return f"{path} has shape {g.shape}, expected {e.shape}"
    exact = e.dtype == bool or g.dtype == bool or (np.issubdtype(e.dtype, np.integer)
                                                    and np.issubdtype(g.dtype, np.integer))
    if exact:
        bad = g != e
    else:
        g64, e64 = g.astype(np.float64), e.astype(np.float64)
        tol_r = _default_rtol(expected) if rtol is None else rtol
        scale = float(np.abs(e64[np.isfinite(e64)]).max()) if np.isfinite(e64).any() else 1.0
        tol_a = tol_r * scale if atol is None else atol
        nan_g, nan_e = np.isnan(g64), np.isnan(e64)
        if (nan_g & ~nan_e).any():
            where = tuple(np.argwhere(nan_g & ~nan_e)[0])
            return f"{path}{_fmt_index(where)} is NaN, expected {_fmt(e64[where])}"
        with np.errstate(invalid="ignore"):
            bad = ~((np.abs(g64 - e64) <= tol_a + tol_r * np.abs(e64)) | (nan_g & nan_e) | (g64 == e64))
    if not bad.any():
        return None
    where = tuple(np.argwhere(bad)[0]) if bad.ndim else ()
    n_bad, n = int(bad.sum()), bad.size
    msg = f"{path}{_fmt_index(where)} is {_fmt(g[where])}, expected {_fmt(e[where])}"
    if n > 1:
        msg += f" ({n_bad} of {n} entries differ)"
    if atol is not None and not exact:
        msg += f"; on this case only rounding error is expected (|difference| ≤ {atol:g}, no NaN)"
    return msg


def compare(got: Any, expected: Any, *, rtol: float | None = None, atol: float | None = None,
            path: str = "output", check_kind: bool = True, any_float: Sequence[str] = ()) -> str | None:
    """Return None when ``got`` matches ``expected``, else a sentence saying what differs.

    With ``check_kind`` the kind comes first: a tensor where the reference returns one (same
    dtype, shape and device), a bool, an int, a number, a name (str) or None; tuples and lists
    element by element. Values: integers and booleans exactly (the first differing entry is
    named), floats within ``atol + rtol·|expected|`` where ``rtol`` defaults to the dtype's
    (1e-6 for float64, 1e-4 for float32) and ``atol`` to ``rtol`` times the largest |expected|.

    Parameters
    ----------
    got : Any
        The learner's output.
    expected : Any
        The reference output: a tensor, bool, int, float, str, None, or a tuple/list of those.
    rtol, atol : float, optional
        Tolerances for floating-point values (defaults as above).
    path : str
        How the compared value is named in the message (``"output"``, ``"output[1]"``...).
    check_kind : bool
        Compare the kind (type, dtype, shape, device) before the values.
    any_float : sequence of str
        Paths whose floating dtype may differ from the reference's (e.g. a float32 fraction).

    Returns
    -------
    str or None
        None when they match, else one sentence naming the first difference.
    """
    if check_kind:
        problem = _kind_problem(got, expected, path, any_float)
        if problem:
            return problem
    return _value_problem(got, expected, path, rtol, atol)


def _same_values(got: Any, wrong: Any, rtol: float | None) -> bool:
    try:
        return _value_problem(got, wrong, "output", rtol, None) is None
    except Exception:
        return False


# ---- running the learner's code ------------------------------------------------------------------

def _fresh(case: Case) -> tuple[tuple, dict]:
    return copy.deepcopy(case.args), copy.deepcopy(case.kwargs)


def _call(fn: Callable[..., Any], case: Case) -> Any:
    args, kwargs = _fresh(case)
    return fn(*args, **kwargs)


def _is_placeholder(exc: BaseException) -> bool:
    return isinstance(exc, NotImplementedError) and str(exc).startswith(PLACEHOLDER_PREFIX)


def _unchanged(before: Any, after: Any) -> bool:
    if isinstance(before, torch.Tensor):
        return (isinstance(after, torch.Tensor) and before.shape == after.shape and before.dtype == after.dtype
                and bool(torch.equal(before, after.detach())))
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and np.array_equal(before, after)
    if isinstance(before, dict):
        return (isinstance(after, dict) and before.keys() == after.keys()
                and all(_unchanged(before[k], after[k]) for k in before))
    if isinstance(before, (list, tuple)):
        return (isinstance(after, (list, tuple)) and len(before) == len(after)
                and all(_unchanged(b, a) for b, a in zip(before, after, strict=True)))
    try:
        return bool(before == after)
    except Exception:
        return True


def _param_names(fn: Callable[..., Any]) -> list[str]:
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


def _changed_input(pristine: tuple[tuple, dict], used: tuple[tuple, dict], names: list[str]) -> str | None:
    (args0, kwargs0), (args1, kwargs1) = pristine, used
    for i, (a0, a1) in enumerate(zip(args0, args1, strict=True)):
        if not _unchanged(a0, a1):
            return names[i] if i < len(names) else f"argument {i + 1}"
    for k in kwargs0:
        if not _unchanged(kwargs0[k], kwargs1[k]):
            return k
    return None


_IN_PLACE_ADVICE = ("Leave the inputs as they are and return a new result (e.g. `out = 255 - images`, not "
                    "`images[...] = ...`; no `-=`/`+=` on an input, no methods ending in _ such as .clamp_()).")


def _raised(name: str, case: Case, exc: Exception) -> CheckFailed:
    if _is_placeholder(exc):
        return CheckFailed(f"{name}: not implemented yet — write the body of the function, run its cell, "
                           "then run this check again.")
    return CheckFailed(f"{name}: case '{case.name}': your function raised {type(exc).__name__}: {exc}",
                       learner_error=exc)


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


class _Learner:
    """The learner's function with its outputs cached per case (for the every-case hint test)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn, self.outputs = fn, {}

    def output(self, index: int, case: Case) -> Any:
        if index not in self.outputs:
            self.outputs[index] = _call(self.fn, case)
        return self.outputs[index]


def _matching_hint(learner: _Learner, mistakes: Sequence[Mistake], cases: Sequence[Case],
                   rtol: float | None) -> str | None:
    for mistake in mistakes:
        try:
            if all(_same_values(learner.output(i, c), _call(mistake.fn, c), rtol) for i, c in enumerate(cases)):
                return mistake.hint
        except Exception:
            continue
    return None


def _requires_grad_copy(x: Any) -> Any:
    if isinstance(x, torch.Tensor) and x.dtype.is_floating_point:
        return x.detach().clone().requires_grad_(True)
    return x


def _gradients(fn: Callable[..., Any], case: Case, grad: Grad) -> tuple[Any, list[torch.Tensor | None]]:
    """Call ``fn`` on a copy of the case whose ``grad.wrt`` arguments require grad; return
    (the differentiable output, d Σ w·output / d inputs) with fixed weights w."""
    args, kwargs = _fresh(case)
    args = tuple(_requires_grad_copy(a) if i in grad.wrt else a for i, a in enumerate(args))
    out = fn(*args, **kwargs)
    y = out[grad.output] if grad.output is not None and isinstance(out, (tuple, list)) else out
    inputs = [args[i] for i in grad.wrt if isinstance(args[i], torch.Tensor) and args[i].requires_grad]
    if not isinstance(y, torch.Tensor) or not y.requires_grad:
        return y, []
    weights = (torch.arange(y.numel(), device=y.device) % 5 + 1).to(y.dtype).reshape(y.shape)
    grads = torch.autograd.grad((y * weights).sum(), inputs, allow_unused=True)
    return y, [g if g is not None else torch.zeros_like(x) for g, x in zip(grads, inputs, strict=True)]


def _grad_problem(name: str, learner_fn: Callable[..., Any], reference_fn: Callable[..., Any], case: Case,
                  grad: Grad, names: list[str], nan_hint: str | None, rtol: float | None) -> str | None:
    y_ref, expected = _gradients(reference_fn, case, grad)
    if not isinstance(y_ref, torch.Tensor) or not y_ref.requires_grad:
        return None  # nothing to differentiate in this case (e.g. plain numbers in, a number out)
    try:
        y, got = _gradients(learner_fn, case, grad)
    except Exception as exc:
        if isinstance(exc, NotImplementedError) and _is_placeholder(exc):
            raise _raised(name, case, exc) from None
        if isinstance(exc, RuntimeError) and "in-place operation" in str(exc):
            raise CheckFailed(f"{name}: case '{case.name}': your function changed an input in place, which "
                              f"breaks autograd ({exc}). {_IN_PLACE_ADVICE}", learner_error=exc) from exc
        raise CheckFailed(
            f"{name}: case '{case.name}': with inputs that require a gradient, your function or backward() "
            f"through its result raised {type(exc).__name__}: {exc}", learner_error=exc) from exc
    what = "the result" if grad.output is None else f"output[{grad.output}]"
    if not isinstance(y, torch.Tensor) or (expected and not got):
        return (f"{what} does not carry a gradient (requires_grad is False although the input requires "
                "one): .item(), float(), .numpy(), torch.tensor(...) of a tensor, .detach() and .data cut it "
                "off from autograd; stay with tensor operations so that backward() works")
    for i, (g, e) in enumerate(zip(got, expected, strict=True)):
        arg = names[grad.wrt[i]] if grad.wrt[i] < len(names) else f"argument {grad.wrt[i] + 1}"
        if not torch.isfinite(g).all():
            msg = f"the gradient of {what} with respect to `{arg}` contains NaN or inf"
            return msg + (f".\nLikely mistake: {nan_hint}" if nan_hint else "")
        if case.atol is None:
            problem = compare(g, e, rtol=rtol, path=f"d {what} / d {arg}", check_kind=False)
            if problem:
                return problem
    return None


def run_check(
    name: str,
    learner_fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    cases: Sequence[Case],
    *,
    mistakes: Sequence[Mistake] = (),
    rtol: float | None = None,
    grad: Grad | None = None,
    nan_hint: str | None = None,
    probes: Sequence[Callable[[Callable[..., Any]], str | None]] = (),
    any_float: Sequence[str] = (),
    verified: str = "",
    verbose: bool = True,
) -> None:
    """Compare ``learner_fn`` with ``reference_fn`` on every case; raise ``CheckFailed`` on the first miss.

    Parameters
    ----------
    name : str
        The exercise's function name, first word of every message.
    learner_fn, reference_fn : callable
        The learner's function and the reference, called as ``fn(*case.args, **case.kwargs)`` on copies.
    cases : sequence of Case
        At least one.
    mistakes : sequence of Mistake
        Known wrong versions; a hint is shown only when one reproduces the learner's output on every case.
    rtol : float, optional
        Relative tolerance for float values; default from the reference's dtype.
    grad : Grad, optional
        Also check that the result carries a gradient and that it matches the reference's.
    nan_hint : str, optional
        The hint shown when the learner's values or gradients contain NaN.
    probes : sequence of callable
        Extra checks run after every case passed: ``probe(learner_fn)`` returns None or a problem.
    any_float : sequence of str
        Output paths (e.g. ``"output[1]"``) where any floating dtype is accepted.
    verified : str
        What passing means, printed after the number of cases.
    verbose : bool
        Print the one-line success message.

    Returns
    -------
    None
        Nothing, so that a check cell shows no ``Out[n]``.
    """
    if not callable(learner_fn):
        raise TypeError(f"{name}: expected a function to check, got {_describe(learner_fn)}")
    if not cases:
        raise ValueError(f"{name}: a check needs at least one case")
    names = _param_names(learner_fn) or _param_names(reference_fn)
    learner = _Learner(learner_fn)
    for index, case in enumerate(cases):
        expected = _call(reference_fn, case)
        args, kwargs = _fresh(case)
        pristine = copy.deepcopy((args, kwargs))
        try:
            got = learner_fn(*args, **kwargs)
        except Exception as exc:  # the learner's code raised: say so, with their traceback
            raise _raised(name, case, exc) from exc
        learner.outputs[index] = got
        changed = _changed_input(pristine, (args, kwargs), names)
        if changed:
            raise CheckFailed(
                f"{name}: case '{case.name}': your function changed its input `{changed}` in place. "
                + _IN_PLACE_ADVICE)
        try:
            problem = compare(got, expected, rtol=rtol, atol=case.atol, any_float=any_float)
        except Exception as exc:
            problem = (f"comparing your output ({_describe(got)}) with the expected one raised "
                       f"{type(exc).__name__}: {exc}")
        if problem is None and grad is not None:
            problem = _grad_problem(name, learner_fn, reference_fn, case, grad, names, nan_hint, rtol)
            if problem:
                raise CheckFailed(_sentence(f"{name}: case '{case.name}' fails: {problem}"))
        if problem is None:
            continue
        if nan_hint and "NaN" in problem:
            hint = nan_hint
        else:
            hint = _matching_hint(learner, mistakes, cases, rtol)
        message = _sentence(f"{name}: case '{case.name}' fails: {problem}")
        message += f"\nLikely mistake: {hint}" if hint else ""
        raise CheckFailed(message)
    for probe in probes:
        problem = probe(learner_fn)
        if problem:
            raise CheckFailed(f"{name}: {problem}")
    if verbose:
        n = len(cases)
        print(f"{name}: {n} case{'s' if n != 1 else ''} pass" + (f" — {verified}" if verified else "."))
