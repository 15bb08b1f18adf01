"""coursekit.validation: one set of rules — TypeError for a wrong type, ValueError for a wrong value,
each naming the argument, what was expected and what came; every spelling of a valid value accepted."""

import math

import numpy as np
import pytest
import torch

from coursekit.validation import (
    INTEGER_DTYPES,
    check_array,
    check_bool,
    check_choice,
    check_device,
    check_embeddings,
    check_float,
    check_generator,
    check_int,
    check_labels,
    check_paired_embeddings,
    check_probability,
    check_tensor,
    describe,
)


# ----------------------------------------------------------------------------- integers
@pytest.mark.parametrize("value", [3, np.int8(3), np.int64(3), np.uint16(3), torch.tensor(3), torch.tensor(3, dtype=torch.int8)])
def test_int_accepts_every_integer_spelling(value):
    out = check_int(value, "k", minimum=1)
    assert out == 3 and type(out) is int


@pytest.mark.parametrize(
    ("value", "got"),
    [(True, "bool True"), (np.True_, "bool"), (3.0, "float 3.0"), ("3", "str '3'"), (None, "NoneType"),
     (torch.tensor([3]), r"Tensor\(dtype=torch.int64, shape=\(1,\)\)"), (torch.tensor(3.0), "Tensor")],
)
def test_int_rejects_other_types_with_type_error(value, got):
    with pytest.raises(TypeError, match=rf"k must be an int >= 1, got {got}"):
        check_int(value, "k", minimum=1)


def test_int_range_is_a_value_error():
    with pytest.raises(ValueError, match=r"k must be an int in \[1, 5\], got 0"):
        check_int(0, "k", minimum=1, maximum=5)
    with pytest.raises(ValueError, match=r"k must be an int <= 5, got 6"):
        check_int(np.int64(6), "k", maximum=5)


# ----------------------------------------------------------------------------- floats
@pytest.mark.parametrize("value", [0.5, np.float32(0.5), np.float64(0.5), torch.tensor(0.5), torch.tensor(0.5, dtype=torch.float64)])
def test_float_accepts_every_real_spelling(value):
    out = check_float(value, "threshold")
    assert out == 0.5 and type(out) is float
    assert check_float(2, "margin") == 2.0 and check_float(np.int32(2), "margin") == 2.0


@pytest.mark.parametrize("value", [True, "0.6", None, [0.5], torch.tensor([0.5]), 1 + 2j])
def test_float_rejects_other_types(value):
    with pytest.raises(TypeError, match="threshold must be a real number, got"):
        check_float(value, "threshold")


@pytest.mark.parametrize("value", [math.nan, np.float32("nan"), torch.tensor(math.nan), math.inf, -np.inf])
def test_float_rejects_nan_and_inf_consistently(value):
    with pytest.raises(ValueError, match="threshold must be a finite number, got"):
        check_float(value, "threshold")


def test_float_inf_allowed_on_request_but_never_nan():
    assert check_float(math.inf, "threshold", finite=False) == math.inf
    with pytest.raises(ValueError, match="threshold must be a number, got nan"):
        check_float(math.nan, "threshold", finite=False)


def test_float_range_and_probability():
    with pytest.raises(ValueError, match=r"margin must be a number >= 0.0, got -0.1"):
        check_float(-0.1, "margin", minimum=0.0)
    assert check_probability(np.float32(1.0), "p") == 1.0
    with pytest.raises(ValueError, match=r"p must be a number in \[0.0, 1.0\], got 1.5"):
        check_probability(1.5, "p")
    with pytest.raises(TypeError, match="p must be a real number"):
        check_probability(True, "p")


# ----------------------------------------------------------------------------- flags and names
def test_bool_and_choice():
    assert check_bool(True, "squared") is True and check_bool(np.bool_(False), "squared") is False
    for bad in (1, 0, "yes", None, torch.tensor(True)):
        with pytest.raises(TypeError, match="squared must be True or False"):
            check_bool(bad, "squared")
    assert check_choice("sum", "reduction", ["mean", "sum"]) == "sum"
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum'\), got 'max'"):
        check_choice("max", "reduction", ["mean", "sum"])
    with pytest.raises(TypeError, match=r"reduction must be one of .*, got NoneType"):
        check_choice(None, "reduction", ["mean", "sum"])


# ----------------------------------------------------------------------------- tensors
@pytest.mark.parametrize("dtype", sorted(INTEGER_DTYPES, key=str))
def test_labels_accept_every_integer_dtype(dtype):
    labels = torch.tensor([0, 1, 1], dtype=dtype)
    assert check_labels(labels) is labels


@pytest.mark.parametrize(
    ("labels", "err", "match"),
    [
        ([0, 1, 1], TypeError, r"labels must be a torch.Tensor of shape \(N,\), got list"),
        (np.array([0, 1, 1]), TypeError, r"labels must be a torch.Tensor of shape \(N,\), got ndarray\(dtype=int64"),
        (torch.tensor([0.0, 1.0]), TypeError, "labels must be an integer tensor .* got dtype torch.float32"),
        (torch.tensor([True, False]), TypeError, "labels must be an integer tensor .* got dtype torch.bool"),
        (torch.zeros(2, 2, dtype=torch.int64), ValueError, r"labels must have shape \(N,\), got \(2, 2\)"),
        (torch.tensor([0, 1]), ValueError, "labels must have 3 entries"),
    ],
)
def test_labels_reject(labels, err, match):
    with pytest.raises(err, match=match):
        check_labels(labels, n=3)


def test_labels_minimum_length():
    with pytest.raises(ValueError, match="y must have at least 2 entries, got 1"):
        check_labels(torch.tensor([4]), "y", min_len=2)


def test_embeddings():
    x = torch.ones(3, 2, dtype=torch.float16)
    assert check_embeddings(x) is x
    with pytest.raises(ValueError, match=r"e must have shape \(N, D\), got \(3,\)"):
        check_embeddings(torch.ones(3), "e")
    with pytest.raises(TypeError, match="e must be a floating-point tensor, got dtype torch.int64"):
        check_embeddings(torch.ones(3, 2, dtype=torch.int64), "e")
    with pytest.raises(ValueError, match="e must contain only finite values, got 2 NaN or infinite"):
        check_embeddings(torch.tensor([[math.nan, math.inf], [0.0, 1.0]]), "e")
    with pytest.raises(ValueError, match="e must have at least 2 rows"):
        check_embeddings(torch.ones(1, 2), "e", min_rows=2)
    with pytest.raises(ValueError, match="at least one column"):
        check_embeddings(torch.ones(2, 0), "e")


def test_paired_embeddings():
    a, b = torch.ones(3, 2), torch.zeros(3, 2)
    got = check_paired_embeddings(a, b)
    assert got[0] is a and got[1] is b
    with pytest.raises(ValueError, match=r"a and b must have the same shape \(P, D\), got \(3, 2\) and \(2, 2\)"):
        check_paired_embeddings(a, b[:2])
    with pytest.raises(ValueError, match=r"x and y must have the same shape \(N, D\)"):
        check_paired_embeddings(a, torch.ones(3, 4), "x", "y", shape="(N, D)")
    with pytest.raises(TypeError, match="b must be a floating-point tensor"):
        check_paired_embeddings(a, b.long())
    with pytest.raises(ValueError, match="a must contain only finite values"):
        check_paired_embeddings(torch.full((3, 2), math.nan), b)


def test_tensor_ndim_choices_and_describe():
    assert check_tensor(torch.ones(2, 3, 4), "x", ndim=(3, 4)).dim() == 3
    with pytest.raises(ValueError, match=r"x must have shape 3 or 4 dimensions, got \(2,\)"):
        check_tensor(torch.ones(2), "x", ndim=(3, 4))
    assert describe(np.zeros((2, 1))) == "ndarray(dtype=float64, shape=(2, 1))"
    assert describe("0.6") == "str '0.6'"


# ----------------------------------------------------------------------------- devices and generators
def test_device():
    assert check_device("cpu") == torch.device("cpu")
    assert check_device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(TypeError, match="device must be a device name"):
        check_device(0)
    with pytest.raises(ValueError, match="device must be a device name such as 'cpu' or 'cuda', got 'gpu'"):
        check_device("gpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without a GPU")
def test_cuda_without_gpu_is_a_clear_value_error():
    with pytest.raises(ValueError, match=r"device='cuda' asks for a GPU, but torch.cuda.is_available\(\) is False"):
        check_device("cuda")
    with pytest.raises(ValueError, match="asks for a GPU"):
        check_device(torch.device("cuda:0"))


def test_generator():
    g = torch.Generator()
    assert check_generator(g) is g and check_generator(None) is None
    with pytest.raises(TypeError, match=r"generator must be a torch.Generator or None, got int 0 \(pass generator="):
        check_generator(0)
    with pytest.raises(TypeError, match="rng must be a torch.Generator or None, got RandomState"):
        check_generator(np.random.RandomState(0), "rng")


def test_array_from_tensors_arrays_and_lists():
    t = torch.tensor([0.5, 1.0], requires_grad=True)
    np.testing.assert_array_equal(check_array(t, "scores"), np.array([0.5, 1.0], dtype=np.float32))
    assert check_array([True, False], "is_same").dtype == bool
    assert check_array(np.zeros((4, 2)), "points", ndim=2, shape="(N, 2)").shape == (4, 2)
    with pytest.raises(ValueError, match=r"scores must be a non-empty 1-D array of shape \(P,\), got shape \(0,\)"):
        check_array([], "scores")
    with pytest.raises(ValueError, match=r"points must be a non-empty 2-D array of shape \(N, 2\), got shape \(3,\)"):
        check_array([1, 2, 3], "points", ndim=2, shape="(N, 2)")
    for bad in (None, "0.5", {0.5}, {"a": 1}):
        with pytest.raises(TypeError, match=r"scores must be an array-like of shape \(P,\)"):
            check_array(bad, "scores")
