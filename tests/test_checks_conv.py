import pytest
import torch
from torch.nn import functional as F

from coursekit.checks import CheckFailed
from coursekit.checks.conv import check_conv1d, check_conv_output_size, check_max_over_time


def _size_solution(n, f, s=1, p=0, d=1):
    return (n + 2 * p - d * (f - 1) - 1) // s + 1


def _conv1d_loops(x, w, b):
    n, c_in, length = x.shape
    c_out, _, f = w.shape
    out = torch.zeros(n, c_out, length - f + 1, dtype=x.dtype)
    for i in range(n):
        for o in range(c_out):
            for t in range(length - f + 1):
                out[i, o, t] = b[o] + (w[o] * x[i, :, t : t + f]).sum()
    return out


def test_correct_solutions_pass(capsys):
    assert check_conv_output_size(_size_solution) == 8
    assert check_max_over_time(lambda x: x.max(dim=-1).values) == 4
    assert check_conv1d(_conv1d_loops) == 4
    assert "all 4 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda n, f, s=1, p=0, d=1: (n + 2 * p - f) // s + 1, "dilation is missing"),
        (lambda n, f, s=1, p=0, d=1: (n + p - d * (f - 1) - 1) // s + 1, "n \\+ 2p"),
        (lambda n, f, s=1, p=0, d=1: -(-(n + 2 * p - d * (f - 1) - 1) // s) + 1, "round down"),
        (lambda n, f, s=1, p=0, d=1: (n + 2 * p - d * (f - 1) - 1) // s, "add 1"),
        (lambda n, f, s=1, p=0, d=1: (n + 2 * p - d * (f - 1) - 1) / s + 1, "integer"),
        (lambda n, f, s=1, p=0, d=1: (n + 2 * p - d * (f - 1)) // s + 1, "numerator"),
    ],
)
def test_output_size_check_catches_each_mistake(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_conv_output_size(wrong)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda x: x.mean(-1), "average pooling"),
        (lambda x: x.sum(-1), "sum pooling"),
        (lambda x: x.abs().max(-1).values, r"not of \|x\|"),
        (lambda x: x.max(-1, keepdim=True).values, r"shape \(N, C\)"),
        (lambda x: x.max(1).values, "fails"),  # max over channels: wrong shape, no hint needed
    ],
)
def test_max_over_time_check_catches_each_mistake(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_max_over_time(wrong)


@pytest.mark.parametrize(
    ("wrong", "hint"),
    [
        (lambda x, w, b: _conv1d_loops(x, w.flip(-1), b), "does not flip the filter"),
        (lambda x, w, b: _conv1d_loops(x, w, torch.zeros_like(b)), "add the bias"),
        (lambda x, w, b: _conv1d_loops(x, w, b)[..., :-1], "L − f \\+ 1 output positions"),
        (lambda x, w, b: F.conv1d(x, w, b, padding=w.shape[-1] // 2), "no padding here"),
        (lambda x, w, b: _conv1d_loops(x[:, :1], w[:, :1], b), "sum over every input channel"),
    ],
)
def test_conv1d_check_catches_each_mistake(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_conv1d(wrong)


def test_unimplemented_exercise_is_reported():
    def todo(x):
        raise NotImplementedError("write max_over_time")

    with pytest.raises(CheckFailed, match="not implemented yet"):
        check_max_over_time(todo)
