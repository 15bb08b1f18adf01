"""Checks for the exercises of notebook 05 (visualizing CNNs).

- ``check_receptive_field_recurrence``: the receptive-field recurrence of a chain of layers;
- ``check_streaming_top_k``: the k largest activations per unit over a stream of batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ._harness import Case, Mistake, run_check

__all__ = ["check_receptive_field_recurrence", "check_streaming_top_k"]

Layer = tuple[int, int, int, int]  # kernel, stride, padding, dilation


def _recurrence(layers: Sequence[Layer], *, use_jump=True, jump_first=False, dilation=True,
                padding_in_start=True, start_times_jump=True) -> list[tuple[int, int, float]]:
    """The reference (all flags True) and, with one flag off, a typical mistake."""
    r, j, c = 1, 1, 0.0
    out = []
    for k, s, p, d in layers:
        k_eff = d * (k - 1) + 1 if dilation else k
        if jump_first:
            j *= s
        step = j if use_jump else s
        r += (k_eff - 1) * step
        c += ((k_eff - 1) / 2 - (p if padding_in_start else 0)) * (j if start_times_jump else 1)
        if not jump_first:
            j *= s
        out.append((r, j, c))
    return out


def check_receptive_field_recurrence(learner_fn: Callable[[Sequence[Layer]], list]) -> int:
    """Check ``learner_fn(layers) -> [(size, jump, start), ...]``, one tuple per layer.

    ``layers`` is a list of (kernel, stride, padding, dilation); r_out = r_in + (k_eff − 1)·j_in,
    j_out = j_in·s, c_out = c_in + ((k_eff − 1)/2 − p)·j_in with k_eff = d(k − 1) + 1.

    Examples
    --------
    >>> check_receptive_field_recurrence(_recurrence)
    receptive_field_recurrence: all 5 cases pass.
    5
    """
    vgg_block = [(3, 1, 1, 1), (3, 1, 1, 1), (2, 2, 0, 1)]
    cases = [
        Case("one 3x3 convolution", ([(3, 1, 0, 1)],)),
        Case("two 3x3 convolutions, then a 2x2 pool", ([(3, 1, 0, 1), (3, 1, 0, 1), (2, 2, 0, 1)],)),
        Case("AlexNet's conv1, pool1, conv2", ([(11, 4, 2, 1), (3, 2, 0, 1), (5, 1, 2, 1)],)),
        Case("VGG-16 up to pool4", (vgg_block * 2 + [(3, 1, 1, 1)] * 3 + [(2, 2, 0, 1)]
                                    + [(3, 1, 1, 1)] * 3 + [(2, 2, 0, 1)],)),
        Case("a dilated convolution after a strided one", ([(3, 2, 1, 1), (3, 1, 2, 2), (3, 1, 4, 4)],)),
    ]
    mistakes = [
        Mistake(lambda layers: _recurrence(layers, use_jump=False),
                "the size grows by (k_eff − 1) times the jump so far (the product of the earlier "
                "strides), not by this layer's stride."),
        Mistake(lambda layers: _recurrence(layers, jump_first=True),
                "update the jump after the size and the start: this layer's stride only spaces "
                "the units of the next layers."),
        Mistake(lambda layers: _recurrence(layers, dilation=False),
                "with dilation d a k-tap kernel spans k_eff = d·(k − 1) + 1 pixels."),
        Mistake(lambda layers: _recurrence(layers, padding_in_start=False),
                "padding shifts the first unit's centre: c_out = c_in + ((k_eff − 1)/2 − p)·j_in."),
        Mistake(lambda layers: _recurrence(layers, start_times_jump=False),
                "the start moves in input pixels: multiply ((k_eff − 1)/2 − p) by the jump so far."),
    ]
    return run_check("receptive_field_recurrence", learner_fn, _recurrence, cases, mistakes=mistakes)


def _streaming_top_k(batches: Sequence[torch.Tensor], k: int, *, offset_index=True, merge=True,
                     largest=True) -> tuple[torch.Tensor, torch.Tensor]:
    values = index = None
    offset = 0
    for a in batches:  # a: (B, U), one row per image
        v = a.T
        i = torch.arange(offset if offset_index else 0, (offset if offset_index else 0) + len(a)).expand_as(v)
        offset += len(a)
        if values is not None and merge:
            v, i = torch.cat([values, v], dim=1), torch.cat([index, i], dim=1)
        values, order = v.topk(min(k, v.shape[1]), dim=1, largest=largest)
        index = i.gather(1, order)
    return values, index


def check_streaming_top_k(learner_fn: Callable[[Sequence[torch.Tensor], int], tuple]) -> int:
    """Check ``learner_fn(batches, k) -> (values, index)``, both of shape (U, k).

    ``batches`` is a sequence of (B_t, U) activations (image t·B + b, unit u); the result holds
    for each unit its k largest activations over all images in decreasing order and the
    images' positions in the stream, keeping at most k per unit between batches.

    Examples
    --------
    >>> check_streaming_top_k(_streaming_top_k)
    streaming_top_k: all 4 cases pass.
    4
    """
    g = torch.Generator().manual_seed(5)

    def stream(sizes, units):
        return [torch.randn(b, units, generator=g, dtype=torch.float64) for b in sizes]

    cases = [
        Case("one batch, k = 3", (stream([6], 2), 3)),
        Case("three batches of 4, k = 5", (stream([4, 4, 4], 3), 5)),
        Case("batches smaller than k", (stream([2, 3, 1, 4], 2), 4)),
        Case("k = 1, best image in the first batch", ([torch.tensor([[9.0, 0.0]]), torch.tensor([[1.0, 2.0]]),
                                                        torch.tensor([[3.0, 1.0], [0.5, 0.1]])], 1)),
    ]
    mistakes = [
        Mistake(lambda b, k: _streaming_top_k(b, k, offset_index=False),
                "number the images across batches: batch t's rows are images offset, offset + 1, ... "
                "where offset counts the images of the earlier batches."),
        Mistake(lambda b, k: _streaming_top_k(b, k, merge=False),
                "merge each batch with the k values kept so far (concatenate, then top-k); "
                "otherwise only the last batch counts."),
        Mistake(lambda b, k: _streaming_top_k(b, k, largest=False),
                "keep the largest activations (topk's default largest=True), in decreasing order."),
        Mistake(lambda b, k: tuple(t.T for t in _streaming_top_k(b, k)),
                "return one row per unit: values and index of shape (U, k), not (k, U)."),
    ]
    return run_check("streaming_top_k", learner_fn, _streaming_top_k, cases, mistakes=mistakes)
