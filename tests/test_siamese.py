"""Siamese head: pair features vs loops, gradients, weight sharing, learning a real separation."""

import pytest
import torch
from torch import nn

from coursekit.models.siamese import SiameseHead, SiameseNetwork, pair_features, train_siamese_head


def _features_loop(a, b, kind, eps=1e-6):
    out = torch.empty_like(a)
    for p in range(a.shape[0]):
        for k in range(a.shape[1]):
            x, y = float(a[p, k]), float(b[p, k])
            out[p, k] = abs(x - y) if kind == "l1" else (x - y) ** 2 / (abs(x) + abs(y) + eps)
    return out


@pytest.mark.parametrize("kind", ["l1", "chi2"])
def test_pair_features_match_loop_and_are_symmetric(kind):
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(4, 5, generator=g, dtype=torch.float64), torch.randn(4, 5, generator=g, dtype=torch.float64)
    phi = pair_features(a, b, kind=kind)
    torch.testing.assert_close(phi, _features_loop(a, b, kind))
    torch.testing.assert_close(phi, pair_features(b, a, kind=kind))
    assert (phi >= 0).all() and phi.dtype == torch.float64


def test_chi2_equals_deepface_formula_for_nonnegative_features():
    a, b = torch.tensor([[1.0, 3.0]]), torch.tensor([[3.0, 3.0]])
    torch.testing.assert_close(pair_features(a, b, kind="chi2", eps=0.0), torch.tensor([[4.0 / 4.0, 0.0]]))


@pytest.mark.parametrize("kind", ["l1", "chi2"])
def test_gradcheck(kind):
    g = torch.Generator().manual_seed(1)
    a = torch.randn(3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, 4, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, y: pair_features(x, y, kind=kind), (a, b))
    head = SiameseHead(4, kind).double()
    nn.init.normal_(head.linear.weight, generator=g)
    assert torch.autograd.gradcheck(head, (a, b))


def _pairs(n=200, dim=6, seed=0):
    """Same pairs differ by small noise in the first 3 dims; different pairs are independent."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, dim, generator=g)
    same = torch.arange(n) % 2 == 0
    b = torch.where(same[:, None], a + 0.1 * torch.randn(n, dim, generator=g), torch.randn(n, dim, generator=g))
    b[:, 3:] = torch.randn(n, dim - 3, generator=g)  # uninformative dims
    return a, b, same


@pytest.mark.parametrize("kind", ["l1", "chi2"])
def test_training_separates_pairs_and_ignores_noise_dims(kind):
    a, b, same = _pairs()
    head, hist = train_siamese_head(a, b, same, kind=kind, n_steps=80)
    assert hist.loss[-1] < 0.5 * hist.loss[0]
    at, bt, st = _pairs(seed=1)
    acc = ((head(at, bt) > 0) == st).float().mean()
    assert acc > 0.95
    w = head.linear.weight.detach().abs().flatten()
    assert w[:3].min() > w[3:].max()  # informative dims get the large weights
    assert (head.linear.weight[0, :3] < 0).all()  # larger difference => less likely "same"
    torch.testing.assert_close(head.predict_proba(at, bt), torch.sigmoid(head(at, bt)))


def test_siamese_network_shares_one_embedding():
    torch.manual_seed(0)
    emb = nn.Sequential(nn.Flatten(), nn.Linear(12, 4))
    net = SiameseNetwork(emb, SiameseHead(4))
    nn.init.normal_(net.head.linear.weight)
    x1, x2 = torch.randn(5, 3, 2, 2), torch.randn(5, 3, 2, 2)
    out = net(x1, x2)
    assert out.shape == (5,)
    torch.testing.assert_close(out, net(x2, x1))  # symmetric
    torch.testing.assert_close(out, net.head(emb(x1), emb(x2)))
    out.sum().backward()
    assert emb[1].weight.grad is not None and emb[1].weight.grad.abs().sum() > 0
    assert sum(p.numel() for p in net.parameters()) == 12 * 4 + 4 + 4 + 1  # one copy of f


def test_bad_input():
    a = torch.zeros(4, 3)
    with pytest.raises(ValueError, match=r"a and b must have the same shape \(P, D\), got \(4, 3\) and \(2, 3\)"):
        pair_features(a, a[:2])
    with pytest.raises(ValueError, match=r"a must be a tensor of shape \(P, D\)"):
        pair_features(a[0], a[0])
    with pytest.raises(ValueError, match="kind must be 'l1' or 'chi2', got 'l2'"):
        pair_features(a, a, kind="l2")
    with pytest.raises(ValueError, match="both same and different pairs, got 4 same of 4"):
        train_siamese_head(a, a, torch.ones(4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"bool tensor of shape \(4,\)"):
        train_siamese_head(a, a, torch.tensor([1, 0, 1, 0]))
    with pytest.raises(ValueError, match="finite"):
        train_siamese_head(a.fill_(float("nan")), torch.zeros(4, 3), torch.tensor([True, False] * 2))
    with pytest.raises(ValueError, match="embeddings must have D=3, got 5"):
        SiameseHead(3)(torch.zeros(2, 5), torch.zeros(2, 5))
    with pytest.raises(ValueError, match="dim must be a positive int"):
        SiameseHead(0)
    with pytest.raises(ValueError, match="x1 and x2 must have the same shape"):
        SiameseNetwork(nn.Identity(), SiameseHead(3))(torch.zeros(2, 3), torch.zeros(1, 3))
