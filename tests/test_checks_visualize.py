"""The checks of notebook 05 pass the right answers and catch each typical mistake with its hint."""

import pytest
import torch

from coursekit.checks import CheckFailed
from coursekit.checks.visualize import (
    _recurrence,
    _streaming_top_k,
    check_receptive_field_recurrence,
    check_streaming_top_k,
)
from coursekit.visualize import LayerSpec, receptive_fields


def _learner_recurrence(layers):
    """A learner's solution, written independently of the reference."""
    size, jump, start, out = 1, 1, 0.0, []
    for kernel, stride, padding, dilation in layers:
        span = dilation * (kernel - 1)
        size, start, jump = size + span * jump, start + (span / 2 - padding) * jump, jump * stride
        out.append((size, jump, start))
    return out


def _learner_top_k(batches, k):
    everything = torch.cat(list(batches))  # (N, U): not streaming, but the same answer
    values, index = everything.T.sort(dim=1, descending=True)
    return values[:, :k], index[:, :k]


def test_reference_recurrence_equals_coursekit_receptive_fields():
    layers = [(11, 4, 2, 1), (3, 2, 0, 1), (5, 1, 2, 2)]
    rfs = receptive_fields([LayerSpec(str(i), k, s, p, d) for i, (k, s, p, d) in enumerate(layers)])
    assert _recurrence(layers) == [(rf.size[0], rf.jump[0], rf.start[0]) for rf in rfs]


def test_correct_solutions_pass(capsys):
    assert check_receptive_field_recurrence(_learner_recurrence) == 5
    assert check_streaming_top_k(_learner_top_k) == 4
    assert "all 5 cases pass" in capsys.readouterr().out


@pytest.mark.parametrize("mistake,hint", [
    ({"use_jump": False}, "times the jump so far"),
    ({"jump_first": True}, "update the jump after the size"),
    ({"dilation": False}, r"k_eff = d·\(k − 1\) \+ 1"),
    ({"padding_in_start": False}, "padding shifts the first unit's centre"),
    ({"start_times_jump": False}, "multiply .* by the jump so far"),
])
def test_recurrence_mistakes_are_caught_with_their_hint(mistake, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_receptive_field_recurrence(lambda layers: _recurrence(layers, **mistake))


@pytest.mark.parametrize("wrong,hint", [
    (lambda b, k: _streaming_top_k(b, k, offset_index=False), "number the images across batches"),
    (lambda b, k: _streaming_top_k(b, k, merge=False), "merge each batch with the k values kept"),
    (lambda b, k: _streaming_top_k(b, k, largest=False), "keep the largest activations"),
    (lambda b, k: tuple(t.T for t in _streaming_top_k(b, k)), r"shape \(U, k\), not \(k, U\)"),
])
def test_top_k_mistakes_are_caught_with_their_hint(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        check_streaming_top_k(wrong)


def test_unhinted_failures_and_unfinished_exercises():
    with pytest.raises(CheckFailed, match="case 'one 3x3 convolution' fails") as info:
        check_receptive_field_recurrence(lambda layers: [(0, 0, 0.0)] * len(layers))
    assert "Likely mistake" not in str(info.value)

    def unfinished(batches, k):
        raise NotImplementedError("write streaming_top_k")

    with pytest.raises(CheckFailed, match="not implemented yet"):
        check_streaming_top_k(unfinished)
    with pytest.raises(TypeError, match="expected a function to check"):
        check_streaming_top_k(None)
