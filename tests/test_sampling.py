"""coursekit.sampling: P×K batches, N-way K-shot episodes and pairs, against loops; seeding; bad input."""

from collections import Counter

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from coursekit.sampling import (
    EpisodeSampler,
    PKSampler,
    all_pairs,
    identity_split,
    sample_pairs,
    split_episode,
)


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


def test_any_integer_label_dtype_and_numpy_ints_give_the_same_batches():
    labels = _labels()
    ref = list(PKSampler(labels, p=2, k=2, n_batches=4, generator=torch.Generator().manual_seed(5)))
    for dtype in (torch.int8, torch.int16, torch.int32, torch.uint8):
        got = PKSampler(labels.to(dtype), p=np.int64(2), k=np.int32(2), n_batches=4,
                        generator=torch.Generator().manual_seed(5))
        assert list(got) == ref


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
        ({"p": 1}, ValueError, r"p must be an int >= 2, got 1"),
        ({"k": 1}, ValueError, r"k must be an int >= 2, got 1"),
        ({"k": True}, TypeError, r"k must be an int >= 2, got bool True"),
        ({"k": 2.0}, TypeError, r"k must be an int >= 2, got float 2.0"),
        ({"p": 7, "k": 3}, ValueError, r"p=7 identities with at least k=3 images .* only 6 of the 7"),
        ({"k": 6}, ValueError, r"only 0 of the 7 identities have 6 or more \(largest count: 5\)"),
        ({"n_batches": 0}, ValueError, r"n_batches must be an int >= 1, got 0"),
        ({"generator": 0}, TypeError, r"generator must be a torch.Generator or None, got int 0"),
    ],
)
def test_rejects_bad_input(kwargs, err, match):
    args = {"labels": _labels(), "p": 2, "k": 2} | kwargs
    labels = args.pop("labels")
    with pytest.raises(err, match=match):
        PKSampler(labels, **args)


# ---------------------------------------------------------------- episodes
def _episode_labels():
    # 8 classes: class c has 3 + c examples, shuffled positions
    y = torch.cat([torch.full((3 + c,), c) for c in range(8)])
    return y[torch.randperm(len(y), generator=torch.Generator().manual_seed(1))]


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def test_episode_sampler_invariants():
    y = _episode_labels()
    sampler = EpisodeSampler(y, n_way=4, k_shot=2, n_query=3, n_episodes=30, generator=_gen(0))
    assert len(sampler) == 30
    for ep in sampler:
        assert ep.support.shape == (4, 2) and ep.query.shape == (4, 3) and ep.classes.shape == (4,)
        assert len(set(ep.classes.tolist())) == 4
        assert (y[ep.support] == ep.classes[:, None]).all()  # each row is one class
        assert (y[ep.query] == ep.classes[:, None]).all()
        both = torch.cat([ep.support.flatten(), ep.query.flatten()])
        assert len(set(both.tolist())) == both.numel()  # support and query disjoint, no repeats
        assert ep.query_labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
        assert ep.classes.min() >= 2  # classes 0 and 1 have < 5 examples


def test_episode_sampler_seeding_and_coverage():
    y = _episode_labels()

    def supports(generator):
        return [e.support for e in EpisodeSampler(y, n_way=3, k_shot=1, n_query=1, n_episodes=5, generator=generator)]

    a, b, c = supports(_gen(7)), supports(_gen(7)), supports(_gen(8))
    assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
    assert not all(torch.equal(u, v) for u, v in zip(a, c, strict=True))
    torch.manual_seed(7)  # None means torch's default generator, as in torch.randperm
    d = supports(None)
    torch.manual_seed(7)
    assert all(torch.equal(u, v) for u, v in zip(d, supports(None), strict=True))
    # every class and every example gets drawn eventually (uniform draws)
    seen = torch.cat([e.support.flatten() for e in EpisodeSampler(y, n_way=8, k_shot=3, n_query=0, n_episodes=200, generator=_gen(0))])
    assert set(seen.tolist()) == set(range(len(y)))


def _split_bruteforce(labels, classes, k, q, order):
    sup, qry = [], []
    for c in classes.tolist():
        members = [int(p) for p in order if labels[p] == c]
        sup.append(members[:k])
        qry.append(members[k : k + q])
    return torch.tensor(sup), torch.tensor(qry)


def test_split_episode_matches_loop():
    y = _episode_labels()
    for seed in range(5):
        order = torch.randperm(len(y), generator=_gen(seed))
        classes = torch.tensor([7, 2, 5])
        s, q = split_episode(y, classes, 2, 3, order)
        rs, rq = _split_bruteforce(y, classes, 2, 3, order)
        assert torch.equal(s, rs) and torch.equal(q, rq)
        s8, q8 = split_episode(y.to(torch.int8), classes.int(), np.int64(2), np.int64(3), order.int())
        assert torch.equal(s8, rs) and torch.equal(q8, rq)  # any integer dtype, NumPy ints
    s, q = split_episode(torch.tensor([0, 1, 0, 1]), torch.tensor([1, 0]), 1, 1, torch.tensor([3, 2, 1, 0]))
    assert s.tolist() == [[3], [2]] and q.tolist() == [[1], [0]]


def test_episode_sampler_refuses_impossible_requests():
    y = _episode_labels()
    with pytest.raises(ValueError, match=r"n_way=9 needs 9 classes .* only 8 such classes"):
        EpisodeSampler(y, n_way=9, k_shot=1, n_query=1, n_episodes=1)
    with pytest.raises(ValueError, match=r"k_shot \+ n_query = 10 .* only 1 such classes"):
        EpisodeSampler(y, n_way=2, k_shot=5, n_query=5, n_episodes=1)
    with pytest.raises(ValueError, match="k_shot must be an int >= 1, got 0"):
        EpisodeSampler(y, n_way=2, k_shot=0, n_query=1, n_episodes=1)
    with pytest.raises(ValueError, match="n_way must be an int >= 2, got 1"):
        EpisodeSampler(y, n_way=1, k_shot=1, n_query=1, n_episodes=1)
    with pytest.raises(TypeError, match="n_episodes must be an int >= 1, got float 2.0"):
        EpisodeSampler(y, n_way=2, k_shot=1, n_query=1, n_episodes=2.0)
    with pytest.raises(ValueError, match=r"labels must have shape \(N,\), got \(1, 52\)"):
        EpisodeSampler(y[None], n_way=2, k_shot=1, n_query=1, n_episodes=1)
    with pytest.raises(TypeError, match="labels must be an integer tensor"):
        EpisodeSampler(y.float(), n_way=2, k_shot=1, n_query=1, n_episodes=1)
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None, got int 0"):
        EpisodeSampler(y, n_way=2, k_shot=1, n_query=1, n_episodes=1, generator=0)
    with pytest.raises(TypeError, match="seed"):
        EpisodeSampler(y, n_way=2, k_shot=1, n_query=1, n_episodes=1, seed=0)  # the old convention is gone
    with pytest.raises(ValueError, match="labels must be class ids >= 0"):
        EpisodeSampler(y - 1, n_way=2, k_shot=1, n_query=1, n_episodes=1)


def test_split_episode_refuses_bad_input():
    y = _episode_labels()
    everyone = torch.arange(len(y))
    with pytest.raises(ValueError, match="class 0 has 3 examples, fewer than k_shot \\+ n_query = 4"):
        split_episode(y, torch.tensor([0]), 2, 2, everyone)
    with pytest.raises(ValueError, match="class 9 has 0 examples"):
        split_episode(y, torch.tensor([9]), 1, 1, everyone)
    with pytest.raises(ValueError, match="classes must be distinct"):
        split_episode(y, torch.tensor([3, 3]), 1, 1, everyone)
    with pytest.raises(ValueError, match=rf"order must have {len(y)} entries"):
        split_episode(y, torch.tensor([3]), 1, 1, torch.arange(3))
    with pytest.raises(ValueError, match="order must be a permutation"):
        split_episode(y, torch.tensor([3]), 1, 1, torch.zeros(len(y), dtype=torch.int64))
    with pytest.raises(TypeError, match="classes must be an integer tensor"):
        split_episode(y, torch.tensor([3.0]), 1, 1, everyone)
    with pytest.raises(TypeError, match="order must be a torch.Tensor"):
        split_episode(y, torch.tensor([3]), 1, 1, list(range(len(y))))
    with pytest.raises(TypeError, match="k_shot must be an int >= 1, got bool True"):
        split_episode(y, torch.tensor([3]), True, 1, everyone)


# ---------------------------------------------------------------- pairs
LABELS = torch.tensor([0, 1, 0, 2, 1, 1, 3, 2])


def test_all_pairs_matches_double_loop():
    i, j, same = all_pairs(LABELS)
    ref = [(a, b, bool(LABELS[a] == LABELS[b])) for a in range(8) for b in range(a + 1, 8)]
    assert list(zip(i.tolist(), j.tolist(), same.tolist(), strict=True)) == ref
    i8, j8, same8 = all_pairs(LABELS.to(torch.int8))  # any integer dtype
    assert torch.equal(i8, i) and torch.equal(j8, j) and torch.equal(same8, same)


def test_sample_pairs_counts_distinct_and_seeded():
    i, j, same = sample_pairs(LABELS, 4, 6, generator=_gen(0))
    assert same.tolist() == [True] * 4 + [False] * 6
    assert torch.equal(same, LABELS[i] == LABELS[j]) and (i < j).all()
    assert len(set(zip(i.tolist(), j.tolist(), strict=True))) == 10
    again = sample_pairs(LABELS.int(), np.int64(4), 6, generator=_gen(0))
    assert torch.equal(i, again[0]) and torch.equal(j, again[1])


def test_identity_split_keeps_people_apart():
    tr, te = identity_split(LABELS, 2, generator=_gen(1))
    assert len(tr) + len(te) == 8 and not set(tr.tolist()) & set(te.tolist())
    assert not set(LABELS[tr].tolist()) & set(LABELS[te].tolist())
    assert len(set(LABELS[te].tolist())) == 2


@pytest.mark.parametrize(
    ("call", "err", "match"),
    [
        (lambda: sample_pairs(LABELS, 6, 1), ValueError, r"n_same must be an int in \[0, 5\]"),
        (lambda: sample_pairs(LABELS, 1, -1), ValueError, r"n_different must be an int >= 0, got -1"),
        (lambda: sample_pairs(LABELS, 1.0, 1), TypeError, r"n_same must be an int"),
        (lambda: sample_pairs(LABELS, 1, 1, generator=3), TypeError, r"generator must be a torch.Generator"),
        (lambda: all_pairs(LABELS.float()), TypeError, r"labels must be an integer tensor"),
        (lambda: all_pairs(LABELS.tolist()), TypeError, r"labels must be a torch.Tensor.*got list"),
        (lambda: all_pairs(LABELS.bool()), TypeError, r"labels must be an integer tensor"),
        (lambda: all_pairs(LABELS[:1]), ValueError, "at least 2 entries"),
        (lambda: identity_split(LABELS, 4), ValueError, r"n_test_people must be an int in \[1, 3\], got 4"),
        (lambda: identity_split(LABELS, True), TypeError, r"n_test_people must be an int"),
        (lambda: identity_split(torch.zeros(3, dtype=torch.int64), 1), ValueError, "at least 2 people"),
    ],
)
def test_pairs_reject_bad_input(call, err, match):
    with pytest.raises(err, match=match):
        call()
