"""One set of input rules for every public function of coursekit.

The rule everywhere: a value of the wrong *type* raises ``TypeError``, a value of the right
type but a wrong *value* (shape, range, NaN...) raises ``ValueError``; both messages name the
argument, say what was expected and show what came in. Every spelling that means the same
thing is accepted: labels of any integer dtype, NumPy integers and floats, 0-d tensors as
scalars. ``bool`` is never taken for a number (``True`` is not a margin).

Each ``check_*`` function returns the value in its canonical form (a Python ``int`` or
``float``, a ``torch.device``...), so a caller writes ``margin = check_float(margin, "margin")``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np
import torch

__all__ = [
    "INTEGER_DTYPES",
    "describe",
    "check_tensor",
    "check_embeddings",
    "check_paired_embeddings",
    "check_array",
    "check_labels",
    "check_int",
    "check_float",
    "check_probability",
    "check_bool",
    "check_choice",
    "check_device",
    "check_generator",
]

#: The integer dtypes accepted for labels and indices (``torch.bool`` is not one of them).
INTEGER_DTYPES = frozenset(
    {torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64}
    | {getattr(torch, name) for name in ("uint16", "uint32", "uint64") if hasattr(torch, name)}
)


def describe(value) -> str:
    """A short description of ``value`` for error messages: type, and dtype/shape for arrays.

    Parameters
    ----------
    value : object

    Returns
    -------
    str
        E.g. ``"Tensor(dtype=torch.float32, shape=(3, 2))"``, ``"list"`` or ``"str '0.6'"``.

    Examples
    --------
    >>> describe(torch.zeros(2, 3))
    'Tensor(dtype=torch.float32, shape=(2, 3))'
    """
    if isinstance(value, torch.Tensor):
        return f"Tensor(dtype={value.dtype}, shape={tuple(value.shape)})"
    if isinstance(value, np.ndarray):
        return f"ndarray(dtype={value.dtype}, shape={value.shape})"
    if isinstance(value, (str, bool, int, float, np.generic)):
        return f"{type(value).__name__} {value!r}"
    return type(value).__name__


def check_tensor(
    x,
    name: str,
    *,
    ndim: int | Iterable[int] | None = None,
    shape: str | None = None,
    floating: bool = False,
    finite: bool = False,
    min_len: int = 0,
) -> torch.Tensor:
    """Check that ``x`` is a tensor with the expected number of dimensions and kind.

    Parameters
    ----------
    x : object
        The value to check.
    name : str
        The argument's name, used in messages.
    ndim : int or iterable of int, optional
        Allowed numbers of dimensions.
    shape : str, optional
        The expected shape in words, e.g. ``"(B, D)"``, for messages.
    floating : bool
        Require a floating-point dtype.
    finite : bool
        Reject NaN and ±inf (only meaningful with ``floating``).
    min_len : int
        Minimum size of the first dimension.

    Returns
    -------
    Tensor
        ``x`` itself.

    Raises
    ------
    TypeError
        ``x`` is not a tensor, or not floating point when ``floating``.
    ValueError
        Wrong number of dimensions, too short, or non-finite values.

    Examples
    --------
    >>> check_tensor(torch.zeros(2, 3), "x", ndim=2).shape
    torch.Size([2, 3])
    """
    what = f"a torch.Tensor of shape {shape}" if shape else "a torch.Tensor"
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be {what}, got {describe(x)}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.dim() not in allowed:
            expected = shape or f"{' or '.join(map(str, allowed))} dimensions"
            raise ValueError(f"{name} must have shape {expected}, got {tuple(x.shape)}")
    if floating and not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if min_len and (x.dim() == 0 or x.shape[0] < min_len):
        raise ValueError(f"{name} must have at least {min_len} rows, got shape {tuple(x.shape)}")
    if finite and x.is_floating_point() and not bool(torch.isfinite(x).all()):
        n_bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name} must contain only finite values, got {n_bad} NaN or infinite entries")
    return x


def check_embeddings(x, name: str = "embeddings", *, min_rows: int = 1) -> torch.Tensor:
    """Check a finite floating-point matrix of row vectors.

    Parameters
    ----------
    x : Tensor of shape (N, D)
    name : str
    min_rows : int
        Minimum N.

    Returns
    -------
    Tensor of shape (N, D)
        ``x`` itself.

    Examples
    --------
    >>> check_embeddings(torch.ones(3, 2)).shape
    torch.Size([3, 2])
    """
    check_tensor(x, name, ndim=2, shape="(N, D)", floating=True)
    if x.shape[0] < min_rows:
        raise ValueError(f"{name} must have at least {min_rows} rows, got shape {tuple(x.shape)}")
    if x.shape[1] < 1:
        raise ValueError(f"{name} must have at least one column (D >= 1), got shape {tuple(x.shape)}")
    return check_tensor(x, name, finite=True)


def check_paired_embeddings(
    a, b, name_a: str = "a", name_b: str = "b", *, shape: str = "(P, D)"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Check two embedding matrices whose row i form pair i: each as ``check_embeddings``, same shape.

    Parameters
    ----------
    a, b : Tensor of shape (P, D)
        Finite floating-point rows.
    name_a, name_b : str
        The arguments' names, for the messages.
    shape : str
        How the shape is named in the message (``"(P, D)"`` for pairs, ``"(N, D)"``...).

    Returns
    -------
    tuple of Tensor of shape (P, D)
        ``(a, b)`` themselves.

    Raises
    ------
    TypeError
        If either is not a floating-point tensor.
    ValueError
        If either is not a finite (P, D) matrix, or their shapes differ.

    Examples
    --------
    >>> [tuple(t.shape) for t in check_paired_embeddings(torch.ones(3, 2), torch.zeros(3, 2))]
    [(3, 2), (3, 2)]
    """
    check_embeddings(a, name_a)
    check_embeddings(b, name_b)
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape {shape}, "
                         f"got {tuple(a.shape)} and {tuple(b.shape)}")
    return a, b


def check_array(x, name: str, *, ndim: int = 1, shape: str = "(P,)") -> np.ndarray:
    """An array-like (tensor, NumPy array, list) as a non-empty NumPy array with ``ndim`` dims.

    For metrics and figures that work on NumPy: a tensor is detached and moved to the CPU.

    Parameters
    ----------
    x : Tensor, ndarray or sequence
        E.g. scores of shape (P,), or points of shape (N, 2).
    name : str
        The argument's name, for the messages.
    ndim : int
        The number of dimensions expected.
    shape : str
        How the expected shape is named in the messages.

    Returns
    -------
    ndarray of ``ndim`` dims, at least one entry
        In the input's dtype.

    Raises
    ------
    TypeError
        For None, a str, bytes, a dict or a set.
    ValueError
        For another number of dimensions, or no entries.

    Examples
    --------
    >>> check_array(torch.tensor([0.5, 1.0]), "scores")
    array([0.5, 1. ], dtype=float32)
    """
    if isinstance(x, (str, bytes, dict, set)) or x is None:
        raise TypeError(f"{name} must be an array-like of shape {shape}, got {describe(x)}")
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    a = np.asarray(x)
    if a.ndim != ndim or a.size == 0:
        raise ValueError(f"{name} must be a non-empty {ndim}-D array of shape {shape}, got shape {a.shape}")
    return a


def check_labels(labels, name: str = "labels", *, n: int | None = None, min_len: int = 1) -> torch.Tensor:
    """Check a 1-D tensor of integer class ids (any integer dtype).

    Parameters
    ----------
    labels : Tensor of shape (N,), integer
        A list or NumPy array is refused with ``TypeError``: convert it with ``torch.as_tensor``.
    name : str
    n : int, optional
        The required length (e.g. the number of embeddings).
    min_len : int
        Minimum length.

    Returns
    -------
    Tensor of shape (N,)
        ``labels`` itself, dtype unchanged.

    Examples
    --------
    >>> check_labels(torch.tensor([0, 1], dtype=torch.int8)).dtype
    torch.int8
    """
    check_tensor(labels, name, ndim=1, shape="(N,)")
    if labels.dtype not in INTEGER_DTYPES:
        raise TypeError(f"{name} must be an integer tensor (class ids), got dtype {labels.dtype}")
    if n is not None and len(labels) != n:
        raise ValueError(f"{name} must have {n} entries (one per row), got {len(labels)}")
    if len(labels) < min_len:
        raise ValueError(f"{name} must have at least {min_len} entries, got {len(labels)}")
    return labels


def _scalar(value):
    """Unwrap a 0-d tensor or a NumPy scalar into a Python number; leave anything else alone."""
    if isinstance(value, torch.Tensor) and value.dim() == 0 and value.dtype != torch.bool:
        return value.item()
    if isinstance(value, np.generic) and not isinstance(value, np.bool_):
        return value.item()
    return value


def _range_text(minimum, maximum) -> str:
    if minimum is not None and maximum is not None:
        return f" in [{minimum}, {maximum}]"
    if minimum is not None:
        return f" >= {minimum}"
    if maximum is not None:
        return f" <= {maximum}"
    return ""


def check_int(value, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Check an integer (Python, NumPy or 0-d integer tensor; not ``bool``) and its range.

    Parameters
    ----------
    value : int-like
    name : str
    minimum, maximum : int, optional
        Inclusive bounds.

    Returns
    -------
    int

    Examples
    --------
    >>> check_int(np.int64(3), "k", minimum=1)
    3
    """
    v = _scalar(value)
    if isinstance(v, bool) or not isinstance(v, Integral):
        raise TypeError(f"{name} must be an int{_range_text(minimum, maximum)}, got {describe(value)}")
    v = int(v)
    if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
        raise ValueError(f"{name} must be an int{_range_text(minimum, maximum)}, got {v}")
    return v


def check_float(
    value,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    finite: bool = True,
) -> float:
    """Check a real number (int, float, NumPy scalar or 0-d tensor; not ``bool``); NaN is refused.

    Parameters
    ----------
    value : float-like
    name : str
    minimum, maximum : float, optional
        Inclusive bounds.
    finite : bool
        Refuse ±inf too (NaN is always refused).

    Returns
    -------
    float

    Examples
    --------
    >>> check_float(torch.tensor(0.5), "threshold")
    0.5
    """
    v = _scalar(value)
    if isinstance(v, bool) or not isinstance(v, Real):
        raise TypeError(f"{name} must be a real number{_range_text(minimum, maximum)}, got {describe(value)}")
    v = float(v)
    if math.isnan(v) or (finite and math.isinf(v)):
        raise ValueError(f"{name} must be a {'finite ' if finite else ''}number, got {v}")
    if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
        raise ValueError(f"{name} must be a number{_range_text(minimum, maximum)}, got {v}")
    return v


def check_probability(value, name: str) -> float:
    """Check a probability in [0, 1].

    Parameters
    ----------
    value : float-like
    name : str

    Returns
    -------
    float

    Examples
    --------
    >>> check_probability(1, "p")
    1.0
    """
    return check_float(value, name, minimum=0.0, maximum=1.0)


def check_bool(value, name: str) -> bool:
    """Check a flag: ``bool`` or ``numpy.bool_`` only (``1`` and ``"yes"`` are refused).

    Parameters
    ----------
    value : bool
    name : str

    Returns
    -------
    bool

    Examples
    --------
    >>> check_bool(np.bool_(True), "squared")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def check_choice(value, name: str, choices: Iterable[str]) -> str:
    """Check that ``value`` is one of the names in ``choices``.

    Parameters
    ----------
    value : str
    name : str
    choices : iterable of str

    Returns
    -------
    str

    Examples
    --------
    >>> check_choice("mean", "reduction", ("mean", "sum", "none"))
    'mean'
    """
    choices = tuple(choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {choices}, got {describe(value)}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_device(value, name: str = "device") -> torch.device:
    """Check a device (``str`` or ``torch.device``) and that it exists on this machine.

    Parameters
    ----------
    value : str or torch.device
        E.g. ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``.
    name : str

    Returns
    -------
    torch.device

    Raises
    ------
    TypeError
        Not a string or device.
    ValueError
        Not a device name, or a device this machine does not have (``"cuda"`` without a GPU).

    Examples
    --------
    >>> check_device("cpu")
    device(type='cpu')
    """
    if not isinstance(value, (str, torch.device)):
        raise TypeError(f"{name} must be a device name such as 'cpu' or 'cuda', or a torch.device, got {describe(value)}")
    try:
        dev = torch.device(value)
    except (RuntimeError, ValueError) as err:
        raise ValueError(f"{name} must be a device name such as 'cpu' or 'cuda', got {value!r}") from err
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"{name}={str(value)!r} asks for a GPU, but torch.cuda.is_available() is False on this machine; "
                "use 'cpu' or coursekit.config.device() (which picks CUDA only when present)"
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"{name}={str(value)!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if dev.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        raise ValueError(f"{name}={str(value)!r} asks for Apple's MPS, which is not available here; use 'cpu'")
    return dev


def check_generator(value, name: str = "generator") -> torch.Generator | None:
    """Check the one RNG convention: a ``torch.Generator``, or None for torch's default generator.

    Parameters
    ----------
    value : torch.Generator or None
    name : str

    Returns
    -------
    torch.Generator or None

    Examples
    --------
    >>> check_generator(None) is None
    True
    """
    if value is not None and not isinstance(value, torch.Generator):
        hint = " (pass generator=torch.Generator().manual_seed(seed))" if isinstance(value, Integral) else ""
        raise TypeError(f"{name} must be a torch.Generator or None, got {describe(value)}{hint}")
    return value
