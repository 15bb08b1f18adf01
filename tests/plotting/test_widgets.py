"""The threshold slider: a range over the values seen, about 100 steps, a readout, a usable width."""

import math

import numpy as np
import pytest
import torch

from coursekit.plotting import widgets as W


@pytest.mark.parametrize("seed", range(20))
def test_slider_range_covers_the_values_in_about_100_steps(seed):
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.integers(-3, 3)
    values = rng.uniform(0, 1, size=50) * scale + rng.uniform(0, 2) * scale
    low, high, step, digits = W.slider_range(values)
    assert low <= values.min() and high >= values.max()
    assert values.min() - low < step + 1e-12 and high - values.max() < step + 1e-12  # no wasted range
    positions = (high - low) / step
    assert 50 <= positions <= 160 and abs(positions - round(positions)) < 1e-6
    assert float(f"{step:.0e}") == step  # one significant digit
    assert float(f"{step:.{digits}f}") == step and digits >= 2  # the readout shows one step
    assert abs(low / step - round(low / step)) < 1e-6  # the positions are round numbers


def test_slider_range_hand_computed():
    assert W.slider_range([0.0196, 0.0925]) == (0.0196, 0.0931, 0.0007, 4)
    assert W.slider_range(torch.tensor([0.31, 1.27])) == (0.31, 1.27, 0.01, 2)
    assert W.slider_range([2.0, 2.0]) == (2.0, 2.02, 0.02, 2)  # all equal: a small range around the value
    assert W.slider_range([0.0, 1.0], steps=10) == (0.0, 1.0, 0.1, 2)


def test_slider_range_bad_input():
    with pytest.raises(ValueError, match=r"values must be a non-empty 1-D array of finite numbers, got shape \(0,\)"):
        W.slider_range([])
    with pytest.raises(ValueError, match="finite"):
        W.slider_range([0.1, math.nan])
    with pytest.raises(ValueError, match=r"got shape \(2, 2\)"):
        W.slider_range(np.ones((2, 2)))
    with pytest.raises(ValueError, match="steps must be >= 2, got 1"):
        W.slider_range([0.0, 1.0], steps=1)
    with pytest.raises(TypeError, match="steps must be an int, got float"):
        W.slider_range([0.0, 1.0], steps=10.0)


def test_threshold_slider():
    distances = torch.tensor([0.0196, 0.05, 0.0925])
    s = W.threshold_slider(distances, torch.tensor(0.0633))
    assert (s.min, s.max, s.step) == (0.0196, 0.0931, 0.0007)
    assert s.value == pytest.approx(0.0630) and s.readout and s.readout_format == ".4f"
    assert s.layout.width == "90%" and not s.continuous_update and s.description == "threshold τ"
    assert W.threshold_slider(distances, 5.0).value == s.max  # clipped into the range
    assert W.threshold_slider(distances, -1).value == s.min
    with pytest.raises(TypeError, match="value must be a float, got str"):
        W.threshold_slider(distances, "0.1")
    with pytest.raises(ValueError, match="value must be finite, got nan"):
        W.threshold_slider(distances, math.nan)
    with pytest.raises(TypeError, match="description must be a str, got int"):
        W.threshold_slider(distances, 0.05, description=3)
