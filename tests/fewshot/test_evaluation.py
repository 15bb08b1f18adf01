"""Episode evaluation (mean ± Student-t CI) and Lake et al.'s one-shot runs against loops."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image
from scipy import stats

from coursekit.data import load_omniglot_runs
from coursekit.distances import cross_distances
from coursekit.fewshot import (
    evaluate_episodes,
    evaluate_one_shot_runs,
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
