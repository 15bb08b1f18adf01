"""Episode evaluation (mean ± Student-t CI) and Lake et al.'s one-shot runs against loops."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import stats
from torch import nn

from coursekit.data import load_omniglot_runs
from coursekit.distances import cross_distances
from coursekit.fewshot import (
    evaluate_episodes,
    evaluate_one_shot_runs,
    evaluate_way_shot,
    mean_ci95,
)
from coursekit.sampling import EpisodeSampler


def test_mean_ci95_is_student_t():
    v = torch.tensor([0.5, 0.75, 1.0, 0.25, 0.5])
    mean, half = mean_ci95(v)
    lo, hi = stats.t.interval(0.95, 4, loc=float(v.double().mean()), scale=stats.sem(v.double().numpy()))
    assert mean == pytest.approx(0.6) and half == pytest.approx((hi - lo) / 2)
    with pytest.raises(ValueError, match="values must have at least 2 rows"):
        mean_ci95(torch.tensor([1.0]))


def test_evaluate_episodes_matches_loop():
    g = torch.Generator().manual_seed(0)
    y = torch.arange(6).repeat_interleave(5)
    x = torch.randn(6, 3, generator=g)[y] + 0.8 * torch.randn(30, 3, generator=g)
    res = evaluate_episodes(lambda b: b, x, y, n_way=3, k_shot=2, n_query=2, n_episodes=20, generator=torch.Generator().manual_seed(3))
    ref = []
    for ep in EpisodeSampler(y, n_way=3, k_shot=2, n_query=2, n_episodes=20, generator=torch.Generator().manual_seed(3)):
        correct = 0
        for j in range(3):
            for p in ep.query[j].tolist():
                d = [float(((x[p] - x[ep.support[c]].mean(0)) ** 2).sum()) for c in range(3)]
                correct += int(np.argmin(d) == j)
        ref.append(correct / 6)
    assert res.per_episode.tolist() == pytest.approx(ref)
    assert res.mean == pytest.approx(np.mean(ref)) and 0 < res.ci95 < 1
    assert str(res).startswith("3-way 2-shot: ")
    nn = evaluate_episodes(lambda b: b, x, y, n_way=3, k_shot=2, n_query=2, n_episodes=20, generator=torch.Generator().manual_seed(3), classifier="nearest")
    assert nn.per_episode.shape == (20,)
    with pytest.raises(ValueError, match=r"classifier must be one of \('prototype', 'nearest'\), got 'knn'"):
        evaluate_episodes(lambda b: b, x, y, n_way=3, k_shot=1, classifier="knn")
    with pytest.raises(ValueError, match=r"labels must have 30 entries"):
        evaluate_episodes(lambda b: b, x, y[:5], n_way=3, k_shot=1)
    with pytest.raises(ValueError, match="n_episodes must be an int >= 2"):
        evaluate_episodes(lambda b: b, x, y, n_way=3, k_shot=1, n_episodes=1)


def _glyph_set():
    """8 classes x 7 noisy drawings of 1x8x8 images, and a small conv encoder that counts its calls."""
    g = torch.Generator().manual_seed(0)
    y = torch.arange(8).repeat_interleave(7)
    x = torch.rand(8, 1, 8, 8, generator=g)[y] + 0.5 * torch.rand(56, 1, 8, 8, generator=g)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(144, 5)).eval()
    calls = []

    def encoder(b):
        calls.append(len(b))
        return net(b)

    return x, y, encoder, calls


def test_evaluate_way_shot_is_evaluate_episodes_per_cell():
    x, y, encoder, calls = _glyph_set()
    grid = evaluate_way_shot(encoder, x, y, ways=(2, 4), shots=(1, 3), n_query=2, n_episodes=10,
                             generator=torch.Generator().manual_seed(5))
    assert list(grid) == [(2, 1), (2, 3), (4, 1), (4, 3)] and calls == [56]  # embedded once
    for (n_way, k_shot), res in grid.items():  # by hand: a fresh seed-5 generator per cell
        ref = evaluate_episodes(encoder, x, y, n_way=n_way, k_shot=k_shot, n_query=2, n_episodes=10,
                                generator=torch.Generator().manual_seed(5))
        assert torch.equal(res.per_episode, ref.per_episode) and (res.mean, res.ci95) == (ref.mean, ref.ci95)
        assert (res.n_way, res.k_shot) == (n_way, k_shot)
    assert len({tuple(r.per_episode.tolist()) for r in grid.values()}) > 1  # the cells differ
    # a cell does not depend on the rest of the grid; the nearest-neighbour classifier passes through
    alone = evaluate_way_shot(encoder, x, y, ways=(4,), shots=(3,), n_query=2, n_episodes=10,
                              generator=torch.Generator().manual_seed(5), classifier="nearest", batch_size=20)
    ref = evaluate_episodes(encoder, x, y, n_way=4, k_shot=3, n_query=2, n_episodes=10,
                            generator=torch.Generator().manual_seed(5), classifier="nearest")
    assert list(alone) == [(4, 3)] and torch.equal(alone[(4, 3)].per_episode, ref.per_episode)
    assert calls[-4:-1] == [20, 20, 16]  # batches of 20


def test_evaluate_way_shot_generator_advances_and_default_generator():
    x, y, encoder, _ = _glyph_set()
    kw = {"ways": (3,), "shots": (2,), "n_query": 3, "n_episodes": 8}
    g = torch.Generator().manual_seed(5)
    first, second = evaluate_way_shot(encoder, x, y, generator=g, **kw), evaluate_way_shot(encoder, x, y, generator=g, **kw)
    after_one = torch.Generator().manual_seed(5)
    torch.randint(2, (1,), generator=after_one)  # the second call starts where one draw left seed 5
    ref = evaluate_episodes(encoder, x, y, n_way=3, k_shot=2, n_query=3, n_episodes=8, generator=after_one)
    assert torch.equal(second[(3, 2)].per_episode, ref.per_episode)
    assert not torch.equal(first[(3, 2)].per_episode, second[(3, 2)].per_episode)
    torch.manual_seed(11)  # None: torch's default generator, as evaluate_episodes uses it
    default = evaluate_way_shot(encoder, x, y, **kw)
    torch.manual_seed(11)
    ref = evaluate_episodes(encoder, x, y, n_way=3, k_shot=2, n_query=3, n_episodes=8)
    assert torch.equal(default[(3, 2)].per_episode, ref.per_episode)


def test_evaluate_way_shot_bad_inputs():
    x, y, encoder, calls = _glyph_set()
    with pytest.raises(TypeError, match="embed must be callable"):
        evaluate_way_shot("conv4", x, y)
    with pytest.raises(ValueError, match=r"labels must have 56 entries"):
        evaluate_way_shot(encoder, x, y[:5])
    with pytest.raises(TypeError, match=r"ways must be a sequence of ints such as \(5, 20\), got"):
        evaluate_way_shot(encoder, x, y, ways=5)
    with pytest.raises(TypeError, match=r"shots must be a sequence of ints"):
        evaluate_way_shot(encoder, x, y, shots="15")
    with pytest.raises(ValueError, match=r"ways\[1\] must be an int >= 2"):
        evaluate_way_shot(encoder, x, y, ways=(2, 1))
    with pytest.raises(TypeError, match=r"shots\[0\] must be an int"):
        evaluate_way_shot(encoder, x, y, shots=(1.5,))
    with pytest.raises(ValueError, match=r"shots must hold at least one value and no repeats, got \[\]"):
        evaluate_way_shot(encoder, x, y, shots=())
    with pytest.raises(ValueError, match=r"ways must hold at least one value and no repeats, got \[2, 3, 2\]"):
        evaluate_way_shot(encoder, x, y, ways=(2, 3, 2))
    with pytest.raises(ValueError, match="n_episodes must be an int >= 2"):
        evaluate_way_shot(encoder, x, y, n_episodes=1)
    with pytest.raises(ValueError, match="n_query must be an int >= 1"):
        evaluate_way_shot(encoder, x, y, n_query=0)
    with pytest.raises(ValueError, match=r"classifier must be one of \('prototype', 'nearest'\), got 'knn'"):
        evaluate_way_shot(encoder, x, y, classifier="knn")
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None"):
        evaluate_way_shot(encoder, x, y, generator=0)
    with pytest.raises(ValueError, match="n_way=9 needs 9 classes"):  # 8 classes only
        evaluate_way_shot(encoder, x, y, ways=(2, 9), shots=(1,))
    with pytest.raises(ValueError, match=r"at least k_shot \+ n_query = 8 examples"):  # 7 drawings each
        evaluate_way_shot(encoder, x, y, ways=(2,), shots=(1, 5), n_query=3)
    assert calls == []  # every refusal came before the embedding


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
    assert math.isclose(evaluate_one_shot_runs([run], distance=lambda a, b: -cross_distances(a, b, squared=True)).mean_error, 100.0)
    with pytest.raises(ValueError, match="runs is empty"):
        evaluate_one_shot_runs([])
    with pytest.raises(TypeError, match=r"runs\[0\] must have .training, .test and .answer"):
        evaluate_one_shot_runs([torch.eye(3)])
    with pytest.raises(ValueError, match=r"runs\[0\]: expected training"):
        evaluate_one_shot_runs([SimpleNamespace(name="r", training=torch.eye(3), test=torch.eye(3), answer=torch.arange(2))])
    with pytest.raises(TypeError, match="embed must be callable"):
        evaluate_one_shot_runs([run], embed="conv4")
