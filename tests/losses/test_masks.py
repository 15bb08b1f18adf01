"""Triplet masks against loops over (a, p, n)."""

import pytest
import torch

from coursekit.losses import anchor_negative_mask, anchor_positive_mask, valid_triplet_mask


def test_masks_match_loops():
    labels = torch.tensor([0, 1, 0, 2, 1, 0])
    y = labels.tolist()
    b = len(y)
    ap = [[i != j and y[i] == y[j] for j in range(b)] for i in range(b)]
    an = [[y[i] != y[j] for j in range(b)] for i in range(b)]
    valid = [[[i != j and i != k and j != k and y[i] == y[j] != y[k] for k in range(b)]
              for j in range(b)] for i in range(b)]
    assert anchor_positive_mask(labels).tolist() == ap
    assert anchor_negative_mask(labels).tolist() == an
    assert valid_triplet_mask(labels).tolist() == valid
    assert valid_triplet_mask(labels).dtype == torch.bool



def test_masks_reject_bad_input():
    with pytest.raises(ValueError, match=r"labels must have shape \(N,\), got \(2, 2\)"):
        anchor_positive_mask(torch.zeros(2, 2, dtype=torch.int64))
    with pytest.raises(TypeError, match=r"integer tensor"):
        valid_triplet_mask(torch.tensor([0.0, 1.0]))
    with pytest.raises(TypeError, match=r"labels must be a torch.Tensor.*got list"):
        anchor_negative_mask([0, 1])
    for dtype in (torch.int8, torch.int32, torch.uint8):  # any integer dtype means the same labels
        y = torch.tensor([0, 1, 0, 2], dtype=dtype)
        assert torch.equal(valid_triplet_mask(y), valid_triplet_mask(y.long()))
