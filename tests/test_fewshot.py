import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import stats

from coursekit.data import load_omniglot_runs
from coursekit.fewshot import (
    EpisodeSampler,
    evaluate_episodes,
    evaluate_one_shot_runs,
    mean_ci95,
    nearest_neighbour_classify,
    prototype_classify,
    prototype_logits,
    prototypes,
    prototypical_loss,
    split_episode,
    squared_euclidean,
)

# ---------------------------------------------------------------- episodes


def _labels():
    # 8 classes: class c has 3 + c examples, shuffled positions
    y = torch.cat([torch.full((3 + c,), c) for c in range(8)])
    return y[torch.randperm(len(y), generator=torch.Generator().manual_seed(1))]


def test_sampler_invariants():
    y = _labels()
    sampler = EpisodeSampler(y, n_way=4, k_shot=2, n_query=3, n_episodes=30, seed=0)
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


def test_sampler_seeding_and_coverage():
    y = _labels()
    a = [e.support for e in EpisodeSampler(y, n_way=3, k_shot=1, n_query=1, n_episodes=5, seed=7)]
    b = [e.support for e in EpisodeSampler(y, n_way=3, k_shot=1, n_query=1, n_episodes=5, seed=7)]
    c = [e.support for e in EpisodeSampler(y, n_way=3, k_shot=1, n_query=1, n_episodes=5, seed=8)]
    assert all(torch.equal(u, v) for u, v in zip(a, b, strict=True))
    assert not all(torch.equal(u, v) for u, v in zip(a, c, strict=True))
    g = torch.Generator().manual_seed(7)
    d = [e.support for e in EpisodeSampler(y, n_way=3, k_shot=1, n_query=1, n_episodes=5, generator=g)]
    assert all(torch.equal(u, v) for u, v in zip(a, d, strict=True))
    # every class and every example gets drawn eventually (uniform draws)
    seen = torch.cat([e.support.flatten() for e in EpisodeSampler(y, n_way=8, k_shot=3, n_query=0, n_episodes=200, seed=0)])
    assert set(seen.tolist()) == set(range(len(y)))


def _split_bruteforce(labels, classes, k, q, order):
    sup, qry = [], []
    for c in classes.tolist():
        members = [int(p) for p in order if labels[p] == c]
        sup.append(members[:k])
        qry.append(members[k : k + q])
    return torch.tensor(sup), torch.tensor(qry)


def test_split_episode_matches_loop():
    y = _labels()
    for seed in range(5):
        order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
        classes = torch.tensor([7, 2, 5])
        s, q = split_episode(y, classes, 2, 3, order)
        rs, rq = _split_bruteforce(y, classes, 2, 3, order)
        assert torch.equal(s, rs) and torch.equal(q, rq)
    s, q = split_episode(torch.tensor([0, 1, 0, 1]), torch.tensor([1, 0]), 1, 1, torch.tensor([3, 2, 1, 0]))
    assert s.tolist() == [[3], [2]] and q.tolist() == [[1], [0]]


def test_sampler_refuses_impossible_requests():
    y = _labels()
    with pytest.raises(ValueError, match=r"n_way=9 needs 9 classes .* only 8 such classes"):
        EpisodeSampler(y, n_way=9, k_shot=1, n_query=1, n_episodes=1)
    with pytest.raises(ValueError, match=r"k_shot \+ n_query = 10 .* only 1 such classes"):
        EpisodeSampler(y, n_way=2, k_shot=5, n_query=5, n_episodes=1)
    with pytest.raises(ValueError, match="k_shot must be >= 1, got 0"):
        EpisodeSampler(y, n_way=2, k_shot=0, n_query=1, n_episodes=1)
    with pytest.raises(ValueError, match="n_way must be >= 2"):
        EpisodeSampler(y, n_way=1, k_shot=1, n_query=1, n_episodes=1)
    with pytest.raises(TypeError, match="n_episodes must be an int"):
        EpisodeSampler(y, n_way=2, k_shot=1, n_query=1, n_episodes=2.0)
    with pytest.raises(ValueError, match=r"labels must have shape \(N,\)"):
        EpisodeSampler(y[None], n_way=2, k_shot=1, n_query=1, n_episodes=1)
    with pytest.raises(TypeError, match="labels must be an integer tensor"):
        EpisodeSampler(y.float(), n_way=2, k_shot=1, n_query=1, n_episodes=1)
    with pytest.raises(ValueError, match="not both"):
        EpisodeSampler(y, n_way=2, k_shot=1, n_query=1, n_episodes=1, seed=0, generator=torch.Generator())
    with pytest.raises(ValueError, match="class 0 has 3 examples, fewer than k_shot \\+ n_query = 4"):
        split_episode(y, torch.tensor([0]), 2, 2, torch.arange(len(y)))
    with pytest.raises(ValueError, match="classes must be distinct"):
        split_episode(y, torch.tensor([3, 3]), 1, 1, torch.arange(len(y)))
    with pytest.raises(ValueError, match="order must be a permutation"):
        split_episode(y, torch.tensor([3]), 1, 1, torch.arange(3))


# ---------------------------------------------------------------- classifiers


def test_squared_euclidean_matches_loop_and_is_nonnegative():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(5, 3, generator=g, dtype=torch.float64), torch.randn(4, 3, generator=g, dtype=torch.float64)
    ref = torch.tensor([[float(((a[i] - b[j]) ** 2).sum()) for j in range(4)] for i in range(5)], dtype=torch.float64)
    assert torch.allclose(squared_euclidean(a, b), ref)
    assert (squared_euclidean(a, a).diagonal() >= 0).all()
    with pytest.raises(ValueError, match=r"a.shape\[1\] == 3 while b.shape\[1\] == 2"):
        squared_euclidean(a, b[:, :2])


def test_prototypes_and_logits_hand_case():
    support = torch.tensor([[[0.0, 0.0], [2.0, 0.0]], [[0.0, 4.0], [0.0, 6.0]]])  # (2 way, 2 shot, 2)
    assert prototypes(support).tolist() == [[1.0, 0.0], [0.0, 5.0]]
    query = torch.tensor([[1.0, 1.0], [0.0, 4.0]])
    assert prototype_logits(query, prototypes(support)).tolist() == [[-1.0, -17.0], [-17.0, -1.0]]
    assert prototype_classify(support, query).tolist() == [0, 1]
    # a query nearer one support example of class 1 but nearer the mean of class 0
    support = torch.tensor([[[0.0], [4.0]], [[5.0], [20.0]]])
    assert prototype_classify(support, torch.tensor([[4.4]])).tolist() == [0]
    assert nearest_neighbour_classify(support.flatten(0, 1), torch.tensor([0, 0, 1, 1]), torch.tensor([[4.6]])).tolist() == [1]


def test_prototypical_loss_matches_loop_and_gradcheck():
    g = torch.Generator().manual_seed(0)
    s = torch.randn(3, 2, 4, generator=g, dtype=torch.float64, requires_grad=True)
    q = torch.randn(3, 2, 4, generator=g, dtype=torch.float64, requires_grad=True)
    loss, acc = prototypical_loss(s, q)
    ref, correct = 0.0, 0
    for j in range(3):
        for i in range(2):
            d = torch.stack([((q[j, i] - s[c].mean(0)) ** 2).sum() for c in range(3)])
            ref = ref - torch.log_softmax(-d, 0)[j] / 6
            correct += int(d.argmin() == j)
    assert torch.allclose(loss, ref) and acc.item() == pytest.approx(correct / 6)
    small = (s[:2, :, :3].detach().clone().requires_grad_(), q[:2, :1, :3].detach().clone().requires_grad_())
    assert torch.autograd.gradcheck(lambda a, b: prototypical_loss(a, b)[0], small, fast_mode=True)
    with pytest.raises(ValueError, match=r"query must have shape \(n_way=3, n_query, D=4\)"):
        prototypical_loss(s, q[:2])


def test_nearest_neighbour_any_distance_and_ties():
    support = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    labels = torch.tensor([5, 6, 7])
    query = torch.tensor([[0.9, 0.1], [0.1, 2.0]])
    assert nearest_neighbour_classify(support, labels, query).tolist() == [5, 6]  # tie 5 vs 7: first wins

    def neg_cosine(a, b):
        return -torch.nn.functional.normalize(a, dim=1) @ torch.nn.functional.normalize(b, dim=1).T

    assert nearest_neighbour_classify(support, labels, torch.tensor([[10.0, 0.1]]), neg_cosine).tolist() == [5]
    images = torch.zeros(2, 1, 3, 3)
    images[1, 0, 1, 1] = 1  # works on raw images (pixel baseline)
    assert nearest_neighbour_classify(images, torch.tensor([0, 1]), images.flip(0)).tolist() == [1, 0]
    with pytest.raises(ValueError, match="share their trailing shape"):
        nearest_neighbour_classify(support, labels, torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"support_labels must be a tensor of shape \(3,\)"):
        nearest_neighbour_classify(support, labels[:2], query)
    with pytest.raises(TypeError, match="distance must be callable"):
        nearest_neighbour_classify(support, labels, query, distance="cosine")
    with pytest.raises(ValueError, match="query contains NaN"):
        nearest_neighbour_classify(support, labels, torch.full((1, 2), float("nan")))
    with pytest.raises(TypeError, match="floating-point"):
        prototype_classify(torch.ones(2, 1, 3, dtype=torch.long), torch.ones(1, 3))
    with pytest.raises(ValueError, match=r"support must have shape \(n_way, k_shot, D\)"):
        prototype_classify(torch.ones(2, 3), torch.ones(1, 3))


# ---------------------------------------------------------------- evaluation


def test_mean_ci95_is_student_t():
    v = torch.tensor([0.5, 0.75, 1.0, 0.25, 0.5])
    mean, half = mean_ci95(v)
    lo, hi = stats.t.interval(0.95, 4, loc=float(v.double().mean()), scale=stats.sem(v.double().numpy()))
    assert mean == pytest.approx(0.6) and half == pytest.approx((hi - lo) / 2)
    with pytest.raises(ValueError, match="n >= 2"):
        mean_ci95(torch.tensor([1.0]))


def test_evaluate_episodes_matches_loop():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(6).repeat_interleave(5)
    x = torch.randn(6, 3, generator=g)[y] + 0.8 * torch.randn(30, 3, generator=g)
    res = evaluate_episodes(lambda b: b, x, y, n_way=3, k_shot=2, n_query=2, n_episodes=20, seed=3)
    ref = []
    for ep in EpisodeSampler(y, n_way=3, k_shot=2, n_query=2, n_episodes=20, seed=3):
        correct = 0
        for j in range(3):
            for p in ep.query[j].tolist():
                d = [float(((x[p] - x[ep.support[c]].mean(0)) ** 2).sum()) for c in range(3)]
                correct += int(np.argmin(d) == j)
        ref.append(correct / 6)
    assert res.per_episode.tolist() == pytest.approx(ref)
    assert res.mean == pytest.approx(np.mean(ref)) and 0 < res.ci95 < 1
    assert str(res).startswith("3-way 2-shot: ")
    nn = evaluate_episodes(lambda b: b, x, y, n_way=3, k_shot=2, n_query=2, n_episodes=20, seed=3, classifier="nearest")
    assert nn.per_episode.shape == (20,)
    with pytest.raises(ValueError, match="classifier must be 'prototype' or 'nearest'"):
        evaluate_episodes(lambda b: b, x, y, n_way=3, k_shot=1, classifier="knn")
    with pytest.raises(ValueError, match=r"labels must have shape \(30,\)"):
        evaluate_episodes(lambda b: b, x, y[:5], n_way=3, k_shot=1)
    with pytest.raises(ValueError, match="n_episodes must be >= 2"):
        evaluate_episodes(lambda b: b, x, y, n_way=3, k_shot=1, n_episodes=1)


def _write_runs(root, n_runs=2):
    """A synthetic run folder in Lake et al.'s layout: each test item is
    an exact copy of its class image, except item01 of run02, which copies the wrong class (so that run has 5% error)."""
    g = np.random.default_rng(0)
    answers = []
    for r in range(1, n_runs + 1):
        run = root / "omniglot" / "one_shot_runs" / f"run{r:02d}"
        (run / "training").mkdir(parents=True)
        (run / "test").mkdir()
        glyphs = g.random((20, 16, 16)) > 0.7  # True = ink
        perm = g.permutation(20)
        lines = []
        for c in range(20):
            Image.fromarray(~glyphs[c]).save(run / "training" / f"class{c + 1:02d}.png")
        for i in range(20):
            src = perm[i] if not (r == 2 and i == 0) else (perm[i] + 1) % 20
            Image.fromarray(~glyphs[src]).save(run / "test" / f"item{i + 1:02d}.png")
            lines.append(f"run{r:02d}/test/item{i + 1:02d}.png run{r:02d}/training/class{perm[i] + 1:02d}.png")
        (run / "class_labels.txt").write_text("\n".join(lines) + "\n")
        answers.append(perm)
    return answers


def test_one_shot_runs_on_synthetic_folder(tmp_path):
    answers = _write_runs(tmp_path)
    runs = load_omniglot_runs(tmp_path)
    assert [r.answer.tolist() for r in runs] == [a.tolist() for a in answers]
    res = evaluate_one_shot_runs(runs)  # pixel distance: exact copies are found
    assert res.names == ["run01", "run02"]
    assert res.errors.tolist() == [0.0, 5.0] and res.mean_error == 2.5 and res.accuracy == pytest.approx(0.975)
    # an embedding that throws everything away: every test item ties, argmin picks class01
    flat = evaluate_one_shot_runs(runs, lambda x: torch.zeros(len(x), 1))
    expected = [100.0 * float((torch.as_tensor(a) != 0).double().mean()) for a in answers]
    assert flat.errors.tolist() == pytest.approx(expected)


def test_one_shot_runs_bad_inputs():
    run = SimpleNamespace(name="r", training=torch.eye(3), test=torch.eye(3), answer=torch.arange(3))
    assert evaluate_one_shot_runs([run]).mean_error == 0.0
    assert math.isclose(evaluate_one_shot_runs([run], distance=lambda a, b: -squared_euclidean(a, b)).mean_error, 100.0)
    with pytest.raises(ValueError, match="runs is empty"):
        evaluate_one_shot_runs([])
    with pytest.raises(TypeError, match=r"runs\[0\] must have .training, .test and .answer"):
        evaluate_one_shot_runs([torch.eye(3)])
    with pytest.raises(ValueError, match=r"runs\[0\]: expected training"):
        evaluate_one_shot_runs([SimpleNamespace(name="r", training=torch.eye(3), test=torch.eye(3), answer=torch.arange(2))])
    with pytest.raises(TypeError, match="embed must be callable"):
        evaluate_one_shot_runs([run], embed="conv4")
