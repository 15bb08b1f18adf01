import pytest
import torch

from coursekit.data import make_glyphs
from coursekit.glyph_augment import glyph_tensor
from coursekit.models import Conv4
from coursekit.omniglot_training import (
    GlyphEpisodes,
    TrainingBudget,
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
    e = ep.sampler.__class__(virtual, n_way=4, k_shot=1, n_query=1, n_episodes=1, seed=5).sample()
    for j in range(4):
        pos = int(e.support[j, 0])
        expected = torch.rot90(x[pos % len(x)], pos // len(x), (1, 2))
        assert torch.allclose(first[0][j, 0], expected, atol=1e-5)
    no_rot = GlyphEpisodes(x, y, n_way=6, k_shot=1, n_query=1, budget=TrainingBudget(max_steps=1), rotations=False)
    assert no_rot.sampler.eligible.tolist() == list(range(6))
    with pytest.raises(ValueError, match="n_way=30 needs 30 classes"):
        GlyphEpisodes(x, y, n_way=30, k_shot=1, n_query=1, budget=TrainingBudget(max_steps=1))


def test_cpu_budget_stops_iteration():
    x, y = _glyphs()
    eps = GlyphEpisodes(x, y, n_way=3, k_shot=1, n_query=1, budget=TrainingBudget(max_cpu_seconds=1e-9))
    assert list(eps) == [] or len(list(eps)) <= 1


def test_training_lowers_the_episode_loss():
    x, y = _glyphs(12, 16)
    torch.manual_seed(0)
    enc = Conv4(hidden=8, n_blocks=2)
    hist = train_protonet(enc, x, y, TrainingBudget(max_steps=40), n_way=5, k_shot=1, n_query=2, lr=3e-3,
                          strength=0.3, progress=False)
    assert hist.step[-1] == 40 and len(hist.metrics["accuracy"]) == 40
    assert sum(hist.loss[-10:]) < sum(hist.loss[:10])
    assert hist.metrics["cpu_seconds"][0] > 0 and not enc.training
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
