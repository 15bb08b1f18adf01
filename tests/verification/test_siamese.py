"""coursekit.verification.siamese: pair features vs loops, gradients, weight sharing, bad input."""

import pytest
import torch
from torch import nn

from coursekit.verification.siamese import SiameseHead, SiameseNetwork, pair_features


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
    with torch.no_grad():
        head.linear.weight.normal_(generator=g)  # (nn.init takes a generator only from torch 2.2)
    assert torch.autograd.gradcheck(head, (a, b))


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
    with pytest.raises(ValueError, match=r"a must have shape \(N, D\), got \(3,\)"):
        pair_features(a[0], a[0])
    with pytest.raises(TypeError, match=r"a must be a torch.Tensor .*got list"):
        pair_features([[0.0]], a)
    with pytest.raises(ValueError, match="a must contain only finite values"):
        pair_features(torch.full((2, 3), float("nan")), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"kind must be one of \('l1', 'chi2'\), got 'l2'"):
        pair_features(a, a, kind="l2")
    with pytest.raises(ValueError, match="embeddings must have D=3, got 5"):
        SiameseHead(3)(torch.zeros(2, 5), torch.zeros(2, 5))
    with pytest.raises(ValueError, match="dim must be an int >= 1, got 0"):
        SiameseHead(0)
    with pytest.raises(TypeError, match="dim must be an int >= 1, got bool True"):
        SiameseHead(True)
    with pytest.raises(ValueError, match=r"kind must be one of \('l1', 'chi2'\), got 'l2'"):
        SiameseHead(3, "l2")
    with pytest.raises(ValueError, match="x1 and x2 must have the same shape"):
        SiameseNetwork(nn.Identity(), SiameseHead(3))(torch.zeros(2, 3), torch.zeros(1, 3))
