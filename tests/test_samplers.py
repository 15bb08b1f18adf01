"""PKSampler: batch structure, coverage, seeding, DataLoader use and input validation."""

from collections import Counter

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from coursekit.samplers import PKSampler


def _labels():
    # identities 0..5 with 5 images, identity 6 with only 2 (excluded for k=3), shuffled order
    labels = torch.cat([torch.arange(6).repeat_interleave(5), torch.tensor([6, 6])])
    return labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))]


def test_every_batch_has_p_identities_with_k_distinct_images():
    labels = _labels()
    sampler = PKSampler(labels, p=3, k=3, n_batches=50, generator=torch.Generator().manual_seed(1))
    assert len(sampler) == 50
    batches = list(sampler)
    assert len(batches) == 50
    for batch in batches:
        assert len(batch) == 9 and len(set(batch)) == 9
        ids = labels[torch.tensor(batch)].tolist()
        counts = Counter(ids)
        assert len(counts) == 3 and set(counts.values()) == {3}
        assert 6 not in counts  # too few images for k=3
        # grouped by identity: K consecutive indices share a label
        assert all(len(set(ids[i : i + 3])) == 1 for i in range(0, 9, 3))


def test_draws_cover_every_eligible_identity_and_image():
    labels = _labels()
    sampler = PKSampler(labels, p=2, k=2, n_batches=300, generator=torch.Generator().manual_seed(2))
    seen = [i for batch in sampler for i in batch]
    assert set(seen) == set(range(len(labels)))  # identity 6 has exactly k=2 images: eligible
    # identities are drawn uniformly: each has ~ 300*2/7 = 86 draws
    per_id = Counter(labels[torch.tensor(seen[::2])].tolist())
    assert len(per_id) == 7 and all(60 < c < 115 for c in per_id.values()), per_id


def test_same_seed_same_batches_and_stream_continues():
    labels = _labels()
    a = PKSampler(labels, p=2, k=2, n_batches=5, generator=torch.Generator().manual_seed(3))
    b = PKSampler(labels, p=2, k=2, n_batches=5, generator=torch.Generator().manual_seed(3))
    first = list(a)
    assert first == list(b)
    assert list(a) != first  # a second pass draws new batches


def test_default_length_is_one_epoch_and_default_generator_follows_global_seed():
    labels = _labels()
    torch.manual_seed(0)
    a = list(PKSampler(labels, p=2, k=2))
    torch.manual_seed(0)
    b = list(PKSampler(labels, p=2, k=2))
    assert a == b and len(a) == len(labels) // 4


def test_works_as_a_dataloader_batch_sampler():
    labels = _labels()
    data = TensorDataset(torch.arange(len(labels)).float(), labels)
    sampler = PKSampler(labels, p=2, k=4, n_batches=3, generator=torch.Generator().manual_seed(4))
    loader = DataLoader(data, batch_sampler=sampler)
    shapes = [(x.shape, y.shape) for x, y in loader]
    assert shapes == [(torch.Size([8]), torch.Size([8]))] * 3


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"labels": [0, 0, 1, 1]}, TypeError, r"labels must be a torch.Tensor"),
        ({"labels": torch.zeros(2, 2, dtype=torch.int64)}, ValueError, r"labels must have shape \(N,\), got \(2, 2\)"),
        ({"labels": torch.zeros(4)}, TypeError, r"labels must be an integer tensor.*float32"),
        ({"p": 1}, ValueError, r"p must be >= 2 .* got 1"),
        ({"k": 1}, ValueError, r"k must be >= 2 .* got 1"),
        ({"k": 2.0}, TypeError, r"k must be an int, got float"),
        ({"p": 7, "k": 3}, ValueError, r"p=7 identities with at least k=3 images .* only 6 of the 7"),
        ({"k": 6}, ValueError, r"only 0 of the 7 identities have 6 or more \(largest count: 5\)"),
        ({"n_batches": 0}, ValueError, r"n_batches must be an int >= 1 or None, got 0"),
        ({"generator": 0}, TypeError, r"generator must be a torch.Generator, got int"),
    ],
)
def test_rejects_bad_input(kwargs, err, match):
    args = {"labels": _labels(), "p": 2, "k": 2} | kwargs
    labels = args.pop("labels")
    with pytest.raises(err, match=match):
        PKSampler(labels, **args)
