"""coursekit.augment: face augmentation, glyph warps, test-time augmentation."""

import math

import pytest
import torch

from coursekit.augment import augment_faces, augmented_embedding, glyph_tensor, random_affine


def _glyph():
    x = torch.zeros(1, 1, 8, 8)
    x[0, 0, 1, 2:6] = 1  # a bar near the top
    x[0, 0, 1:5, 2] = 1  # and a stem
    return x


def test_quarter_turns_equal_rot90_at_zero_strength():
    x = _glyph().repeat(4, 1, 1, 1)
    out = random_affine(x, torch.Generator(), quarter_turns=torch.arange(4), strength=0.0)
    for r in range(4):
        # on screen (row 0 at the top) a quarter turn is counter-clockwise, like torch.rot90
        assert torch.allclose(out[r], torch.rot90(x[r], r, (1, 2)), atol=1e-5), r


def test_warp_matches_pointwise_bilinear_reference():
    g = torch.Generator().manual_seed(3)
    x = torch.rand(2, 1, 6, 6, generator=g)
    out = random_affine(x, torch.Generator().manual_seed(0), strength=1.0)
    # rebuild the same theta from the same draws, then sample every pixel by hand
    gen = torch.Generator().manual_seed(0)

    def u(*shape):
        return torch.rand(*shape, generator=gen) * 2 - 1

    ang, sh, sc, t = math.radians(10) * u(2), 0.15 * u(2), 1 + 0.15 * u(2, 2), 0.1 * u(2, 2)
    for n in range(2):
        c, s = math.cos(ang[n]), math.sin(ang[n])
        a = torch.tensor([[c, -s], [s, c]]) @ torch.tensor([[1.0, float(sh[n])], [0.0, 1.0]]) @ torch.diag(sc[n])
        for i in range(6):
            for j in range(6):
                xn, yn = (2 * j + 1) / 6 - 1, (2 * i + 1) / 6 - 1  # pixel centres, align_corners=False
                px, py = (a @ torch.tensor([xn, yn]) + t[n]).tolist()
                fx, fy = ((px + 1) * 6 - 1) / 2, ((py + 1) * 6 - 1) / 2
                x0, y0 = math.floor(fx), math.floor(fy)
                val = 0.0
                for dy in (0, 1):
                    for dx in (0, 1):
                        xx, yy = x0 + dx, y0 + dy
                        w = (1 - abs(fx - xx)) * (1 - abs(fy - yy))
                        if 0 <= xx < 6 and 0 <= yy < 6:
                            val += w * float(x[n, 0, yy, xx])
                assert out[n, 0, i, j].item() == pytest.approx(val, abs=1e-5)


def test_seeded_and_dtype_follow_input():
    x = _glyph().double()
    a = random_affine(x, torch.Generator().manual_seed(1))
    b = random_affine(x, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.dtype == torch.float64
    assert not torch.equal(a, random_affine(x, torch.Generator().manual_seed(2)))


def test_glyph_tensor_area_resize():
    img = torch.zeros(1, 1, 4, 4, dtype=torch.uint8)
    img[0, 0, :2, :2] = 255
    assert glyph_tensor(img, 2)[0, 0].tolist() == [[1.0, 0.0], [0.0, 0.0]]
    assert glyph_tensor(img, 4).dtype == torch.float32


def test_augmented_embedding_is_mean_of_views_and_deterministic():
    x = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))

    def f(b):
        return b.flatten(1)[:, :5] * 2

    gen = torch.Generator().manual_seed(4)
    tta = augmented_embedding(f, n_views=3, strength=0.5, generator=gen)
    g = torch.Generator().manual_seed(4)
    ref = (f(x) + sum(f(random_affine(x, g, strength=0.5)) for _ in range(3))) / 4
    assert torch.allclose(tta(x), ref) and torch.equal(tta(x), tta(x))
    assert torch.equal(gen.get_state(), torch.Generator().manual_seed(4).get_state())  # not advanced
    assert torch.equal(augmented_embedding(f, n_views=0)(x), f(x))
    torch.manual_seed(4)  # None: a snapshot of torch's default generator
    assert torch.allclose(augmented_embedding(f, n_views=3, strength=0.5)(x), ref)
    g = torch.Generator().manual_seed(4)  # the default strength is the training warps' 1.0
    ref1 = (f(x) + sum(f(random_affine(x, g)) for _ in range(3))) / 4
    assert torch.allclose(augmented_embedding(f, n_views=3, generator=torch.Generator().manual_seed(4))(x), ref1)
    assert not torch.allclose(ref1, ref)


def test_bad_inputs():
    g = torch.Generator()
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\), got \(3, 8, 8\)"):
        random_affine(torch.zeros(3, 8, 8), g)
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got dtype torch.uint8"):
        random_affine(torch.zeros(1, 1, 8, 8, dtype=torch.uint8), g)
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None, got int 0"):
        random_affine(_glyph(), 0)
    with pytest.raises(ValueError, match=r"quarter_turns must have shape \(1,\)"):
        random_affine(_glyph(), g, quarter_turns=torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="quarter_turns must be an integer tensor"):
        random_affine(_glyph(), g, quarter_turns=torch.tensor([0.5]))
    with pytest.raises(ValueError, match="strength must be a number >= 0.0, got -1.0"):
        random_affine(_glyph(), g, strength=-1)
    with pytest.raises(ValueError, match="x must contain only finite values"):
        random_affine(torch.full((1, 1, 4, 4), float("nan")), g)
    with pytest.raises(TypeError, match=r"images must be uint8 of shape \(N, 1, H, W\), got dtype torch.float32"):
        glyph_tensor(torch.zeros(1, 1, 4, 4), 2)
    with pytest.raises(ValueError, match="size must be an int >= 1, got 0"):
        glyph_tensor(torch.zeros(1, 1, 4, 4, dtype=torch.uint8), 0)
    with pytest.raises(ValueError, match="n_views must be an int >= 0"):
        augmented_embedding(lambda x: x, n_views=-1)
    with pytest.raises(TypeError, match="embed must be callable"):
        augmented_embedding("conv4")


# ----------------------------------------------------------------------------- faces
def test_augment_faces_is_seeded_and_keeps_range():
    x = torch.rand(4, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    a = augment_faces(x, torch.Generator().manual_seed(1))
    b = augment_faces(x, torch.Generator().manual_seed(1))
    c = augment_faces(x, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1
    assert not torch.allclose(a, x, atol=0.05)  # it does change the images
    torch.manual_seed(1)  # None: torch's default generator
    assert torch.equal(augment_faces(x), a)


def test_augment_faces_moves_a_flat_image_by_at_most_the_brightness_range():
    x = torch.full((8, 1, 16, 16), 0.5)
    out = augment_faces(x, torch.Generator().manual_seed(0))
    per_image = out.flatten(1)
    assert torch.allclose(per_image.min(1).values, per_image.max(1).values, atol=1e-5)  # still flat
    assert ((per_image[:, 0] - 0.5).abs() <= 0.1 + 1e-6).all()


def test_augment_faces_mirror_only_is_a_flip():
    # brightness/contrast aside, a draw with angle 0, scale 1, no shift and flip is x.flip(3):
    # check the geometry through an image whose mean and range survive unchanged
    x = torch.zeros(64, 1, 8, 8)
    x[:, 0, :, :4] = 1.0  # left half bright
    out = augment_faces(x, torch.Generator().manual_seed(0))
    left, right = out[:, 0, :, :4].mean((1, 2)), out[:, 0, :, 4:].mean((1, 2))
    mirrored = right > left
    assert 10 < int(mirrored.sum()) < 54  # about half the faces are mirrored


def test_augment_faces_bad_inputs():
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\)"):
        augment_faces(torch.zeros(1, 8, 8))
    with pytest.raises(TypeError, match="x must be a floating-point tensor"):
        augment_faces(torch.zeros(1, 1, 8, 8, dtype=torch.uint8))
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None, got int 3"):
        augment_faces(torch.zeros(1, 1, 8, 8), 3)
