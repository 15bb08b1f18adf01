import pytest
import torch

from coursekit.data.signals import make_ecg_signals
from coursekit.models.signal_cnn import SignalCNN
from coursekit.training.classifier import train_classifier


def test_shapes_and_max_over_time():
    m = SignalCNN(2, widths=(4, 8, 8)).eval()
    x = torch.randn(3, 1, 256)
    maps = m.feature_maps(x)
    assert maps.shape == (3, 8, 64)
    torch.testing.assert_close(m(x), m.fc(maps.amax(-1)))


def test_a_shifted_pattern_gives_the_same_output():
    # max over time makes the detector translation invariant (up to the pooling grid)
    torch.manual_seed(0)
    m = SignalCNN(2, widths=(4, 8, 8)).eval()
    x = torch.zeros(1, 1, 256)
    bump = torch.exp(-0.5 * ((torch.arange(40) - 20) / 3.0) ** 2)
    a, b = x.clone(), x.clone()
    a[0, 0, 40:80] = bump
    b[0, 0, 160:200] = bump
    torch.testing.assert_close(m(a), m(b))


def test_learns_to_detect_the_pvc():
    tr = make_ecg_signals(96, length=512, seed=0)
    te = make_ecg_signals(40, length=512, seed=1)
    torch.manual_seed(0)
    run = train_classifier(SignalCNN(2, widths=(8, 8, 8)), tr.signals, tr.labels, te.signals, te.labels,
                           n_epochs=8, batch_size=16, lr=3e-3, progress=False,
                           device="cpu", generator=torch.Generator().manual_seed(0))
    assert run.metrics["test_accuracy"] >= 0.9, run.history.eval_metrics


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: SignalCNN(2)(torch.randn(2, 256)), ValueError, r"x must have shape \(N, 1, L\)"),
        (lambda: SignalCNN(2)([1.0]), TypeError, "x must be a tensor, got list"),
        (lambda: SignalCNN(1), ValueError, "n_classes must be an int >= 2, got 1"),
        (lambda: SignalCNN(2, kernel_size=4), ValueError, "kernel_size must be an odd int"),
        (lambda: SignalCNN(2, widths=(4,)), ValueError, "widths must be 3 ints"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
