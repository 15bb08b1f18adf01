import pytest
import torch

from coursekit.data import ImageSet, make_glyphs


def test_shapes_labels_and_ink_convention():
    g = make_glyphs(4, 3, size=20, seed=1)
    assert isinstance(g, ImageSet)
    assert g.images.shape == (12, 1, 20, 20) and g.images.dtype == torch.uint8
    assert g.labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert g.classes == ["glyphs/character001", "glyphs/character002", "glyphs/character003", "glyphs/character004"]
    assert "generated" in g.source
    ink = g.images.float() / 255
    assert (ink.amax((1, 2, 3)) == 1).all()  # every drawing has strokes
    assert (ink.mean((1, 2, 3)) < 0.4).all()  # ink on a mostly empty (0) canvas


def test_seeded_and_instances_vary():
    a, b, c = make_glyphs(3, 4, seed=0), make_glyphs(3, 4, seed=0), make_glyphs(3, 4, seed=1)
    assert torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)
    assert not torch.equal(a.images[0], a.images[1])  # instances are jittered


def test_same_class_is_closer_than_other_classes():
    g = make_glyphs(10, 6, size=28, seed=0)
    x = g.images.float().flatten(1) / 255
    d = torch.cdist(x, x)
    same = g.labels[:, None] == g.labels[None]
    off_diag = ~torch.eye(len(x), dtype=torch.bool)
    # a pixel nearest neighbour mostly finds the same class: the classes are learnable
    d_masked = d.masked_fill(~off_diag, float("inf"))
    nearest = d_masked.argmin(1)
    assert (g.labels[nearest] == g.labels).float().mean() > 0.8
    assert d[same & off_diag].mean() < d[~same].mean()


def test_bad_inputs():
    with pytest.raises(ValueError, match="n_classes must be >= 1, got 0"):
        make_glyphs(0)
    with pytest.raises(TypeError, match="n_per_class must be an int, got float"):
        make_glyphs(2, 2.0)
    with pytest.raises(ValueError, match="size must be >= 8, got 4"):
        make_glyphs(2, 2, size=4)
    with pytest.raises(ValueError, match="jitter must be a finite number >= 0"):
        make_glyphs(2, 2, jitter=float("nan"))
    with pytest.raises(ValueError, match="thickness must be > 0"):
        make_glyphs(2, 2, thickness=0)
