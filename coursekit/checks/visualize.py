"""Checks for the exercises of notebook 05 (visualizing CNNs).

- ``check_receptive_field_recurrence``: the receptive-field recurrence of a chain of layers;
- ``check_streaming_top_k``: the k largest activations per unit over a stream of batches.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence

import torch

from ._harness import Case, Mistake, run_check

__all__ = ["check_receptive_field_recurrence", "check_streaming_top_k"]

Layer = tuple[int, int, int, int]  # kernel, stride, padding, dilation


def _recurrence(layers: Sequence[Layer], *, use_jump=True, jump_first=False, dilation=True,
                padding_in_start=True, start_times_jump=True, padding_sign=-1,
                half=True) -> list[tuple[int, int, float]]:
    """The reference (all flags True) and, with one flag off, a typical mistake."""
    r, j, c = 1, 1, 0.0
    out = []
    for k, s, p, d in layers:
        k_eff = d * (k - 1) + 1 if dilation else k
        if jump_first:
            j *= s
        step = j if use_jump else s
        r += (k_eff - 1) * step
        centre = (k_eff - 1) / 2 if half else float(k_eff - 1)
        c += (centre + padding_sign * (p if padding_in_start else 0)) * (j if start_times_jump else 1)
        if not jump_first:
            j *= s
        out.append((r, j, c))
    return out


def check_receptive_field_recurrence(learner_fn: Callable[[Sequence[Layer]], list]) -> None:
    """Check ``learner_fn(layers) -> [(size, jump, start), ...]``, one tuple per layer.

    ``layers`` is a list of (kernel, stride, padding, dilation); r_out = r_in + (k_eff − 1)·j_in,
    j_out = j_in·s, c_out = c_in + ((k_eff − 1)/2 − p)·j_in with k_eff = d(k − 1) + 1.

    Parameters
    ----------
    learner_fn : callable (list of (k, s, p, d)) -> list of (float, float, float)
        The learner's recurrence: size, jump and start of each layer's receptive field.

    Returns
    -------
    None
        Prints ``receptive_field_recurrence: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When a layer's (size, jump, start) differs: the size grown by the stride
        instead of the jump, the dilation or padding ignored, only the last layer returned.

    Examples
    --------
    >>> check_receptive_field_recurrence(_recurrence)  # doctest: +ELLIPSIS
    receptive_field_recurrence: 5 cases pass — ...
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
        Mistake(lambda layers: _recurrence(layers, padding_sign=+1),
                "padding moves the first unit's centre *left*: c_out = c_in + ((k_eff − 1)/2 − p)·j_in, minus p."),
        Mistake(lambda layers: _recurrence(layers, half=False),
                "the centre of a window of k_eff pixels is (k_eff − 1)/2 pixels in, not k_eff − 1."),
        Mistake(lambda layers: _recurrence(layers)[-1:],
                "return one (size, jump, start) tuple per layer, not only the last one."),
    ]
    return run_check("receptive_field_recurrence", learner_fn, _recurrence, cases, mistakes=mistakes,
                     verified="one (size, jump, start) per layer: the size grows by (k_eff − 1)·jump, the jump "
                              "by the stride after it, dilation and padding in the start")


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


class _WatchedStream:
    """Batches of activations yielded one at a time and remembered only by weak reference, so that
    a function that keeps earlier batches (a list, ``torch.cat`` of all) can be caught."""

    def __init__(self, sizes: Sequence[int], units: int, seed: int) -> None:
        self.sizes, self.units, self.seed = list(sizes), units, seed
        self.refs: list[weakref.ref] = []
        self.most_alive, self.when = 0, 0

    def __len__(self) -> int:
        return len(self.sizes)

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed)
        for t, b in enumerate(self.sizes):
            alive = sum(r() is not None for r in self.refs[:-1])  # all but the batch just handed out
            if alive > self.most_alive:
                self.most_alive, self.when = alive, t
            batch = torch.randn(b, self.units, generator=g, dtype=torch.float64)
            self.refs.append(weakref.ref(batch))
            yield batch
            del batch


def _keeps_one_batch(learner_fn: Callable) -> str | None:
    stream = _WatchedStream([3, 4, 2, 5, 3, 4], 3, 11)
    try:
        learner_fn(stream, 2)
    except Exception as exc:
        return (f"called on a stream of batches (an iterable like a DataLoader, not a list), your function "
                f"raised {type(exc).__name__}: {exc}. Loop over `batches` with `for a in batches:`.")
    if stream.most_alive:
        return (f"it is not streaming: when batch {stream.when} was requested, {stream.most_alive} earlier "
                "batch(es) were still held in memory (a list of batches, or torch.cat of all of them). Merge "
                "each batch into the k values kept per unit, then let it go: a stream can be larger than memory.")
    return None


def check_streaming_top_k(learner_fn: Callable[[Sequence[torch.Tensor], int], tuple]) -> None:
    """Check ``learner_fn(batches, k) -> (values, index)``, both of shape (U, k).

    ``batches`` is a sequence of (B_t, U) activations (image t·B + b, unit u); the result holds
    for each unit its k largest activations over all images in decreasing order and the
    images' positions in the stream, keeping at most k per unit between batches.

    Parameters
    ----------
    learner_fn : callable (batches: sequence of Tensor (B_t, U), k: int) -> (Tensor (U, k), Tensor (U, k))
        The learner's streaming top-k: values (decreasing) and image positions.

    Returns
    -------
    None
        Prints ``streaming_top_k: N cases pass — ...`` when every case passes.

    Raises
    ------
    CheckFailed
        When values or image positions differ: positions within the batch instead of
        the stream, only the last batch kept, the smallest values, or (k, U) results.

    Examples
    --------
    >>> check_streaming_top_k(_streaming_top_k)  # doctest: +ELLIPSIS
    streaming_top_k: 4 cases pass — ...
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
    return run_check("streaming_top_k", learner_fn, _streaming_top_k, cases, mistakes=mistakes,
                     probes=[_keeps_one_batch],
                     verified="(U, k) float values in decreasing order and int64 stream positions, merged "
                              "across batches, at most one batch held at a time")
