"""Checks for the exercises of notebook 07 (1-D and 3-D convolutions).

- ``check_conv_output_size(fn)``: ``fn(n, f, s, p, d)`` = ⌊(n + 2p − d(f − 1) − 1)/s⌋ + 1.
- ``check_max_over_time(fn)``: ``fn(x)`` with x (N, C, L) returns max_t x[:, :, t], shape (N, C).
- ``check_conv1d(fn)``: ``fn(x, weight, bias)`` equals ``torch.nn.functional.conv1d`` (no padding, stride 1).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

# the references (module paths may move: keep them here)
from ..conv_shapes import conv_output_size
from ..models.text_cnn import max_over_time
from ._harness import Case, Grad, Mistake, run_check

__all__ = ["check_conv_output_size", "check_max_over_time", "check_conv1d"]


def _size_ref(n, f, s=1, p=0, d=1):
    return conv_output_size(n, f, s, p, d)


def check_conv_output_size(learner_fn) -> None:
    """Compare ``learner_fn(n, f, s, p, d)`` with the output-size formula on 1-D/2-D/3-D layer sizes.

    Parameters
    ----------
    learner_fn : callable (n, f, s, p, d) -> int
        The learner's ``conv_output_size``: input length, kernel size, stride, padding, dilation.

    Returns
    -------
    None
        Prints ``conv_output_size: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When a size differs from ⌊(n + 2p − d(f − 1) − 1)/s⌋ + 1, e.g. padding counted
        once, the dilation ignored, rounding up, or a float returned.
    """
    cases = [
        Case("Kim: 56 words, width 3", (56, 3, 1, 0, 1)),
        Case("C3D conv: 112, 3×3, pad 1", (112, 3, 1, 1, 1)),
        Case("stride 2 that does not divide", (7, 3, 2, 0, 1)),
        Case("stride 2 with padding", (32, 3, 2, 1, 1)),
        Case("pooling 2 by 2", (33, 2, 2, 0, 1)),
        Case("dilation 2", (10, 3, 1, 0, 2)),
        Case("dilation 3, stride 2, pad 2", (50, 5, 2, 2, 3)),
        Case("filter as long as the input", (5, 5, 1, 0, 1)),
        Case("dilation 2, stride 3, pad 1", (20, 3, 3, 1, 2)),
    ]
    mistakes = [
        Mistake(lambda n, f, s=1, p=0, d=1: (n + 2 * p - f) // s + 1,
                "the dilation is missing: a dilated filter spans d(f − 1) + 1 samples, not f."),
        Mistake(lambda n, f, s=1, p=0, d=1: (n + p - d * (f - 1) - 1) // s + 1,
                "padding is added at both ends: the padded length is n + 2p."),
        Mistake(lambda n, f, s=1, p=0, d=1: -(-(n + 2 * p - d * (f - 1) - 1) // s) + 1,
                "round down, not up: a window that would run past the end is not computed."),
        Mistake(lambda n, f, s=1, p=0, d=1: (n + 2 * p - d * (f - 1) - 1) // s,
                "the first window counts too: add 1 after dividing by the stride."),
        Mistake(lambda n, f, s=1, p=0, d=1: (n + 2 * p - d * (f - 1) - 1) / s + 1,
                "use integer (floor) division // so the size is an int."),
        Mistake(lambda n, f, s=1, p=0, d=1: (n + 2 * p - d * (f - 1) - 1 + 1) // s + 1,
                "the last window starts at n + 2p − span; the numerator is n + 2p − d(f − 1) − 1."),
        Mistake(lambda n, f, s=1, p=0, d=1: (n + 2 * p - d * f) // s + 1,
                "a dilated filter spans d(f − 1) + 1 samples: the numerator is n + 2p − d(f − 1) − 1, not n + 2p − d·f."),
    ]
    return run_check("conv_output_size", learner_fn, _size_ref, cases, mistakes=mistakes,
                     verified="an int from ⌊(n + 2p − d(f − 1) − 1)/s⌋ + 1 with stride, padding and dilation")


def check_max_over_time(learner_fn) -> None:
    """Compare ``learner_fn(x)`` with max over the last (time) axis on tensors of shape (N, C, L).

    Parameters
    ----------
    learner_fn : callable (Tensor (N, C, L)) -> Tensor (N, C)
        The learner's max-over-time pooling.

    Returns
    -------
    None
        Prints ``max_over_time: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When the result is not the max over the last axis: average or sum pooling, the
        max of |x|, the max over the channels, or the last time step.
    """
    g = torch.Generator().manual_seed(7)
    cases = [
        Case("one sentence, one map", (torch.tensor([[[0.5, 2.0, -1.0, 1.5]]]),)),
        Case("all negative (ReLU off): max, not max of |x|", (-torch.rand(2, 3, 5, generator=g) - 0.1,)),
        Case("batch of 4, 6 maps, 9 steps", (torch.randn(4, 6, 9, generator=g),)),
        Case("a single time step", (torch.randn(3, 2, 1, generator=g),)),
        Case("float64 maps", (torch.randn(2, 3, 4, generator=g, dtype=torch.float64),)),
    ]
    mistakes = [
        Mistake(lambda x: x.mean(dim=-1), "this is average pooling; max-over-time keeps the largest value."),
        Mistake(lambda x: x.sum(dim=-1), "sum pooling grows with sentence length; take the max."),
        Mistake(lambda x: x.abs().amax(dim=-1), "take the max of x itself, not of |x|."),
        Mistake(lambda x: x.amax(dim=-1, keepdim=True), "drop the time axis: the result has shape (N, C)."),
        Mistake(lambda x: x.amax(dim=1), "the max runs over time, the last axis of (N, C, L), not over the channels."),
        Mistake(lambda x: x.amax(dim=(1, 2)), "take the max over time only (dim=-1): each of the C maps keeps its own max."),
        Mistake(lambda x: x[..., -1], "this is the last time step; take the max over all of them."),
    ]
    return run_check("max_over_time", learner_fn, max_over_time, cases, mistakes=mistakes,
                     verified="a tensor (N, C) of the input's dtype, the max over the last (time) axis, "
                              "negative maps included", grad=Grad(wrt=(0,)))


def _conv1d_ref(x, weight, bias):
    return F.conv1d(x, weight, bias)


def check_conv1d(learner_fn) -> None:
    """Compare ``learner_fn(x, weight, bias)`` with ``F.conv1d(x, weight, bias)`` (stride 1, no padding).

    Parameters
    ----------
    learner_fn : callable (x (N, C_in, L), weight (C_out, C_in, f), bias (C_out,)) -> Tensor (N, C_out, L − f + 1)
        The learner's 1-D convolution (a cross-correlation, as in PyTorch).

    Returns
    -------
    None
        Prints ``conv1d: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When values or gradients differ from ``F.conv1d``: a flipped kernel (a true
        convolution), a missing or shared bias, padding, or one input channel only.
    """
    g = torch.Generator().manual_seed(3)
    r = lambda *shape: torch.randn(*shape, generator=g, dtype=torch.float64)  # noqa: E731
    cases = [
        Case("hand-sized: one channel, filter [1, 0, -1]",
             (torch.tensor([[[1.0, 2.0, 4.0, 7.0, 11.0]]], dtype=torch.float64),
              torch.tensor([[[1.0, 0.0, -1.0]]], dtype=torch.float64), torch.tensor([0.5], dtype=torch.float64))),
        Case("Kim-like: 5 channels in, 4 maps out, width 3", (r(2, 5, 8), r(4, 5, 3), r(4))),
        Case("width 1 (a per-position linear map)", (r(3, 2, 6), r(5, 2, 1), r(5))),
        Case("filter as long as the input", (r(1, 3, 4), r(2, 3, 4), r(2))),
        Case("float32 input", (r(2, 3, 7).float(), r(4, 3, 2).float(), r(4).float())),
    ]
    mistakes = [
        Mistake(lambda x, w, b: F.conv1d(x, w.flip(-1), b),
                "PyTorch's convolution does not flip the filter (it is a cross-correlation): "
                "out[t] = Σ_k w[k] x[t + k]."),
        Mistake(lambda x, w, b: F.conv1d(x, w), "add the bias b[c_out] to every output position."),
        Mistake(lambda x, w, b: F.conv1d(x, w, b)[..., :-1],
                "there are L − f + 1 output positions: the last window starts at t = L − f."),
        Mistake(lambda x, w, b: F.conv1d(x, w, b, padding=w.shape[-1] // 2),
                "no padding here: the output is shorter than the input by f − 1."),
        Mistake(lambda x, w, b: F.conv1d(x[:, :1], w[:, :1], b),
                "sum over every input channel: out[c_out, t] = b[c_out] + Σ_c_in Σ_k w[c_out, c_in, k] x[c_in, t + k]."),
        Mistake(lambda x, w, b: F.conv1d(x, w, b)[..., 1:],
                "the first window starts at t = 0: there are L − f + 1 output positions."),
        Mistake(lambda x, w, b: F.conv1d(x, w, b.flip(0)),
                "output channel c_out gets its own bias b[c_out]."),
    ]
    return run_check("conv1d", learner_fn, _conv1d_ref, cases, mistakes=mistakes, grad=Grad(wrt=(0, 1, 2)),
                     verified="(N, C_out, L − f + 1) in the input's dtype, cross-correlation (no flip), bias per "
                              "output channel, gradients flow")
