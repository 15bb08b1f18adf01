"""coursekit.training.classifier: minibatches, predict/accuracy, train_classifier."""

import pytest
import torch
from torch import nn

from coursekit.training import Run, TrainingBudget
from coursekit.training.classifier import TensorBatches, accuracy, predict, train_classifier


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
    run = train_classifier(nn.Linear(2, 2), x[:80], y[:80], x[80:], y[80:], n_epochs=15, lr=0.05, progress=False,
                           device="cpu")
    assert isinstance(run, Run) and run.steps == 15 * 3 and not run.model.training
    assert run.metrics["test_accuracy"] >= 0.95 and len(run.history.eval_metrics["test_accuracy"]) == 15
    assert run.metrics["test_accuracy"] == accuracy(run.model, x[80:], y[80:])
    # a step budget ends the run in the middle of an epoch; int32 labels are labels too
    short = train_classifier(nn.Linear(2, 2), x[:80], y[:80].int(), x[80:], y[80:], budget=TrainingBudget(max_steps=4),
                             progress=False, device="cpu")
    assert short.steps == 4


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: TensorBatches(torch.zeros(3, 2), torch.zeros(2, dtype=torch.long)), ValueError,
         r"y must have 3 entries"),
        (lambda: TensorBatches(torch.zeros(3, 2), torch.zeros(3)), TypeError, r"y must be an integer tensor"),
        (lambda: TensorBatches(torch.zeros(3, 2), [0, 1, 2]), TypeError, r"y must be a torch.Tensor"),
        (lambda: TensorBatches(torch.zeros(3), torch.zeros(3, dtype=torch.long)), ValueError,
         r"x must .*\(N, ...\), got"),
        (lambda: TensorBatches(torch.zeros(3, 2), torch.zeros(3, dtype=torch.long), 0), ValueError,
         "batch_size must be an int >= 1, got 0"),
        (lambda: TensorBatches(torch.zeros(3, 2), torch.zeros(3, dtype=torch.long), generator=0), TypeError,
         "generator must be a torch.Generator or None"),
        (lambda: predict(nn.Linear(2, 2), torch.zeros(0, 2)), ValueError, "at least 1 rows"),
        (lambda: predict(nn.Linear(2, 2), torch.zeros(2, 2), batch_size=0), ValueError, "batch_size must be an int >= 1"),
        (lambda: predict("net", torch.zeros(2, 2)), TypeError, "model must be an nn.Module, got str"),
        (lambda: train_classifier(nn.Linear(2, 2), torch.zeros(4, 2), torch.zeros(4, dtype=torch.long),
                                  torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)), ValueError, "same per-example shape"),
        (lambda: train_classifier(nn.Linear(2, 2), torch.zeros(4, 2), torch.zeros(4, dtype=torch.long),
                                  torch.zeros(2, 2), torch.zeros(2, dtype=torch.long), lr=float("nan")), ValueError,
         "lr must be a finite number, got nan"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_training_is_seeded_by_the_generator_and_torch_s_default_one():
    x, y = torch.randn(16, 3, generator=torch.Generator().manual_seed(1)), torch.arange(16) % 2

    def run(batch_seed):
        torch.manual_seed(0)  # the weights and dropout
        m = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 2))
        out = train_classifier(m, x, y, x, y, n_epochs=2, batch_size=4, progress=False, device="cpu",
                               generator=torch.Generator().manual_seed(batch_seed))
        return out.history.loss

    assert run(3) == run(3) and run(3) != run(4)
