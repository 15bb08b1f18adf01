import pytest
import torch
from torch import nn

from coursekit.classification import TensorBatches, accuracy, predict, train_classifier


def test_batches_cover_every_example_once_per_pass_and_reshuffle():
    x, y = torch.arange(10.0)[:, None], torch.arange(10)
    b = TensorBatches(x, y, 4, generator=torch.Generator().manual_seed(0))
    assert len(b) == 3
    first = torch.cat([yy for _, yy in b])
    second = torch.cat([yy for _, yy in b])
    assert sorted(first.tolist()) == list(range(10)) and not torch.equal(first, second)
    for xx, yy in b:
        assert torch.equal(xx[:, 0].long(), yy)


def test_predict_and_accuracy_match_a_loop():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 3)).train()
    x, y = torch.randn(11, 3), torch.randint(0, 3, (11,))
    m.eval()
    expected = torch.stack([m(x[i : i + 1]).argmax(1)[0] for i in range(11)])
    m.train()
    assert torch.equal(predict(m, x, batch_size=4), expected)
    assert m.training  # mode is restored
    assert accuracy(m, x, y) == pytest.approx((expected == y).float().mean().item())


def test_train_classifier_fits_a_separable_problem():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(120, 2, generator=g)
    y = (x[:, 0] > 0).long()
    run = train_classifier(nn.Linear(2, 2), x[:80], y[:80], x[80:], y[80:], n_epochs=15, lr=0.05, progress=False)
    assert run.test_accuracy >= 0.95 and len(run.history.eval_metrics["test_accuracy"]) == 15


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: TensorBatches(torch.zeros(3, 2), torch.zeros(2, dtype=torch.long)), r"labels must be an int64 tensor of shape \(3,\)"),
        (lambda: TensorBatches(torch.zeros(3), torch.zeros(3, dtype=torch.long)), r"x must be a tensor of shape \(N, ...\)"),
        (lambda: TensorBatches(torch.zeros(3, 2), torch.zeros(3, dtype=torch.long), 0), "batch_size must be an int >= 1"),
        (lambda: predict(nn.Linear(2, 2), torch.zeros(0, 2)), "N >= 1"),
        (lambda: train_classifier(nn.Linear(2, 2), torch.zeros(4, 2), torch.zeros(4, dtype=torch.long),
                                  torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)), "same per-example shape"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_training_leaves_the_global_rng_alone_and_is_seeded():
    x, y = torch.randn(16, 3, generator=torch.Generator().manual_seed(1)), torch.arange(16) % 2

    def run():
        torch.manual_seed(0)
        m = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 2))
        before = torch.get_rng_state()
        out = train_classifier(m, x, y, x, y, n_epochs=2, batch_size=4, seed=3, progress=False)
        assert torch.equal(torch.get_rng_state(), before)
        return out.history.loss

    assert run() == run()
