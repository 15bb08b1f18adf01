"""The explicit triplet and contrastive losses against per-row loops, hand cases and gradcheck."""

import numpy as np
import pytest
import torch
from torch.autograd import gradcheck

from coursekit.losses import contrastive_loss, triplet_loss

from .references import DTYPES, tol


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("squared", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_triplet_loss_matches_loop(dtype, squared, reduction):
    g = torch.Generator().manual_seed(2)
    a, p, n = (torch.randn(7, 3, generator=g, dtype=dtype) for _ in range(3))
    ref = []
    for i in range(7):
        d_ap = np.sum((a[i].numpy() - p[i].numpy()) ** 2)
        d_an = np.sum((a[i].numpy() - n[i].numpy()) ** 2)
        if not squared:
            d_ap, d_an = np.sqrt(d_ap), np.sqrt(d_an)
        ref.append(max(d_ap - d_an + 0.8, 0.0))
    ref = {"mean": np.mean(ref), "sum": np.sum(ref), "none": np.array(ref)}[reduction]
    got = triplet_loss(a, p, n, 0.8, reduction=reduction, squared=squared)
    assert got.dtype == dtype
    np.testing.assert_allclose(got.numpy(), ref, **tol(dtype))


def test_triplet_loss_hand_computed():
    a, p, n = torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 0.5]])
    assert triplet_loss(a, p, n, 0.2).item() == pytest.approx(1.0 - 0.25 + 0.2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_contrastive_loss_matches_loop(dtype):
    g = torch.Generator().manual_seed(4)
    x1, x2 = torch.randn(8, 3, generator=g, dtype=dtype), torch.randn(8, 3, generator=g, dtype=dtype)
    same = torch.tensor([True, False] * 4)
    ref = []
    for i in range(8):
        d = np.sqrt(np.sum((x1[i].numpy() - x2[i].numpy()) ** 2))
        ref.append(0.5 * d**2 if same[i] else 0.5 * max(2.0 - d, 0.0) ** 2)
    got = contrastive_loss(x1, x2, same, 2.0, reduction="none")
    np.testing.assert_allclose(got.numpy(), ref, **tol(dtype))
    assert contrastive_loss(x1, x2, same, 2.0).item() == pytest.approx(np.mean(ref), rel=1e-6)


def test_explicit_losses_gradcheck():
    g = torch.Generator().manual_seed(6)
    a, p, n = (torch.randn(4, 3, generator=g, dtype=torch.float64, requires_grad=True) for _ in range(3))
    assert gradcheck(lambda a, p, n: triplet_loss(a, p, n, 1.0, squared=False), (a, p, n))
    same = torch.tensor([True, False, True, False])
    assert gradcheck(lambda x, y: contrastive_loss(x, y, same, 5.0), (a, p))



def test_explicit_losses_reject_bad_input():
    a = torch.randn(3, 2)
    with pytest.raises(ValueError, match=r"same shape \(N, D\)"):
        triplet_loss(a, a, torch.randn(4, 2), 0.2)
    with pytest.raises(ValueError, match=r"anchor must have shape \(N, D\)"):
        triplet_loss(torch.randn(4), a, a, 0.2)
    with pytest.raises(ValueError, match=r"reduction must be one of \('mean', 'sum', 'none'\), got 'max'"):
        triplet_loss(a, a, a, 0.2, reduction="max")
    with pytest.raises(TypeError, match=r"squared must be True or False, got int 1"):
        triplet_loss(a, a, a, 0.2, squared=1)
    with pytest.raises(ValueError, match=r"negative must contain only finite values"):
        triplet_loss(a, a, torch.full((3, 2), float("nan")), 0.2)
    with pytest.raises(ValueError, match=r"margin must be a number >= 0.0, got -1.0"):
        contrastive_loss(a, a, torch.ones(3, dtype=torch.bool), -1.0)
    with pytest.raises(TypeError, match=r"margin must be a real number >= 0.0, got bool True"):
        contrastive_loss(a, a, torch.ones(3, dtype=torch.bool), True)
    with pytest.raises(TypeError, match=r"is_same must be a bool tensor"):
        contrastive_loss(a, a, torch.ones(3), 1.0)
    with pytest.raises(ValueError, match=r"is_same must have shape \(3,\), got \(2,\)"):
        contrastive_loss(a, a, torch.ones(2, dtype=torch.bool), 1.0)


def test_margin_spellings_agree():
    a, p, n = (torch.randn(4, 3, generator=torch.Generator().manual_seed(s)) for s in range(3))
    ref = triplet_loss(a, p, n, 0.5)
    for margin in (np.float32(0.5), np.float64(0.5), torch.tensor(0.5)):
        assert torch.equal(triplet_loss(a, p, n, margin), ref)
