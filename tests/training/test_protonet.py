"""coursekit.training.protonet: glyph episodes, autocast choice, train_protonet, the cached encoder."""

from itertools import islice

import pytest
import torch

from coursekit.augment import glyph_tensor
from coursekit.data import make_glyphs
from coursekit.models import Conv4
from coursekit.training import loop
from coursekit.training.loop import TrainingBudget
from coursekit.training.protonet import (
    GlyphEpisodes,
    autocast_dtype,
    omniglot_encoder,
    train_protonet,
)


def _glyphs(n_classes=6, size=16):
    g = make_glyphs(n_classes, 4, size=size, seed=0)
    return glyph_tensor(g.images, size), g.labels


def test_episodes_are_rotated_classes_with_shapes():
    x, y = _glyphs()
    eps = GlyphEpisodes(x, y, n_way=5, k_shot=2, n_query=1, strength=0.0)
    batches = list(islice(eps, 3))  # endless: the training budget decides when to stop
    assert len(batches) == 3
    for support, query in batches:
        assert support.shape == (5, 2, 1, 16, 16) and query.shape == (5, 1, 1, 16, 16)
    # with strength 0, each virtual class c + r * C is an exact quarter turn of class c
    virtual = torch.cat([y + r * 6 for r in range(4)])
    ep = GlyphEpisodes(x, y, n_way=4, k_shot=1, n_query=1, strength=0.0, generator=torch.Generator().manual_seed(5))
    first = next(iter(GlyphEpisodes(x, y, n_way=4, k_shot=1, n_query=1, strength=0.0,
                                    generator=torch.Generator().manual_seed(5))))
    e = ep.sampler.__class__(virtual, n_way=4, k_shot=1, n_query=1, n_episodes=1, generator=torch.Generator().manual_seed(5)).sample()
    for j in range(4):
        pos = int(e.support[j, 0])
        expected = torch.rot90(x[pos % len(x)], pos // len(x), (1, 2))
        assert torch.allclose(first[0][j, 0], expected, atol=1e-5)
    no_rot = GlyphEpisodes(x, y, n_way=6, k_shot=1, n_query=1, rotations=False)
    assert no_rot.sampler.eligible.tolist() == list(range(6))
    with pytest.raises(ValueError, match="n_way=30 needs 30 classes"):
        GlyphEpisodes(x, y, n_way=30, k_shot=1, n_query=1)


def _brute_force_group(v, y, groups, n_classes):
    """The (group, rotation) of virtual position v, computed the long way."""
    return int(groups[int(y[v % len(y)])]), v // len(y)


def test_within_group_episodes_stay_in_one_group_and_rotation():
    x, y = _glyphs(12, 16)
    groups = torch.tensor([0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2])  # group 1 has 3 classes, fewer than n_way
    eps = GlyphEpisodes(x, y, n_way=4, k_shot=1, n_query=2, strength=0.0, groups=groups, within_group=1.0,
                        generator=torch.Generator().manual_seed(3))
    assert len(eps.group_samplers) == 12  # 3 groups x 4 rotations
    ways = set()
    for _ in range(200):
        support, query = eps.episode_positions()
        ways.add(support.shape[0])
        keys = {_brute_force_group(int(v), y, groups, 12) for v in torch.cat([support, query], 1).flatten()}
        assert len(keys) == 1, keys
        classes = [{int(y[int(v) % len(y)]) for v in row} for row in torch.cat([support, query], 1)]
        assert all(len(c) == 1 for c in classes) and len({c.pop() for c in classes}) == support.shape[0]
        assert not set(support.flatten().tolist()) & set(query.flatten().tolist())
    assert ways == {3, 4}  # group 1 gives 3-way episodes
    mixed = GlyphEpisodes(x, y, n_way=4, k_shot=1, n_query=2, groups=groups, within_group=0.5,
                          generator=torch.Generator().manual_seed(0))
    n_within = 0
    for _ in range(400):
        support, query = mixed.episode_positions()
        n_within += len({_brute_force_group(int(v), y, groups, 12) for v in support.flatten()}) == 1
    assert 150 < n_within < 300  # about half, plus the rare random episode that happens to be in one group
    first = next(iter(eps))
    assert first[0].shape[1:] == (1, 1, 16, 16) and first[1].shape[1:] == (2, 1, 16, 16)


def test_within_group_rejects_bad_groups():
    x, y = _glyphs(6, 16)
    kw = dict(n_way=3, k_shot=1, n_query=1)
    with pytest.raises(ValueError, match=r"within_group > 0 needs groups: an integer tensor of shape \(6,\)"):
        GlyphEpisodes(x, y, within_group=0.5, **kw)
    with pytest.raises(ValueError, match=r"needs groups.*shape \(6,\)"):
        GlyphEpisodes(x, y, groups=torch.zeros(5, dtype=torch.long), within_group=0.5, **kw)
    with pytest.raises(ValueError, match="within_group must be a fraction in"):
        GlyphEpisodes(x, y, groups=torch.zeros(6, dtype=torch.long), within_group=1.5, **kw)
    with pytest.raises(ValueError, match="no group has two classes"):
        GlyphEpisodes(x, y, groups=torch.arange(6), within_group=0.5, rotations=False, **kw)


def test_autocast_dtype(monkeypatch):
    assert autocast_dtype("cpu", "float32") is None
    assert autocast_dtype("cpu", "bfloat16") is torch.bfloat16
    with pytest.raises(ValueError, match=r"precision must be one of \('auto', 'float32', 'bfloat16'\), got 'fp16'"):
        autocast_dtype("cpu", "fp16")
    # "auto" follows torch's public CPU capability report
    for capability, expected in [("AVX512", torch.bfloat16), ("SVE256", torch.bfloat16), ("AVX2", None),
                                 ("DEFAULT", None)]:
        monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda c=capability: c)
        assert autocast_dtype("cpu") is expected, capability
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    assert autocast_dtype("cpu") is None  # no oneDNN, no bfloat16 kernels


def test_a_time_budget_stops_training_after_the_step_that_spends_it(monkeypatch):
    # a deterministic wall clock: every read advances 1 s, so n s have passed after episode n
    clock = iter(range(1, 10_000))
    monkeypatch.setattr(loop.time, "perf_counter", lambda: float(next(clock)))
    x, y = _glyphs()
    run = train_protonet(Conv4(hidden=4, n_blocks=1), x, y, TrainingBudget(max_seconds=4.5), n_way=3, k_shot=1,
                         n_query=1, progress=False, precision="float32", device="cpu")
    # CosineByBudget reads the clock once after each step as well: 2 reads per episode
    assert run.steps == 3 and len(run.history.loss) == 3


def test_threads_auto_restores_the_count_and_a_bad_choice_is_rejected():
    x, y = _glyphs()
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        for threads in ("auto", None):
            run = train_protonet(Conv4(hidden=4, n_blocks=1), x, y, TrainingBudget(max_steps=9), n_way=3, k_shot=1,
                                 n_query=1, progress=False, device="cpu", threads=threads)
            assert run.steps == 9 and torch.get_num_threads() == 2
        with pytest.raises(ValueError, match="threads must be None or 'auto', got 'many'"):
            train_protonet(Conv4(hidden=4, n_blocks=1), x, y, TrainingBudget(max_steps=1), n_way=3, k_shot=1, n_query=1, progress=False,
                           device="cpu", threads="many")
    finally:
        torch.set_num_threads(before)


def test_training_lowers_the_episode_loss():
    x, y = _glyphs(12, 16)
    torch.manual_seed(0)
    enc = Conv4(hidden=8, n_blocks=2)
    run = train_protonet(enc, x, y, TrainingBudget(max_steps=40), n_way=5, k_shot=1, n_query=2, lr=3e-3,
                         strength=0.3, progress=False, precision="float32", device="cpu",
                         generator=torch.Generator().manual_seed(0))
    hist = run.history
    assert run.model is enc and run.steps == 40 and len(hist.metrics["accuracy"]) == 40
    assert run.metrics["final_episode_accuracy"] == hist.metrics["accuracy"][-1]
    assert sum(hist.loss[-10:]) < sum(hist.loss[:10])
    assert hist.cpu_seconds > 0 and not enc.training
    # trained channels-last, handed back in the default layout, float32 weights
    assert all(p.is_contiguous() and p.dtype == torch.float32 for p in enc.parameters())


def test_bfloat16_training_also_learns():
    x, y = _glyphs(12, 16)
    torch.manual_seed(0)
    enc = Conv4(hidden=8, n_blocks=2)
    hist = train_protonet(enc, x, y, TrainingBudget(max_steps=40), n_way=5, k_shot=1, n_query=2, lr=3e-3,
                          strength=0.3, progress=False, precision="bfloat16", device="cpu",
                          generator=torch.Generator().manual_seed(0)).history
    assert sum(hist.loss[-10:]) < sum(hist.loss[:10])
    assert all(p.dtype == torch.float32 for p in enc.parameters())  # autocast keeps float32 master weights
    with pytest.raises(TypeError, match="budget must be a TrainingBudget"):
        train_protonet(enc, x, y, 10)


def test_encoder_falls_back_to_glyphs_and_caches(offline, tmp_path, capsys):
    budget = TrainingBudget(max_steps=2)
    kw = dict(size=16, hidden=8, n_way=5, n_glyph_classes=8, progress=False, cache_dir=tmp_path, device="cpu")
    run = omniglot_encoder(budget, **kw)
    info = run.info
    assert info["data"].startswith("generated glyphs (no Omniglot found)") and not info["from_cache"]
    assert run.steps == 2 and info["path"].endswith(".safetensors") and not run.model.training
    again = omniglot_encoder(budget, **kw)
    assert again.info["from_cache"] and again.steps == 2 and again.history.loss == run.history.loss
    for (k, a), b in zip(run.model.state_dict().items(), again.model.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    other = omniglot_encoder(TrainingBudget(max_steps=3), use_cache=False, **kw)
    assert not other.info["from_cache"] and other.info["path"] != info["path"] and other.steps == 3
    # a cache cut short by a killed run: reported once, retrained, and the same weights again
    path = tmp_path / "omniglot" / info["path"].rsplit("/", 1)[1]
    path.write_bytes(path.read_bytes()[:100])
    capsys.readouterr()
    healed = omniglot_encoder(budget, **kw)
    out = capsys.readouterr().out
    assert out.count("is damaged") == 1 and not healed.info["from_cache"]
    for a, b in zip(run.model.state_dict().values(), healed.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert omniglot_encoder(budget, **kw).info["from_cache"] and capsys.readouterr().out == ""
