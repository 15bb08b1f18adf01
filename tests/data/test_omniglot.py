"""Tests for coursekit.data.omniglot: image sets, the ink convention, and the one-shot runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from coursekit.data import DataNotFoundError, omniglot


def _glyph(path, mark: int):
    """A 105x105 1-bit PNG like Omniglot's: white (1) background, a black (0) stroke at row `mark`."""
    img = np.ones((105, 105), dtype=bool)
    img[mark, 10:60] = False
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).convert("1").save(path)
    return path


@pytest.fixture
def fake_set(tmp_path, offline):
    root = tmp_path / "omniglot" / "images_background_small1"
    for a, alphabet in enumerate(["Beta", "Alpha"]):
        for c in (1, 2):
            for d in (1, 2, 3):
                _glyph(root / alphabet / f"character{c:02d}" / f"{a}{c}_{d:02d}.png", 10 * c + d)
    return tmp_path


def test_omniglot_synthetic_classes_order_and_ink(fake_set):
    ds = omniglot.load_omniglot(fake_set)
    assert ds.classes == ["Alpha/character01", "Alpha/character02", "Beta/character01", "Beta/character02"]
    assert ds.labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert ds.images.shape == (12, 1, 105, 105) and ds.images.dtype == torch.uint8
    first = ds.images[0, 0]
    assert first[11, 10:60].eq(255).all()  # the black stroke of the file is ink = 255
    assert first.sum() == 255 * 50  # and the white background is 0
    assert "ink=255" in ds.source


def test_omniglot_resize_keeps_ink_convention(fake_set):
    ds = omniglot.load_omniglot(fake_set, size=21)
    assert ds.images.shape == (12, 1, 21, 21)
    assert ds.images[0, 0, 0, 0] == 0  # background stays 0
    # antialiased 5x shrink: the 1-px, 50-px-long stroke (ink mass 255 * 50) spreads over 1/25 the area
    assert abs(int(ds.images[0].sum()) - 255 * 50 / 25) < 0.2 * 255 * 50 / 25


def test_omniglot_torchvision_layout(tmp_path, offline):
    _glyph(tmp_path / "omniglot-py" / "images_evaluation" / "Angelic" / "character01" / "x.png", 5)
    ds = omniglot.load_omniglot(tmp_path, background="evaluation")
    assert ds.classes == ["Angelic/character01"] and len(ds) == 1


def test_omniglot_bad_input(fake_set, offline):
    with pytest.raises(ValueError, match=r"background must be one of \['background', 'evaluation', 'small1', 'small2'\], got 'small3'"):
        omniglot.load_omniglot(fake_set, background="small3")
    with pytest.raises(TypeError, match="size must be None, an int or a"):
        omniglot.load_omniglot(fake_set, size="28")
    with pytest.raises(DataNotFoundError, match=r"images_background_small2[\s\S]*data fetch omniglot`"):
        omniglot.load_omniglot(fake_set, background="small2")
    root = fake_set / "omniglot" / "images_background_small1"
    (root / "Alpha" / "character03").mkdir()
    with pytest.raises(FileNotFoundError, match=r"character03.*holds no \.png images"):
        omniglot.load_omniglot(fake_set)
    (root / "Alpha" / "character03").rmdir()
    bad = root / "Beta" / "character02" / "02_02.png"
    bad.write_bytes(bad.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"02_02\.png.*truncated or corrupt"):
        omniglot.load_omniglot(fake_set)


def test_omniglot_empty_folder(tmp_path, offline):
    (tmp_path / "omniglot" / "images_background_small1").mkdir(parents=True)  # no alphabets: not valid
    with pytest.raises(DataNotFoundError, match="COURSEKIT_DATA"):
        omniglot.load_omniglot(tmp_path)


def _fake_run(root, name: str, answer: list[int]):
    """A run whose training class k has its stroke at row 5k and whose test item i copies class answer[i]."""
    run = root / "omniglot" / "one_shot_runs" / name
    for k in range(20):
        _glyph(run / "training" / f"class{k + 1:02d}.png", 5 * k)
    lines = []
    for i, a in enumerate(answer):
        _glyph(run / "test" / f"item{i + 1:02d}.png", 5 * a)
        lines.append(f"{name}/test/item{i + 1:02d}.png {name}/training/class{a + 1:02d}.png")
    (run / "class_labels.txt").write_text("\n".join(lines) + "\n")
    return run


def test_runs_synthetic_answers(tmp_path, offline):
    answer = torch.randperm(20, generator=torch.Generator().manual_seed(0)).tolist()
    _fake_run(tmp_path, "run01", answer)
    _fake_run(tmp_path, "run02", list(range(20)))
    runs = omniglot.load_omniglot_runs(tmp_path)
    assert [r.name for r in runs] == ["run01", "run02"]
    assert runs[0].answer.tolist() == answer and runs[0].answer.dtype == torch.int64
    for i in range(20):  # brute force: test item i is drawn exactly like training[answer[i]]
        assert torch.equal(runs[0].test[i], runs[0].training[answer[i]])
    assert runs[0].training[3, 0, 15, 10:60].eq(255).all()  # class04's stroke (row 15) as ink


def test_runs_malformed_labels(tmp_path, offline):
    run = _fake_run(tmp_path, "run01", list(range(20)))
    text = (run / "class_labels.txt").read_text().splitlines()
    (run / "class_labels.txt").write_text("\n".join(text[:-1]))
    with pytest.raises(ValueError, match="lists 19 items; every one of item01..item20 needs a line"):
        omniglot.load_omniglot_runs(tmp_path)
    (run / "class_labels.txt").write_text("\n".join([*text[:5], "run01/test/item01.png class01.png", *text[6:]]))
    with pytest.raises(ValueError, match=r"line 6: expected 'run01/test/itemNN.png run01/training/classMM.png'"):
        omniglot.load_omniglot_runs(tmp_path)
    (run / "class_labels.txt").write_text("\n".join([*text[:19], text[0]]))
    with pytest.raises(ValueError, match="line 20: item 1 / class 1 out of 1..20 or listed twice"):
        omniglot.load_omniglot_runs(tmp_path)


def test_runs_real(data_root):
    runs = omniglot.load_omniglot_runs(size=35)
    assert [r.name for r in runs] == [f"run{k:02d}" for k in range(1, 21)]
    assert runs[0].answer[:5].tolist() == [7, 8, 1, 18, 9]  # run01: item01 -> class08, item02 -> class09, ...
    for r in runs:
        assert r.training.shape == r.test.shape == (20, 1, 35, 35)
        assert sorted(r.answer.tolist()) == list(range(20))
        assert r.test.float().mean() < 40  # mostly background (0), strokes are ink (255)
    # each test item is another drawing of its answer's character: a crude blurred-pixel nearest
    # neighbour finds it far above chance (1/20), which a wrong parse of class_labels.txt would not
    correct = 0
    for r in runs:
        tr = F.normalize(F.avg_pool2d(r.training.float(), 5, 1, 2).flatten(1), dim=1)
        te = F.normalize(F.avg_pool2d(r.test.float(), 5, 1, 2).flatten(1), dim=1)
        correct += int(((te @ tr.T).argmax(1) == r.answer).sum())
    assert correct / 400 > 0.25


def test_omniglot_small_sets_real(data_root):
    s1 = omniglot.load_omniglot(background="small1", size=14)
    assert s1.images.shape == (2720, 1, 14, 14) and len(s1.classes) == 136
    assert s1.classes[0] == "Balinese/character01" and torch.bincount(s1.labels).eq(20).all()
    assert s1.images.float().mean() < 60  # ink on black
    s2 = omniglot.load_omniglot(background="small2", size=14)
    assert len(s2) == 3120 and len(s2.classes) == 156


def test_runs_offline_names_the_fetch_command(offline):
    with pytest.raises(DataNotFoundError, match=r"one_shot_runs[\s\S]*data fetch omniglot`[\s\S]*COURSEKIT_DATA"):
        omniglot.load_omniglot_runs()
    assert sorted(offline) == sorted([omniglot._BASE_URL, omniglot._MIRROR_URL])  # both hosts probed, no download


# --------------------------------------------------------------------------- held-out characters
def test_held_out_prefers_the_evaluation_alphabets(tmp_path, offline):
    root = tmp_path / "omniglot" / "images_evaluation"
    for c in (1, 2):
        for d in (1, 2, 3):
            _glyph(root / "Angelic" / f"character{c:02d}" / f"{c}_{d:02d}.png", 10 * c + d)
    _fake_run(tmp_path, "run01", list(range(20)))  # present too, and not used
    x, y, source = omniglot.held_out_characters(size=21, data_home=tmp_path)
    ref = omniglot.load_omniglot(tmp_path, background="evaluation", size=21)
    assert source == "evaluation alphabets"
    assert x.shape == (6, 1, 21, 21) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert torch.equal(x * 255, ref.images.float()) and y.tolist() == [0, 0, 0, 1, 1, 1]
    runs = omniglot.load_omniglot_runs(tmp_path, size=21)
    x2, y2, source2 = omniglot.held_out_characters(size=21, data_home=tmp_path, runs=runs)
    assert source2 == source and torch.equal(x2, x) and torch.equal(y2, y)


def test_held_out_falls_back_to_the_runs(tmp_path, offline):
    answers = [list(range(20)), torch.randperm(20, generator=torch.Generator().manual_seed(1)).tolist()]
    for k, answer in enumerate(answers):
        _fake_run(tmp_path, f"run{k + 1:02d}", answer)
    x, y, source = omniglot.held_out_characters(data_home=tmp_path)  # no evaluation alphabets anywhere
    assert source == "one-shot runs (2 drawings per character)"
    assert x.shape == (80, 1, 105, 105) and x.dtype == torch.float32 and float(x.max()) == 1.0
    # run k: class01..class20 are 20k..20k+19, then each test item takes its answer's class
    expected = [*range(20), *answers[0], *range(20, 40), *(20 + a for a in answers[1])]
    assert y.tolist() == expected
    for i in range(80):  # the fake test item i draws exactly like its training class
        assert torch.equal(x[i], x[y[i] % 20 + 40 * (y[i] // 20)])


def test_held_out_real_runs_without_the_evaluation_alphabets(data_root, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path / "cache"))  # no evaluation set in a user cache
    monkeypatch.setattr(omniglot.download, "is_online", lambda url, timeout=None: False)
    if (data_root / "omniglot" / "images_evaluation").exists():
        pytest.skip("the evaluation alphabets are in COURSEKIT_DATA: the fallback is not taken")
    runs = omniglot.load_omniglot_runs(size=28)
    x, y, source = omniglot.held_out_characters(size=28, runs=runs)
    assert source == "one-shot runs (2 drawings per character)"
    assert x.shape == (800, 1, 28, 28) and 0 <= float(x.min()) and float(x.max()) <= 1
    assert torch.bincount(y).tolist() == [2] * 400  # 400 characters, two drawings each
    # run 3 by hand, from its class_labels.txt: item NN is another drawing of training class MM
    run = data_root / "omniglot" / "one_shot_runs" / "run03"
    lines = (run / "class_labels.txt").read_text().split()
    pairs = [(int(t[-6:-4]), int(c[-6:-4])) for t, c in zip(lines[0::2], lines[1::2], strict=True)]
    assert len(pairs) == 20 and sorted(m for _, m in pairs) == list(range(1, 21))
    first = 2 * 40  # runs 1 and 2 come first, 40 drawings each
    for item, cls in pairs:
        assert y[first + 20 + item - 1] == y[first + cls - 1] == 40 + cls - 1
        assert torch.equal(x[first + 20 + item - 1] * 255, runs[2].test[item - 1].float())
    assert torch.equal(y, omniglot.held_out_characters(size=28)[1])  # loading the runs itself: the same


def test_held_out_bad_input(tmp_path, offline):
    run = omniglot.OneShotRun("run01", torch.zeros(20, 1, 8, 8, dtype=torch.uint8),
                              torch.zeros(20, 1, 8, 8, dtype=torch.uint8), torch.arange(20))
    with pytest.raises(TypeError, match="size must be None, an int or a"):
        omniglot.held_out_characters(size="28")
    with pytest.raises(ValueError, match=r"size must be positive, got \(0, 0\)"):
        omniglot.held_out_characters(size=0)
    with pytest.raises(TypeError, match="data_home must be None, a str or a PathLike, got int"):
        omniglot.held_out_characters(data_home=5)
    with pytest.raises(TypeError, match="runs must be a list of OneShotRun .* got OneShotRun"):
        omniglot.held_out_characters(size=8, runs=run)
    with pytest.raises(ValueError, match="runs must hold at least one OneShotRun, got an empty list"):
        omniglot.held_out_characters(size=8, runs=[])
    with pytest.raises(TypeError, match=r"runs\[1\] must be a OneShotRun .* got Tensor"):
        omniglot.held_out_characters(size=8, runs=[run, torch.zeros(3)])
    with pytest.raises(ValueError, match=r"runs\[0\] must hold training and test of shape \(n, 1, 28, 28\)"):
        omniglot.held_out_characters(size=28, runs=[run])
    with pytest.raises(ValueError, match=r"shape \(n, 1, 105, 105\)"):  # no size: the drawings' own
        omniglot.held_out_characters(runs=[run])
    float_run = omniglot.OneShotRun("r", run.training.float(), run.test, run.answer)
    with pytest.raises(TypeError, match=r"runs\[0\] must hold uint8 training and test images and int64 answer"):
        omniglot.held_out_characters(size=8, runs=[float_run])
    bad_answer = omniglot.OneShotRun("r", run.training, run.test, torch.arange(20) + 1)
    with pytest.raises(ValueError, match=r"runs\[0\].answer must hold indices in 0..19"):
        omniglot.held_out_characters(size=8, runs=[bad_answer])
    with pytest.raises(DataNotFoundError, match=r"one_shot_runs[\s\S]*COURSEKIT_DATA"):  # nothing anywhere
        omniglot.held_out_characters(data_home=tmp_path)
    x, y, _ = omniglot.held_out_characters(size=8, runs=[run])  # offline, runs given: nothing is read
    assert x.shape == (40, 1, 8, 8) and y.tolist() == [*range(20), *range(20)]
