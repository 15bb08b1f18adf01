"""coursekit.checks.visualize (notebook 05): wrong learner solutions are caught, correct alternatives pass."""

import heapq

import numpy as np
import pytest
import torch

from coursekit.checks import visualize as checks

from ._table import assert_caught, assert_passes


def test_references_pass_with_one_line(capsys):
    assert_passes(checks.check_receptive_field_recurrence, checks._recurrence)
    assert_passes(checks.check_streaming_top_k, checks._streaming_top_k)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("receptive_field_recurrence: 5 cases pass — ")
    assert out[1].startswith("streaming_top_k: 4 cases pass — ")


# ---- receptive field recurrence ------------------------------------------------------------------

def rf_plain(layers):
    size, jump, start, out = 1, 1, 0.0, []
    for k, s, p, d in layers:
        span = d * (k - 1) + 1
        size = size + (span - 1) * jump
        start = start + ((span - 1) / 2 - p) * jump
        jump = jump * s
        out.append((size, jump, start))
    return out


def rf_lists(layers):
    return [list(t) for t in rf_plain(layers)]


def rf_float_jump(layers):
    out = []
    for size, jump, start in rf_plain(layers):
        out.append((size, jump * 1.0, start))
    return out


def _rf_pops(layers):
    out, size, jump, start = [], 1, 1, 0.0
    while layers:
        k, s, p, d = layers.pop(0)  # empties the caller's list
        span = d * (k - 1) + 1
        size, start, jump = size + (span - 1) * jump, start + ((span - 1) / 2 - p) * jump, jump * s
        out.append((size, jump, start))
    return out


def _rf_integer_centre(layers):
    size, jump, start, out = 1, 1, 0, []
    for k, s, p, d in layers:
        span = d * (k - 1) + 1
        size, start, jump = size + (span - 1) * jump, start + ((span - 1) // 2 - p) * jump, jump * s
        out.append((size, jump, start))
    return out


RF_WRONG = {
    "stride instead of jump": (lambda L: checks._recurrence(L, use_jump=False), "the jump so far"),
    "jump updated first": (lambda L: checks._recurrence(L, jump_first=True), "update the jump after"),
    "no dilation": (lambda L: checks._recurrence(L, dilation=False), "k_eff = d·(k − 1) + 1"),
    "padding ignored": (lambda L: checks._recurrence(L, padding_in_start=False), "padding shifts"),
    "start not scaled": (lambda L: checks._recurrence(L, start_times_jump=False), "multiply ((k_eff − 1)/2 − p)"),
    "padding added": (lambda L: checks._recurrence(L, padding_sign=+1), "minus p"),
    "centre k_eff - 1": (lambda L: checks._recurrence(L, half=False), "(k_eff − 1)/2 pixels in"),
    "last layer only": (lambda L: checks._recurrence(L)[-1:], "one (size, jump, start) tuple per layer"),
    "float jump": (rf_float_jump, "output[0][1] should be an int"),
    "numpy array": (lambda L: np.array(rf_plain(L)), "should be a list of 1 items, got a numpy array"),
    "pops the caller's list": (_rf_pops, "changed its input `layers` in place"),
    "integer centre (// 2)": (_rf_integer_centre, "output[2][2] is 2, expected 2.5"),
}

RF_RIGHT = {"plain loop": rf_plain, "lists, not tuples": rf_lists}


@pytest.mark.parametrize("name", RF_WRONG)
def test_receptive_field_catches(name):
    fn, fragment = RF_WRONG[name]
    assert_caught(checks.check_receptive_field_recurrence, fn, fragment=fragment)


@pytest.mark.parametrize("name", RF_RIGHT)
def test_receptive_field_accepts(name):
    assert_passes(checks.check_receptive_field_recurrence, RF_RIGHT[name])


# ---- streaming top-k -----------------------------------------------------------------------------

def topk_namedtuple(batches, k):
    values = index = None
    offset = 0
    for a in batches:
        v, i = a.T, torch.arange(offset, offset + len(a)).expand(a.shape[1], -1)
        offset += len(a)
        if values is not None:
            v, i = torch.cat([values, v], 1), torch.cat([index, i], 1)
        best = torch.topk(v, min(k, v.shape[1]), dim=1)
        values, index = best.values, i.gather(1, best.indices)
    return best._replace(indices=index) if hasattr(best, "_replace") else (values, index)


def topk_heaps(batches, k):
    heaps, offset = None, 0
    for a in batches:
        if heaps is None:
            heaps, dtype = [[] for _ in range(a.shape[1])], a.dtype
        for b, row in enumerate(a.tolist()):
            for u, value in enumerate(row):
                item = (value, -(offset + b))
                (heapq.heappush if len(heaps[u]) < k else heapq.heappushpop)(heaps[u], item)
        offset += len(a)
    ordered = [sorted(h, reverse=True) for h in heaps]
    values = torch.tensor([[v for v, _ in h] for h in ordered], dtype=dtype)
    index = torch.tensor([[-i for _, i in h] for h in ordered])
    return values, index


def _topk_concatenate_all(batches, k):
    everything = torch.cat(list(batches))  # all images at once: not streaming
    values, index = everything.T.topk(min(k, len(everything)), dim=1)
    return values, index


def _topk_float_index(batches, k):
    values, index = checks._streaming_top_k(batches, k)
    return values, index.float()


def _topk_numpy(batches, k):
    values, index = checks._streaming_top_k(batches, k)
    return values.numpy(), index.numpy()


def _topk_ascending(batches, k):
    values, index = checks._streaming_top_k(batches, k)
    return values.flip(1), index.flip(1)


def _topk_batch_number(batches, k):
    values = index = None
    for t, a in enumerate(batches):
        v, i = a.T, torch.full(a.T.shape, t)
        if values is not None:
            v, i = torch.cat([values, v], 1), torch.cat([index, i], 1)
        values, order = v.topk(min(k, v.shape[1]), dim=1)
        index = i.gather(1, order)
    return values, index


def _topk_relu_in_place(batches, k):
    for a in batches:
        a.clamp_(min=0)
    return checks._streaming_top_k(batches, k)


TOPK_WRONG = {
    "positions restart per batch": (lambda b, k: checks._streaming_top_k(b, k, offset_index=False),
                                    "number the images across batches"),
    "no merge": (lambda b, k: checks._streaming_top_k(b, k, merge=False), "merge each batch"),
    "smallest": (lambda b, k: checks._streaming_top_k(b, k, largest=False), "keep the largest"),
    "transposed": (lambda b, k: tuple(t.T for t in checks._streaming_top_k(b, k)), "not (k, U)"),
    "not streaming (torch.cat of all)": (_topk_concatenate_all, "it is not streaming"),
    "float indices": (_topk_float_index, "output[1] has dtype torch.float32, expected torch.int64"),
    "numpy": (_topk_numpy, "numpy array"),
    "ascending": (_topk_ascending, "fails"),
    "batch number, not image": (_topk_batch_number, "output[1]"),
    "ReLU in place": (_topk_relu_in_place, "changed its input `batches` in place"),
}

TOPK_RIGHT = {"topk namedtuple": topk_namedtuple, "heaps": topk_heaps}


@pytest.mark.parametrize("name", TOPK_WRONG)
def test_streaming_top_k_catches(name):
    fn, fragment = TOPK_WRONG[name]
    assert_caught(checks.check_streaming_top_k, fn, fragment=fragment)


@pytest.mark.parametrize("name", TOPK_RIGHT)
def test_streaming_top_k_accepts(name):
    assert_passes(checks.check_streaming_top_k, TOPK_RIGHT[name])


def test_a_function_that_indexes_the_stream_is_told_to_loop():
    def indexes(batches, k):
        return checks._streaming_top_k([batches[i] for i in range(len(batches))], k)

    assert_caught(checks.check_streaming_top_k, indexes, fragment="Loop over `batches`")
