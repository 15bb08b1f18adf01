"""coursekit.training.siamese: fitting the logistic-regression head on embedding pairs."""

import pytest
import torch

from coursekit.training import Run, TrainingBudget
from coursekit.training.siamese import train_siamese_head


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
    run = train_siamese_head(a, b, same, kind=kind, budget=TrainingBudget(max_steps=80), device="cpu")
    head, hist = run.model, run.history
    assert isinstance(run, Run) and run.steps == 80 and run.metrics["train_loss"] == hist.loss[-1]
    assert hist.loss[-1] < 0.5 * hist.loss[0]
    at, bt, st = _pairs(seed=1)
    acc = ((head(at, bt) > 0) == st).float().mean()
    assert acc > 0.95
    w = head.linear.weight.detach().abs().flatten()
    assert w[:3].min() > w[3:].max()  # informative dims get the large weights
    assert (head.linear.weight[0, :3] < 0).all()  # larger difference => less likely "same"
    torch.testing.assert_close(head.predict_proba(at, bt), torch.sigmoid(head(at, bt)))


def test_the_head_is_plain_logistic_regression_on_standardised_features():
    # full-batch Adam on BCE: the same steps by hand give the same weights
    a, b, same = _pairs(n=40)
    head = train_siamese_head(a, b, same, budget=TrainingBudget(max_steps=5), lr=0.1, weight_decay=0.0,
                              device="cpu").model
    phi = (a - b).abs()
    z = (phi - phi.mean(0)) / phi.std(0)
    w = torch.zeros(1, 6, requires_grad=True)
    c = torch.zeros(1, requires_grad=True)
    opt = torch.optim.Adam([w, c], lr=0.1)
    for _ in range(5):
        loss = torch.nn.functional.binary_cross_entropy_with_logits((z @ w.T).squeeze(1) + c, same.float())
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.testing.assert_close(head.linear.weight, w.detach())
    torch.testing.assert_close(head.linear.bias, c.detach())


def test_bad_input():
    a = torch.zeros(4, 3)
    with pytest.raises(ValueError, match="both same and different pairs, got 4 same of 4"):
        train_siamese_head(a, a, torch.ones(4, dtype=torch.bool))
    with pytest.raises(TypeError, match="is_same must be a bool tensor, got dtype torch.int64"):
        train_siamese_head(a, a, torch.tensor([1, 0, 1, 0]))
    with pytest.raises(ValueError, match=r"is_same must have shape \(4,\), got \(2,\)"):
        train_siamese_head(a, a, torch.tensor([True, False]))
    with pytest.raises(ValueError, match="a must contain only finite values"):
        train_siamese_head(torch.full((4, 3), float("nan")), torch.zeros(4, 3), torch.tensor([True, False] * 2))
    with pytest.raises(ValueError, match=r"a and b must have the same shape"):
        train_siamese_head(a, torch.zeros(4, 2), torch.tensor([True, False] * 2))
    with pytest.raises(TypeError, match="budget must be a TrainingBudget, got int"):
        train_siamese_head(a, a + 1, torch.tensor([True, False] * 2), budget=300)
