import pytest
import torch

from coursekit.data.signals import make_ecg_signals


def test_shapes_labels_and_events():
    s = make_ecg_signals(10, length=768, fs=128, seed=0)
    assert s.signals.shape == (10, 1, 768) and s.signals.dtype == torch.float32
    assert s.labels.sum().item() == 5 and s.classes == ["normal", "PVC"] and s.fs == 128.0
    assert torch.equal(s.event_index >= 0, s.labels == 1)
    pos = s.event_index[s.labels == 1]
    assert (pos > 0.3 * 128).all() and (pos < 768 - 0.5 * 128).all()


def _r_peaks(x, fs):
    """Local maxima above 0.6 (R waves), found with a plain loop."""
    peaks, refractory = [], int(0.2 * fs)
    for i in range(1, len(x) - 1):
        if x[i] > 0.6 and x[i] >= x[i - 1] and x[i] >= x[i + 1] and (not peaks or i - peaks[-1] > refractory):
            peaks.append(i)
    return peaks


def test_the_pvc_is_where_the_label_says_and_normal_signals_have_regular_beats():
    s = make_ecg_signals(12, noise=0.0, wander=0.0, seed=3)
    for x, label, event in zip(s.signals[:, 0], s.labels, s.event_index, strict=True):
        peaks = _r_peaks(x.tolist(), s.fs)
        rr = torch.tensor(peaks).diff().float()
        if label == 1:
            # a tall, wide complex at the event, and one early beat: the shortest interval is < 75 % of the usual
            assert x[event - 3 : event + 8].max() > 1.2
            assert rr.min() < 0.75 * rr.median()
        else:
            assert rr.min() > 0.85 * rr.median() and x.max() < 1.2


def test_seeded():
    assert torch.equal(make_ecg_signals(3, seed=1).signals, make_ecg_signals(3, seed=1).signals)
    assert not torch.equal(make_ecg_signals(3, seed=1).signals, make_ecg_signals(3, seed=2).signals)


def test_positive_fraction_extremes():
    assert make_ecg_signals(4, positive_fraction=0.0).labels.sum() == 0
    assert make_ecg_signals(4, positive_fraction=1.0).labels.sum() == 4


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_signals": 0}, "n_signals must be an int >= 1, got 0"),
        ({"length": 100}, r"length must be an int >= 3 s \* fs = 384 samples, got 100"),
        ({"fs": 10}, "fs must be a number >= 50 Hz"),
        ({"positive_fraction": 1.5}, r"positive_fraction must be in \[0, 1\], got 1.5"),
        ({"noise": -1}, "noise must be a number >= 0"),
        ({"wander": -1}, "wander must be a number >= 0"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, match):
    args = {"n_signals": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_ecg_signals(args.pop("n_signals"), **args)
