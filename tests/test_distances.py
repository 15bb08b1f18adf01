"""coursekit.distances against brute-force loops, hand-computed cases and gradient checks."""

import numpy as np
import pytest
import torch
from torch.autograd import gradcheck

from coursekit.distances import cross_distances, paired_distances, pairwise_distances, safe_sqrt

DTYPES = [torch.float32, torch.float64]


def _rows(n, d=4, dtype=torch.float64, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def _cross_bruteforce(a, b, squared):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    d = np.zeros((len(a), len(b)))
    for i in range(len(a)):
        for j in range(len(b)):
            d[i, j] = np.sum((a[i] - b[j]) ** 2)
    return d if squared else np.sqrt(d)


def _tol(dtype):
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == torch.float32 else {"rtol": 1e-9, "atol": 1e-10}


# ----------------------------------------------------------------------------- against loops
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("squared", [False, True])
def test_pairwise_distances_match_loops(dtype, squared):
    e = _rows(9, dtype=dtype)
    got = pairwise_distances(e, squared=squared)
    assert got.dtype == dtype and got.shape == (9, 9)
    np.testing.assert_allclose(got.numpy(), _cross_bruteforce(e.numpy(), e.numpy(), squared), **_tol(dtype))
    assert (got.diagonal() == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("squared", [False, True])
def test_cross_distances_match_loops(dtype, squared):
    a, b = _rows(5, dtype=dtype, seed=1), _rows(7, dtype=dtype, seed=2)
    got = cross_distances(a, b, squared=squared)
    assert got.dtype == dtype and got.shape == (5, 7)
    np.testing.assert_allclose(got.numpy(), _cross_bruteforce(a.numpy(), b.numpy(), squared), **_tol(dtype))
    cached = cross_distances(a, b, squared, b_squared_norms=(b * b).sum(1))
    torch.testing.assert_close(cached, got)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("squared", [False, True])
def test_paired_distances_match_loops(dtype, squared):
    a, b = _rows(6, dtype=dtype, seed=3), _rows(6, dtype=dtype, seed=4)
    got = paired_distances(a, b, squared=squared)
    ref = [float(((a[i] - b[i]) ** 2).sum()) for i in range(6)]
    ref = np.array(ref) if squared else np.sqrt(ref)
    assert got.shape == (6,) and got.dtype == dtype
    np.testing.assert_allclose(got.numpy(), ref, **_tol(dtype))


def test_hand_computed():
    e = torch.tensor([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]])
    expected = torch.tensor([[0.0, 5.0, 1.0], [5.0, 0.0, 18**0.5], [1.0, 18**0.5, 0.0]])
    torch.testing.assert_close(pairwise_distances(e), expected)
    torch.testing.assert_close(pairwise_distances(e, squared=True), expected**2)
    torch.testing.assert_close(cross_distances(e[:1], e), expected[:1])
    torch.testing.assert_close(paired_distances(e, e[[1, 2, 0]]), torch.tensor([5.0, 18**0.5, 1.0]))
    assert pairwise_distances(e).dtype == torch.float32  # the default is a distance, not its square


def test_the_three_agree():
    a, b = _rows(4, seed=5), _rows(3, seed=6)
    both = torch.cat([a, b])
    torch.testing.assert_close(cross_distances(a, b), pairwise_distances(both)[:4, 4:])
    torch.testing.assert_close(paired_distances(a[:3], b), cross_distances(a[:3], b).diagonal())


@pytest.mark.parametrize("squared", [False, True])
def test_never_negative_and_pairwise_diagonal_exactly_zero_for_large_norms(squared):
    e = torch.randn(16, 128, generator=torch.Generator().manual_seed(1)) * 100
    assert (pairwise_distances(e, squared=squared).diagonal() == 0).all()
    near = torch.cat([e, e + 1e-4])  # tiny distances under huge norms: the expansion rounds below 0
    assert (cross_distances(near, near, squared=squared) >= 0).all()


# ----------------------------------------------------------------------------- gradients
def test_gradcheck_float64():
    a, b = _rows(6, 3, seed=7).requires_grad_(), _rows(4, 3, seed=8).requires_grad_()
    for squared in (False, True):
        assert gradcheck(lambda x, s=squared: pairwise_distances(x, squared=s), (a,))
        assert gradcheck(lambda x, y, s=squared: cross_distances(x, y, squared=s), (a, b))
        assert gradcheck(lambda x, y, s=squared: paired_distances(x, y, squared=s), (a[:4], b))
    x = torch.tensor([0.5, 2.0, 9.0], dtype=torch.float64, requires_grad=True)
    assert gradcheck(safe_sqrt, (x,))


def test_identical_rows_give_nan_free_gradients():
    e = torch.tensor([[1.0, 2.0], [1.0, 2.0], [0.0, 0.0]], requires_grad=True)
    d = pairwise_distances(e)
    assert d[0, 1] == 0
    d.sum().backward()
    assert torch.isfinite(e.grad).all()
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    b = a.detach().clone().requires_grad_()
    paired_distances(a, b).sum().backward()
    assert a.grad.eq(0).all() and b.grad.eq(0).all()  # zero distance: subgradient 0
    a.grad = b.grad = None
    cross_distances(a, b).sum().backward()
    assert torch.isfinite(a.grad).all() and torch.isfinite(b.grad).all()
    # the naive sqrt would give NaN here: this is what the safe square root protects against
    x = torch.tensor([[1.0, 2.0], [1.0, 2.0]], requires_grad=True)
    ((x[:, None] - x[None]).pow(2).sum(-1).sqrt()).sum().backward()
    assert torch.isnan(x.grad).any()


def test_safe_sqrt_value_and_gradient_at_zero():
    x = torch.tensor([0.0, 4.0, 0.25], requires_grad=True)
    y = safe_sqrt(x)
    y.sum().backward()
    assert y.tolist() == [0.0, 2.0, 0.5]
    assert x.grad.tolist() == [0.0, 0.25, 1.0]


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "err", "match"),
    [
        (lambda: pairwise_distances(torch.randn(3)), ValueError, r"embeddings must have shape \(N, D\), got \(3,\)"),
        (lambda: pairwise_distances([[0.0, 1.0]]), TypeError, r"embeddings must be a torch.Tensor.*got list"),
        (lambda: pairwise_distances(torch.ones(2, 2, dtype=torch.int64)), TypeError, "embeddings must be a floating-point"),
        (lambda: pairwise_distances(torch.tensor([[0.0, float("nan")]])), ValueError, "embeddings must contain only finite"),
        (lambda: pairwise_distances(torch.ones(2, 2), squared=1), TypeError, r"squared must be True or False, got int 1"),
        (lambda: cross_distances(torch.ones(2, 2), torch.ones(2, 3)), ValueError, "same number of columns"),
        (lambda: cross_distances(torch.ones(2, 2), torch.ones(2, 2).double()), ValueError, "share dtype"),
        (lambda: cross_distances(torch.ones(2, 2), torch.tensor([[float("inf"), 0.0]])), ValueError, "b must contain only finite"),
        (lambda: cross_distances(torch.ones(2, 2), torch.ones(3, 2), b_squared_norms=torch.ones(2)), ValueError, r"b_squared_norms must be a tensor of shape \(3,\)"),
        (lambda: paired_distances(torch.ones(2, 2), torch.ones(3, 2)), ValueError, "same shape"),
        (lambda: paired_distances(torch.ones(0, 2), torch.ones(0, 2)), ValueError, "a must have at least 1 rows"),
    ],
)
def test_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()
