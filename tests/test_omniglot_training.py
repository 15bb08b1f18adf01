import pytest
import torch

from coursekit.data import make_glyphs
from coursekit.glyph_augment import glyph_tensor
from coursekit.models import Conv4
from coursekit.omniglot_training import (
    GlyphEpisodes,
    TrainingBudget,
    autocast_dtype,
    omniglot_encoder,
    train_protonet,
)


def _glyphs(n_classes=6, size=16):
    g = make_glyphs(n_classes, 4, size=size, seed=0)
    return glyph_tensor(g.images, size), g.labels


def test_budget_validation():
    with pytest.raises(ValueError, match="needs max_steps, max_seconds or max_cpu_seconds"):
        TrainingBudget()
    with pytest.raises(ValueError, match="max_seconds must be > 0 or None, got 0"):
        TrainingBudget(max_seconds=0)


def test_episodes_are_rotated_classes_with_shapes():
    x, y = _glyphs()
    eps = GlyphEpisodes(x, y, n_way=5, k_shot=2, n_query=1, budget=TrainingBudget(max_steps=3), strength=0.0)
    batches = list(eps)
    assert len(batches) == 3
    for support, query in batches:
        assert support.shape == (5, 2, 1, 16, 16) and query.shape == (5, 1, 1, 16, 16)
    # with strength 0, each virtual class c + r * C is an exact quarter turn of class c
    virtual = torch.cat([y + r * 6 for r in range(4)])
    ep = GlyphEpisodes(x, y, n_way=4, k_shot=1, n_query=1, budget=TrainingBudget(max_steps=1), strength=0.0, seed=5)
    first = next(iter(GlyphEpisodes(x, y, n_way=4, k_shot=1, n_query=1, budget=TrainingBudget(max_steps=1), strength=0.0, seed=5)))
    e = ep.sampler.__class__(virtual, n_way=4, k_shot=1, n_query=1, n_episodes=1, generator=torch.Generator().manual_seed(5)).sample()
    for j in range(4):
        pos = int(e.support[j, 0])
        expected = torch.rot90(x[pos % len(x)], pos // len(x), (1, 2))
        assert torch.allclose(first[0][j, 0], expected, atol=1e-5)
    no_rot = GlyphEpisodes(x, y, n_way=6, k_shot=1, n_query=1, budget=TrainingBudget(max_steps=1), rotations=False)
    assert no_rot.sampler.eligible.tolist() == list(range(6))
    with pytest.raises(ValueError, match="n_way=30 needs 30 classes"):
        GlyphEpisodes(x, y, n_way=30, k_shot=1, n_query=1, budget=TrainingBudget(max_steps=1))


def _brute_force_group(v, y, groups, n_classes):
    """The (group, rotation) of virtual position v, computed the long way."""
    return int(groups[int(y[v % len(y)])]), v // len(y)


def test_within_group_episodes_stay_in_one_group_and_rotation():
    x, y = _glyphs(12, 16)
    groups = torch.tensor([0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2])  # group 1 has 3 classes, fewer than n_way
    eps = GlyphEpisodes(x, y, n_way=4, k_shot=1, n_query=2, budget=TrainingBudget(max_steps=200),
                        strength=0.0, groups=groups, within_group=1.0, seed=3)
    assert len(eps.group_samplers) == 12  # 3 groups x 4 rotations
    ways = set()
    for _ in range(200):
        support, query = eps._episode()
        ways.add(support.shape[0])
        keys = {_brute_force_group(int(v), y, groups, 12) for v in torch.cat([support, query], 1).flatten()}
        assert len(keys) == 1, keys
        classes = [{int(y[int(v) % len(y)]) for v in row} for row in torch.cat([support, query], 1)]
        assert all(len(c) == 1 for c in classes) and len({c.pop() for c in classes}) == support.shape[0]
        assert not set(support.flatten().tolist()) & set(query.flatten().tolist())
    assert ways == {3, 4}  # group 1 gives 3-way episodes
    mixed = GlyphEpisodes(x, y, n_way=4, k_shot=1, n_query=2, budget=TrainingBudget(max_steps=1),
                          groups=groups, within_group=0.5, seed=0)
    n_within = 0
    for _ in range(400):
        support, query = mixed._episode()
        n_within += len({_brute_force_group(int(v), y, groups, 12) for v in support.flatten()}) == 1
    assert 150 < n_within < 300  # about half, plus the rare random episode that happens to be in one group
    first = next(iter(eps))
    assert first[0].shape[1:] == (1, 1, 16, 16) and first[1].shape[1:] == (2, 1, 16, 16)


def test_within_group_rejects_bad_groups():
    x, y = _glyphs(6, 16)
    kw = dict(n_way=3, k_shot=1, n_query=1, budget=TrainingBudget(max_steps=1))
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
    with pytest.raises(ValueError, match="precision must be 'auto', 'float32' or 'bfloat16', got 'fp16'"):
        autocast_dtype("cpu", "fp16")
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False, raising=False)
    assert autocast_dtype("cpu") is None
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True, raising=False)
    assert autocast_dtype("cpu") is torch.bfloat16


def test_cpu_budget_stops_iteration():
    x, y = _glyphs()
    eps = GlyphEpisodes(x, y, n_way=3, k_shot=1, n_query=1, budget=TrainingBudget(max_cpu_seconds=1e-9))
    assert list(eps) == [] or len(list(eps)) <= 1


def test_training_lowers_the_episode_loss():
    x, y = _glyphs(12, 16)
    torch.manual_seed(0)
    enc = Conv4(hidden=8, n_blocks=2)
    hist = train_protonet(enc, x, y, TrainingBudget(max_steps=40), n_way=5, k_shot=1, n_query=2, lr=3e-3,
                          strength=0.3, progress=False, precision="float32")
    assert hist.step[-1] == 40 and len(hist.metrics["accuracy"]) == 40
    assert sum(hist.loss[-10:]) < sum(hist.loss[:10])
    assert hist.metrics["cpu_seconds"][0] > 0 and not enc.training
    # trained channels-last, handed back in the default layout, float32 weights
    assert all(p.is_contiguous() and p.dtype == torch.float32 for p in enc.parameters())


def test_bfloat16_training_also_learns():
    x, y = _glyphs(12, 16)
    torch.manual_seed(0)
    enc = Conv4(hidden=8, n_blocks=2)
    hist = train_protonet(enc, x, y, TrainingBudget(max_steps=40), n_way=5, k_shot=1, n_query=2, lr=3e-3,
                          strength=0.3, progress=False, precision="bfloat16")
    assert sum(hist.loss[-10:]) < sum(hist.loss[:10])
    assert all(p.dtype == torch.float32 for p in enc.parameters())  # autocast keeps float32 master weights
    with pytest.raises(TypeError, match="budget must be a TrainingBudget"):
        train_protonet(enc, x, y, 10)


def test_encoder_falls_back_to_glyphs_and_caches(offline):
    budget = TrainingBudget(max_steps=2)
    enc, info = omniglot_encoder(budget, size=16, hidden=8, n_way=5, n_glyph_classes=8, progress=False)
    assert info["data"].startswith("generated glyphs (no Omniglot found)") and not info["from_cache"]
    assert info["steps"] == 2 and info["path"].endswith(".safetensors")
    again, info2 = omniglot_encoder(budget, size=16, hidden=8, n_way=5, n_glyph_classes=8, progress=False)
    assert info2["from_cache"] and info2["steps"] == 2 and info2["history"] is None
    for (k, a), b in zip(enc.state_dict().items(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    _, info3 = omniglot_encoder(TrainingBudget(max_steps=3), size=16, hidden=8, n_way=5, n_glyph_classes=8, progress=False, cache=False)
    assert not info3["from_cache"] and info3["path"] != info["path"]
