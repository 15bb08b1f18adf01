"""coursekit.checks.conv (notebook 07): wrong learner solutions are caught, correct alternatives pass."""

import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from coursekit.checks import conv as checks

from ._table import assert_caught, assert_passes


def test_references_pass_with_one_line(capsys):
    assert_passes(checks.check_conv_output_size, checks._size_ref)
    assert_passes(checks.check_max_over_time, checks.max_over_time)
    assert_passes(checks.check_conv1d, checks._conv1d_ref)
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["conv_output_size", "max_over_time", "conv1d"]
    assert all(" cases pass — " in line for line in out)


# ---- output size ---------------------------------------------------------------------------------

SIZE_WRONG = {
    "no dilation": (lambda n, f, s=1, p=0, d=1: (n + 2 * p - f) // s + 1, "the dilation is missing"),
    "padding once": (lambda n, f, s=1, p=0, d=1: (n + p - d * (f - 1) - 1) // s + 1, "the padded length is n + 2p"),
    "rounded up": (lambda n, f, s=1, p=0, d=1: -(-(n + 2 * p - d * (f - 1) - 1) // s) + 1, "round down"),
    "no + 1 (off by one)": (lambda n, f, s=1, p=0, d=1: (n + 2 * p - d * (f - 1) - 1) // s, "add 1 after dividing"),
    "true division": (lambda n, f, s=1, p=0, d=1: (n + 2 * p - d * (f - 1) - 1) / s + 1, "use floor division //"),
    "numerator + 1": (lambda n, f, s=1, p=0, d=1: (n + 2 * p - d * (f - 1)) // s + 1, "the last window starts"),
    "(n + 2p - d*f)//s + 1": (lambda n, f, s=1, p=0, d=1: (n + 2 * p - d * f) // s + 1, "not n + 2p − d·f"),
    "round to nearest": (lambda n, f, s=1, p=0, d=1: round((n + 2 * p - d * (f - 1) - 1) / s) + 1, "expected"),
    "np.floor": (lambda n, f, s=1, p=0, d=1: np.floor((n + 2 * p - d * (f - 1) - 1) / s) + 1,
                 "should be an int, got a numpy float64"),
    "stride ignored": (lambda n, f, s=1, p=0, d=1: n + 2 * p - d * (f - 1), "expected"),
}

SIZE_RIGHT = {
    "math.floor": lambda n, f, s=1, p=0, d=1: math.floor((n + 2 * p - d * (f - 1) - 1) / s) + 1,
    "with the span": lambda n, f, s=1, p=0, d=1: (n + 2 * p - (d * (f - 1) + 1)) // s + 1,
    "int(np.floor)": lambda n, f, s=1, p=0, d=1: int(np.floor((n + 2 * p - d * (f - 1) - 1) / s)) + 1,
    "counting windows": lambda n, f, s=1, p=0, d=1: len(range(0, n + 2 * p - d * (f - 1), s)),
}


@pytest.mark.parametrize("name", SIZE_WRONG)
def test_conv_output_size_catches(name):
    fn, fragment = SIZE_WRONG[name]
    assert_caught(checks.check_conv_output_size, fn, fragment=fragment)


@pytest.mark.parametrize("name", SIZE_RIGHT)
def test_conv_output_size_accepts(name):
    assert_passes(checks.check_conv_output_size, SIZE_RIGHT[name])


def test_the_d_times_f_mistake_gets_its_own_hint_not_add_one():
    message = assert_caught(checks.check_conv_output_size, SIZE_WRONG["(n + 2p - d*f)//s + 1"][0],
                            fragment="Likely mistake")
    assert "add 1" not in message
    assert "output is 5, expected 6" in message  # expected vs got, not a relative error


# ---- max over time -------------------------------------------------------------------------------

def _mot_relu_in_place(x):
    return x.relu_().amax(dim=-1)


MOT_WRONG = {
    "mean": (lambda x: x.mean(dim=-1), "average pooling"),
    "sum": (lambda x: x.sum(dim=-1), "sum pooling"),
    "max of |x|": (lambda x: x.abs().amax(dim=-1), "not of |x|"),
    "keepdim": (lambda x: x.amax(dim=-1, keepdim=True), "has shape (1, 1, 1), expected (1, 1)"),
    "over channels": (lambda x: x.amax(dim=1), "not over the channels"),
    "over both": (lambda x: x.amax(dim=(1, 2)), "over time only"),
    "last step": (lambda x: x[..., -1], "the last time step"),
    "torch.max namedtuple": (lambda x: torch.max(x, dim=-1), "take .values"),
    "argmax": (lambda x: x.argmax(dim=-1), "dtype torch.int64, expected torch.float32"),
    "numpy": (lambda x: x.detach().numpy().max(axis=-1), "numpy array"),
    "ReLU in place": (_mot_relu_in_place, "in place"),
}


def mot_loop(x):
    out = x[..., 0]
    for t in range(1, x.shape[-1]):
        out = torch.maximum(out, x[..., t])
    return out


MOT_RIGHT = {
    "max().values": lambda x: x.max(dim=2).values,
    "loop with torch.maximum": mot_loop,
    "max_pool1d": lambda x: F.max_pool1d(x, x.shape[-1]).squeeze(-1),
}


@pytest.mark.parametrize("name", MOT_WRONG)
def test_max_over_time_catches(name):
    fn, fragment = MOT_WRONG[name]
    assert_caught(checks.check_max_over_time, fn, fragment=fragment)


@pytest.mark.parametrize("name", MOT_RIGHT)
def test_max_over_time_accepts(name):
    assert_passes(checks.check_max_over_time, MOT_RIGHT[name])


# ---- conv1d --------------------------------------------------------------------------------------

def conv1d_loop(x, weight, bias):
    N, C, L = x.shape
    n_out, _, f = weight.shape
    out = torch.zeros(N, n_out, L - f + 1, dtype=x.dtype)
    for t in range(L - f + 1):
        out[:, :, t] = torch.einsum("ncf,ocf->no", x[:, :, t:t + f], weight) + bias
    return out


def conv1d_unfold(x, weight, bias):
    windows = x.unfold(-1, weight.shape[-1], 1)  # (N, C, L − f + 1, f)
    return torch.einsum("nctf,ocf->not", windows, weight) + bias[:, None]


def conv1d_stack(x, weight, bias):
    f = weight.shape[-1]
    cols = [(x[:, None, :, t:t + f] * weight).sum(dim=(2, 3)) for t in range(x.shape[-1] - f + 1)]
    return torch.stack(cols, dim=-1) + bias[:, None]


def _conv1d_float32_buffer(x, weight, bias):
    N, C, L = x.shape
    n_out, _, f = weight.shape
    out = torch.zeros(N, n_out, L - f + 1)  # float32, whatever the input
    for t in range(L - f + 1):
        out[:, :, t] = torch.einsum("ncf,ocf->no", x[:, :, t:t + f], weight) + bias
    return out


CONV_WRONG = {
    "flipped filter": (lambda x, w, b: F.conv1d(x, w.flip(-1), b), "does not flip the filter"),
    "no bias": (lambda x, w, b: F.conv1d(x, w), "add the bias"),
    "one position short": (lambda x, w, b: F.conv1d(x, w, b)[..., :-1], "L − f + 1 output positions"),
    "padded": (lambda x, w, b: F.conv1d(x, w, b, padding=w.shape[-1] // 2), "no padding here"),
    "first input channel only": (lambda x, w, b: F.conv1d(x[:, :1], w[:, :1], b), "sum over every input channel"),
    "shifted start": (lambda x, w, b: F.conv1d(x, w, b)[..., 1:], "the first window starts at t = 0"),
    "bias permuted": (lambda x, w, b: F.conv1d(x, w, b.flip(0)), "its own bias"),
    "float32 buffer, float64 input": (_conv1d_float32_buffer,
                                      "dtype torch.float32, expected torch.float64: the result has the dtype "
                                      "of the input: a buffer from torch.zeros"),
    "numpy": (lambda x, w, b: F.conv1d(x, w, b).detach().numpy(), "numpy array"),
    "detached": (lambda x, w, b: F.conv1d(x, w, b).detach(), "does not carry a gradient"),
}

CONV_RIGHT = {"loop into a buffer of x.dtype": conv1d_loop, "unfold + einsum": conv1d_unfold,
              "stack of windows": conv1d_stack}


@pytest.mark.parametrize("name", CONV_WRONG)
def test_conv1d_catches(name):
    fn, fragment = CONV_WRONG[name]
    assert_caught(checks.check_conv1d, fn, fragment=fragment)


@pytest.mark.parametrize("name", CONV_RIGHT)
def test_conv1d_accepts(name):
    assert_passes(checks.check_conv1d, CONV_RIGHT[name])
