"""Open-set DIR/FAR and confusion against loops over probes."""

import numpy as np
import pytest
import torch

from coursekit.recognition.open_set import (
    UNKNOWN,
    open_set_confusion,
    open_set_curve,
    open_set_rates,
)


def _rates_loop(dk, ck, du, t):
    hit = sum(1 for d, c in zip(dk, ck, strict=True) if c and d <= t)
    fa = sum(1 for d in du if d <= t)
    return hit / len(dk), fa / len(du)


def _data(seed):
    rng = np.random.default_rng(seed)
    dk = np.round(rng.uniform(0, 1, 30), 2)
    ck = rng.random(30) < 0.8
    du = np.round(rng.uniform(0.3, 1.5, 20), 2)
    return dk, ck, du


@pytest.mark.parametrize("seed", [0, 1])
def test_curve_matches_per_threshold_loop(seed):
    dk, ck, du = _data(seed)
    far, dir_, thr = open_set_curve(dk, ck, du)
    assert thr[0] == -np.inf and np.all(np.diff(thr) > 0)
    assert far[-1] == 1.0 and dir_[-1] == pytest.approx(ck.mean())  # ends at rank-1 accuracy
    for f, d, t in zip(far, dir_, thr, strict=True):
        assert (d, f) == pytest.approx(_rates_loop(dk, ck, du, t))
        assert (d, f) == pytest.approx(open_set_rates(dk, ck, du, t))
    # every distinct distance is a threshold
    assert len(thr) == len(set(dk) | set(du)) + 1


def test_rates_hand_computed_and_torch_input():
    assert open_set_rates([0.2, 0.5, 0.9], [True, False, True], [0.4, 1.2], 0.6) == (1 / 3, 0.5)
    assert open_set_rates(torch.tensor([0.2]), torch.tensor([True]), torch.tensor([0.1]), 0.25) == (1.0, 1.0)


def test_confusion_matches_loop():
    enrolled = ["a", "b", "c"]
    true = ["a", "a", "b", "c", "x", "y", "b"]
    pred = ["a", None, "c", "c", None, "a", "b"]
    m, labels = open_set_confusion(true, pred, enrolled)
    assert labels == ["a", "b", "c", UNKNOWN]
    ref = np.zeros((4, 4), dtype=int)
    for t, p in zip(true, pred, strict=True):
        i = labels.index(t) if t in enrolled else 3
        j = 3 if p is None else labels.index(p)
        ref[i, j] += 1
    np.testing.assert_array_equal(m, ref)
    assert m[3, 3] == 1 and m[3, 0] == 1  # one correct rejection, one false alarm


def test_bad_input():
    with pytest.raises(ValueError, match="same length, got 2 and 1"):
        open_set_rates([0.1, 0.2], [True], [0.3], 0.5)
    with pytest.raises(TypeError, match="known_correct must be boolean"):
        open_set_curve([0.1], [1], [0.3])
    with pytest.raises(ValueError, match="unknown_distances must be a non-empty 1-D array"):
        open_set_curve([0.1], [True], [])
    with pytest.raises(ValueError, match="known_distances contains NaN"):
        open_set_curve([float("nan")], [True], [0.3])
    with pytest.raises(ValueError, match="predicted_names must be enrolled names or None, got 'z'"):
        open_set_confusion(["a"], ["z"], ["a"])
    with pytest.raises(ValueError, match="equally long"):
        open_set_confusion(["a"], [], ["a"])
    with pytest.raises(ValueError, match="enrolled must be distinct names"):
        open_set_confusion(["a"], ["a"], ["a", "a"])
    with pytest.raises(TypeError, match="not one str"):
        open_set_confusion("a", ["a"], ["a"])


@pytest.mark.parametrize("t", [0.5, np.float32(0.5), np.int64(0) + 0.5, torch.tensor(0.5)])
def test_threshold_spellings_agree(t):
    assert open_set_rates([0.2, 0.9], [True, True], [0.4, 1.2], t) == (0.5, 0.5)


@pytest.mark.parametrize(
    ("t", "err", "match"),
    [("0.6", TypeError, "threshold must be a real number, got str '0.6'"),
     (True, TypeError, "threshold must be a real number, got bool True"),
     (float("nan"), ValueError, "threshold must be a number, got nan"),
     (torch.tensor([0.5, 0.6]), TypeError, "threshold must be a real number")],
)
def test_bad_thresholds(t, err, match):
    with pytest.raises(err, match=match):
        open_set_rates([0.2, 0.9], [True, True], [0.4, 1.2], t)
