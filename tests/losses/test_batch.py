"""Batch-all and batch-hard against brute-force loops, the post's dense code, gradcheck and properties."""

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch.autograd import gradcheck

from coursekit.losses import (
    batch_all_triplet_loss,
    batch_hard_triplet_loss,
    contrastive_loss,
    triplet_loss,
)
from coursekit.losses.batch import _batch_hard_as_in_the_post

from .references import (
    DTYPES,
    batch_all_bruteforce,
    batch_all_dense_post,
    batch_hard_bruteforce,
    make_batch,
    tol,
)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("margin", [0.0, 0.5, 3.0])
def test_batch_all_matches_triple_loop(dtype, squared, margin):
    labels, e = make_batch(11, 4, n_classes=4, dtype=dtype)
    loss, frac = batch_all_triplet_loss(labels, e, margin, squared=squared)
    ref_loss, ref_frac = batch_all_bruteforce(labels.tolist(), e.numpy(), margin, squared)
    assert loss.dtype == dtype and loss.shape == () and frac.shape == ()
    np.testing.assert_allclose(loss.item(), ref_loss, **tol(dtype))
    np.testing.assert_allclose(frac.item(), ref_frac, **tol(dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("margin", [0.0, 0.5, 3.0])
def test_batch_hard_matches_loop(dtype, squared, margin):
    labels, e = make_batch(11, 4, n_classes=4, dtype=dtype)
    loss = batch_hard_triplet_loss(labels, e, margin, squared=squared)
    ref = batch_hard_bruteforce(labels.tolist(), e.numpy(), margin, squared)
    assert loss.dtype == dtype and loss.shape == ()
    np.testing.assert_allclose(loss.item(), ref, **tol(dtype))


def test_batch_hard_anchor_without_positive_uses_zero_like_the_post():
    labels = torch.tensor([0, 0, 1, 2])  # anchors 2 and 3 have no positive
    e = torch.tensor([[0.0], [1.0], [0.5], [3.0]])
    ref = batch_hard_bruteforce(labels.tolist(), e.numpy(), 1.0, True)  # squared by default
    assert batch_hard_triplet_loss(labels, e, 1.0).item() == pytest.approx(ref)


@pytest.mark.parametrize("squared", [False, True])
def test_batch_all_gradient_matches_dense_post_version(squared):
    labels, e = make_batch(12, 5, n_classes=3)
    e1, e2 = e.clone().requires_grad_(), e.clone().requires_grad_()
    loss, frac = batch_all_triplet_loss(labels, e1, 0.7, squared=squared)
    ref_loss, ref_frac = batch_all_dense_post(labels, e2, 0.7, squared)
    (loss * 1.5).backward()
    (ref_loss * 1.5).backward()
    torch.testing.assert_close(loss, ref_loss)
    torch.testing.assert_close(frac, ref_frac)
    torch.testing.assert_close(e1.grad, e2.grad)
    assert not frac.requires_grad


def test_batch_all_unbalanced_classes():
    # one big class: many positive slots per anchor; singletons have none
    labels = torch.tensor([0] * 9 + [1, 2, 3, 3])
    e = torch.randn(13, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    ref = batch_all_bruteforce(labels.tolist(), e.numpy(), 1.0, True)
    got = batch_all_triplet_loss(labels, e, 1.0)  # squared by default
    np.testing.assert_allclose([got[0].item(), got[1].item()], ref, rtol=1e-10)


@pytest.mark.parametrize("fn", ["all", "hard"])
@pytest.mark.parametrize("squared", [False, True])
def test_batch_losses_gradcheck(fn, squared):
    labels, e = make_batch(8, 3, n_classes=3, seed=5)
    e.requires_grad_()
    if fn == "all":
        f = lambda x: batch_all_triplet_loss(labels, x, 0.5, squared=squared)[0]  # noqa: E731
    else:
        f = lambda x: batch_hard_triplet_loss(labels, x, 0.5, squared=squared)  # noqa: E731
    assert gradcheck(f, (e,))


def test_no_positive_triplet_gives_zero_not_nan():
    labels = torch.tensor([0, 0, 1, 1])
    e = torch.tensor([[0.0, 0.0], [0.0, 0.1], [10.0, 0.0], [10.0, 0.1]], requires_grad=True)
    loss, frac = batch_all_triplet_loss(labels, e, 0.5)
    assert loss.item() == 0.0 and frac.item() == 0.0
    loss.backward()
    assert torch.equal(e.grad, torch.zeros_like(e))


@pytest.mark.parametrize("squared", [False, True])
def test_duplicate_embeddings_give_finite_gradients(squared):
    labels = torch.tensor([0, 0, 1, 1, 2])
    # rows 0 and 1 coincide, row 2 is 0.1 away: losses are active through zero distances
    e = torch.tensor([[1.0, 0.0]] * 2 + [[1.0, 0.1]] + [[0.0, 1.0]] * 2, requires_grad=True)
    for loss in (
        batch_all_triplet_loss(labels, e, 0.2, squared=squared)[0],
        batch_hard_triplet_loss(labels, e, 0.2, squared=squared),
        triplet_loss(e[:2], e[1:3], e[2:4], 0.2, squared=squared),
        contrastive_loss(e[:2], e[1:3], torch.tensor([True, False]), 1.0),
    ):
        e.grad = None
        loss.backward()
        assert torch.isfinite(e.grad).all()
        assert e.grad.abs().sum() > 0  # not finite by being cut off


@pytest.mark.slow
def test_batch_all_b2048_d128_runs_forward_and_backward():
    labels = torch.arange(512).repeat_interleave(4)
    e = torch.nn.functional.normalize(torch.randn(2048, 128, generator=torch.Generator().manual_seed(0)), dim=1)
    e.requires_grad_()
    loss, frac = batch_all_triplet_loss(labels, e, 0.2)
    loss.backward()
    assert torch.isfinite(e.grad).all() and 0 < frac.item() <= 1



# ----------------------------------------------------------------------------- batch-hard: fast path = the post's version
def _value_and_grad(fn, labels, e, margin, squared, upstream=1.7):
    x = e.clone().requires_grad_()
    loss = fn(labels, x, margin, squared)
    (loss * upstream).backward()  # an upstream gradient other than 1 reaches the hand-written backward
    return loss.detach(), x.grad


def _assert_same_as_post(labels, e, margin, squared):
    got, got_grad = _value_and_grad(batch_hard_triplet_loss, labels, e, margin, squared)
    want, want_grad = _value_and_grad(_batch_hard_as_in_the_post, labels, e, margin, squared)
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(got_grad, want_grad)
    return want_grad


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_batch_hard_fast_path_equals_post_version(dtype, squared, seed):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(16).repeat_interleave(4)[torch.randperm(64, generator=g)]  # P x K, shuffled
    e = torch.nn.functional.normalize(torch.randn(64, 16, generator=g, dtype=dtype), dim=1)
    grad = _assert_same_as_post(labels, e, 0.2, squared)
    assert grad.abs().sum() > 0  # the comparison is not between two zero gradients


@pytest.mark.parametrize("squared", [False, True])
def test_batch_hard_fast_path_bitwise_loss_at_b512(squared):
    # the same (B, B) matrix, the same entries, the same reductions: the same bits
    labels = torch.arange(128).repeat_interleave(4)
    e = torch.nn.functional.normalize(torch.randn(512, 128, generator=torch.Generator().manual_seed(7)), dim=1)
    fast, ref = batch_hard_triplet_loss(labels, e, 0.2, squared), _batch_hard_as_in_the_post(labels, e, 0.2, squared)
    assert torch.equal(fast, ref)


@pytest.mark.parametrize("squared", [False, True])
def test_batch_hard_fast_path_shares_gradient_among_ties_like_amax(squared):
    labels = torch.tensor([0, 0, 0, 1, 1, 2])
    e = torch.tensor(
        [[0.0, 0.0], [2.0, 0.0], [2.0, 0.0],  # anchor 0: its two positives tie (both hardest)
         [0.0, 1.0], [0.0, -1.0], [5.0, 5.0]],  # anchor 0: negatives 3 and 4 tie (both closest)
        dtype=torch.float64,
    )
    grad = _assert_same_as_post(labels, e, 3.0, squared)
    # shared, not given to one of them: the tied rows get the same gradient (up to the mirror)
    assert grad[1].tolist() == grad[2].tolist()
    assert grad[3, 0] == grad[4, 0] and grad[3, 1] == -grad[4, 1] != 0


@pytest.mark.parametrize("squared", [False, True])
def test_batch_hard_fast_path_identities_without_positive(squared):
    # K = 1 identities (2, 3, 5) have no positive: d_ap = 0 as in the post, no gradient through it
    labels = torch.tensor([0, 0, 1, 2, 3, 1, 4, 4, 5])
    _, e = make_batch(9, 3, seed=4)
    _assert_same_as_post(labels, e, 1.0, squared)
    ref = batch_hard_bruteforce(labels.tolist(), e.numpy(), 1.0, squared)
    assert batch_hard_triplet_loss(labels, e, 1.0, squared).item() == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("squared", [False, True])
def test_batch_hard_fast_path_all_labels_distinct(squared):
    # nobody has a positive: every anchor's loss is max(m − d_an, 0)
    labels = torch.arange(7)
    _, e = make_batch(7, 2, seed=6)
    e = e * 0.3  # close enough that some negatives are within the margin
    grad = _assert_same_as_post(labels, e, 1.0, squared)
    assert grad.abs().sum() > 0


@pytest.mark.parametrize("squared", [False, True])
def test_batch_hard_fast_path_duplicates_and_zero_distances(squared):
    # a negative at distance 0 (a duplicate of the anchor under another label) and coinciding positives
    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    e = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.0, 0.0]], dtype=torch.float64)
    grad = _assert_same_as_post(labels, e, 0.5, squared)
    assert torch.isfinite(grad).all()


@pytest.mark.parametrize("squared", [False, True])
def test_batch_hard_fast_path_gradcheck_float64(squared):
    labels, e = make_batch(10, 4, n_classes=3, seed=8)
    e.requires_grad_()
    assert gradcheck(lambda x: batch_hard_triplet_loss(labels, x, 0.5, squared), (e,))


def test_batch_hard_fast_path_refuses_double_backward():
    labels, e = make_batch(8, 3)
    e.requires_grad_()
    (g,) = torch.autograd.grad(batch_hard_triplet_loss(labels, e, 0.5), e, create_graph=True)
    with pytest.raises(RuntimeError, match="twice|once_differentiable|double"):
        g.sum().backward()


# ----------------------------------------------------------------------------- properties
@st.composite
def batches(draw):
    b = draw(st.integers(3, 10))
    d = draw(st.integers(1, 4))
    labels = draw(st.lists(st.integers(0, 3), min_size=b, max_size=b))
    assume(len(set(labels)) >= 2)
    e = draw(arrays(np.float64, (b, d), elements=st.floats(-3, 3, allow_nan=False)))
    return torch.tensor(labels), torch.from_numpy(e)


@settings(max_examples=40, deadline=None)
@given(batches(), st.floats(0, 2), st.booleans(), st.randoms(use_true_random=False))
def test_batch_losses_permutation_invariant_and_non_negative(batch, margin, squared, rnd):
    labels, e = batch
    perm = list(range(len(labels)))
    rnd.shuffle(perm)
    perm = torch.tensor(perm)
    for f in (lambda y, x: batch_all_triplet_loss(y, x, margin, squared=squared),
              lambda y, x: (batch_hard_triplet_loss(y, x, margin, squared=squared),)):
        a, b = f(labels, e), f(labels[perm], e[perm])
        for u, v in zip(a, b, strict=True):
            assert u.item() >= 0
            assert u.item() == pytest.approx(v.item(), rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(batches(), st.floats(0, 2), st.floats(0, 2), st.booleans())
def test_losses_monotone_in_margin(batch, m1, m2, squared):
    labels, e = batch
    lo, hi = min(m1, m2), max(m1, m2)
    tol = 1e-9
    assert batch_hard_triplet_loss(labels, e, lo, squared) <= batch_hard_triplet_loss(labels, e, hi, squared) + tol
    (l_lo, f_lo), (l_hi, f_hi) = (batch_all_triplet_loss(labels, e, m, squared) for m in (lo, hi))
    # the mean over *positive* triplets is not monotone (new, barely positive triplets join the
    # average); the fraction and the mean over all valid triplets (loss × fraction) are
    assert f_lo <= f_hi + tol
    assert l_lo * f_lo <= l_hi * f_hi + tol
    x, y = e[:-1], e[1:]
    assert triplet_loss(x, y, e[:-1].flip(0), lo) <= triplet_loss(x, y, e[:-1].flip(0), hi) + tol
    diff = torch.zeros(len(x), dtype=torch.bool)
    assert contrastive_loss(x, y, diff, lo) <= contrastive_loss(x, y, diff, hi) + tol


@settings(max_examples=60, deadline=None)
@given(st.data(), st.floats(0, 2), st.booleans())
def test_batch_hard_fast_path_equals_post_version_with_ties(data, margin, squared):
    # small integer coordinates: exact distances, many exact ties and duplicates
    b = data.draw(st.integers(2, 10))
    labels = data.draw(st.lists(st.integers(0, 3), min_size=b, max_size=b))
    assume(len(set(labels)) >= 2)
    e = data.draw(arrays(np.float64, (b, 2), elements=st.integers(-2, 2).map(float)))
    _assert_same_as_post(torch.tensor(labels), torch.from_numpy(e), margin, squared)


def test_batch_all_mean_over_positives_is_not_monotone_in_margin():
    # the counter-example behind the comment above: one triplet at 1.0, then a second joins at 0.01
    labels = torch.tensor([0, 0, 1])
    e = torch.tensor([[0.0], [1.0], [1.005]], dtype=torch.float64)
    l1, _ = batch_all_triplet_loss(labels, e, 0.0, squared=False)  # triplets at 0.995 and −0.005
    l2, _ = batch_all_triplet_loss(labels, e, 0.01, squared=False)  # 1.005 and 0.005
    assert l1.item() == pytest.approx(0.995) and l2.item() == pytest.approx(0.505)


# ----------------------------------------------------------------------------- bad input
GOOD_Y, GOOD_E = torch.tensor([0, 0, 1, 1]), torch.randn(4, 3)


@pytest.mark.parametrize("fn", [batch_all_triplet_loss, batch_hard_triplet_loss])
@pytest.mark.parametrize(
    ("labels", "emb", "margin", "err", "match"),
    [
        (torch.tensor([0, 0, 1]), GOOD_E, 0.2, ValueError, r"labels must have 4 entries \(one per row\), got 3"),
        (GOOD_Y, torch.randn(4), 0.2, ValueError, r"embeddings must have shape \(N, D\), got \(4,\)"),
        (GOOD_Y, torch.randn(4, 3, 2), 0.2, ValueError, r"embeddings must have shape \(N, D\), got \(4, 3, 2\)"),
        (GOOD_Y.float(), GOOD_E, 0.2, TypeError, r"labels must be an integer tensor.*float32"),
        (torch.tensor([0]), torch.randn(1, 3), 0.2, ValueError, r"at least 2 rows"),
        (GOOD_Y, GOOD_E, -0.1, ValueError, r"margin must be a number >= 0.0, got -0.1"),
        (GOOD_Y, GOOD_E, float("nan"), ValueError, r"margin must be a finite number"),
        (GOOD_Y, GOOD_E, "0.2", TypeError, r"margin must be a real number >= 0.0, got str '0.2'"),
        (torch.tensor([3, 3, 3, 3]), GOOD_E, 0.2, ValueError, r"at least two classes.*only class 3"),
        (GOOD_Y, GOOD_E.int(), 0.2, TypeError, r"embeddings must be a floating-point tensor"),
        (GOOD_Y, torch.tensor([[0.0], [float("nan")], [1.0], [2.0]]), 0.2, ValueError, r"NaN"),
        ([0, 0, 1, 1], GOOD_E, 0.2, TypeError, r"labels must be a torch.Tensor"),
        (GOOD_Y, GOOD_E.numpy(), 0.2, TypeError, r"embeddings must be a torch.Tensor"),
    ],
)
def test_batch_losses_reject_bad_input(fn, labels, emb, margin, err, match):
    with pytest.raises(err, match=match):
        fn(labels, emb, margin)


def test_batch_losses_reject_labels_on_another_device():
    with pytest.raises(ValueError, match=r"labels are on"):
        batch_all_triplet_loss(GOOD_Y.to("meta"), GOOD_E, 0.2)


def test_batch_losses_default_to_squared_distances():
    labels, e = make_batch(9, 4)
    y = labels.tolist()
    loss, frac = batch_all_triplet_loss(labels, e, 0.3)
    np.testing.assert_allclose([loss.item(), frac.item()], batch_all_bruteforce(y, e.numpy(), 0.3, True), rtol=1e-10)
    hard = batch_hard_triplet_loss(labels, e, 0.3)
    assert hard.item() == pytest.approx(batch_hard_bruteforce(y, e.numpy(), 0.3, True), rel=1e-10)
    assert hard.item() != pytest.approx(batch_hard_bruteforce(y, e.numpy(), 0.3, False), rel=1e-3)


@pytest.mark.parametrize("dtype", [torch.int8, torch.int16, torch.int32, torch.uint8])
def test_batch_losses_accept_any_integer_label_dtype(dtype):
    labels, e = make_batch(12, 5)
    for fn in (batch_all_triplet_loss, batch_hard_triplet_loss):
        want, got = fn(labels, e, 0.2), fn(labels.to(dtype), e, np.float64(0.2))
        want, got = (torch.stack(x) if isinstance(x, tuple) else x for x in (want, got))
        assert torch.equal(want, got)
