"""Pairs and identity splits against loops."""

import pytest
import torch

from coursekit.pairs import all_pairs, identity_split, sample_pairs

LABELS = torch.tensor([0, 1, 0, 2, 1, 1, 3, 2])


def test_all_pairs_matches_double_loop():
    i, j, same = all_pairs(LABELS)
    ref = [(a, b, bool(LABELS[a] == LABELS[b])) for a in range(8) for b in range(a + 1, 8)]
    assert list(zip(i.tolist(), j.tolist(), same.tolist(), strict=True)) == ref


def test_sample_pairs_counts_distinct_and_seeded():
    g = torch.Generator().manual_seed(0)
    i, j, same = sample_pairs(LABELS, 4, 6, generator=g)
    assert same.tolist() == [True] * 4 + [False] * 6
    assert torch.equal(same, LABELS[i] == LABELS[j]) and (i < j).all()
    assert len(set(zip(i.tolist(), j.tolist(), strict=True))) == 10
    again = sample_pairs(LABELS, 4, 6, generator=torch.Generator().manual_seed(0))
    assert torch.equal(i, again[0]) and torch.equal(j, again[1])


def test_identity_split_keeps_people_apart():
    tr, te = identity_split(LABELS, 2, generator=torch.Generator().manual_seed(1))
    assert len(tr) + len(te) == 8 and not set(tr.tolist()) & set(te.tolist())
    assert not set(LABELS[tr].tolist()) & set(LABELS[te].tolist())
    assert len(set(LABELS[te].tolist())) == 2


def test_bad_input():
    with pytest.raises(ValueError, match=r"n_same must be an int in \[0, 5\]"):
        sample_pairs(LABELS, 6, 1)
    with pytest.raises(ValueError, match=r"labels must be an int64 tensor of shape \(N,\)"):
        all_pairs(LABELS.float())
    with pytest.raises(ValueError, match="at least 2 entries"):
        all_pairs(LABELS[:1])
    with pytest.raises(ValueError, match=r"n_test_people must be an int in \[1, 3\], got 4"):
        identity_split(LABELS, 4)
