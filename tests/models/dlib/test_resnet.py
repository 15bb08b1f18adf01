"""Tests for coursekit.models.dlib.resnet: the network, its building blocks, and equality with dlib.

The comparisons with dlib itself take the ``dlib`` fixture (skipped without dlib, a failure when
COURSEKIT_EXPECT_DLIB=1); a descriptor recorded from dlib checks the port where dlib is missing."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
from PIL import Image

from coursekit.models.dlib import pretrained as dp
from coursekit.models.dlib import resnet as dr
from coursekit.models.dlib.format import DlibFormatError

# four people, then a second photo of the second one (chips 1 and 5 are the same person)
LFW_FACES = ["Serena_Williams/Serena_Williams_0001.jpg", "Colin_Powell/Colin_Powell_0001.jpg",
             "Gloria_Macapagal_Arroyo/Gloria_Macapagal_Arroyo_0001.jpg", "Tony_Blair/Tony_Blair_0001.jpg",
             "Colin_Powell/Colin_Powell_0002.jpg"]

# dlib 20.0.1's compute_face_descriptor of NOISE_CHIP: its first 8 values, last 4 and the norm
NOISE_CHIP = np.random.default_rng(0).integers(0, 256, (1, 150, 150, 3), dtype=np.uint8)
DLIB_NOISE_HEAD = [-0.09219, 0.08417, 0.04316, -0.01174, -0.15688, -0.06621, -0.03829, -0.11147]
DLIB_NOISE_TAIL = [-0.02195, -0.02944, 0.0262, 0.08593]
DLIB_NOISE_NORM = 1.28081


@pytest.fixture(scope="session")
def dlib_net(dlib):
    return dlib.face_recognition_model_v1(str(dp.find_model_file()))


@functools.cache
def _dlib_chips(dlib, lfw: Path) -> np.ndarray:
    """Chips of real faces made by dlib itself: the astronaut, then the LFW_FACES."""
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(dp.find_package_file("shape_predictor_5_face_landmarks.dat")))
    images = [skimage.data.astronaut()] + [np.asarray(Image.open(lfw / f).convert("RGB")) for f in LFW_FACES]
    # upsample 1 for the astronaut's 90-px face, 0 for LFW's 110-px faces (4x faster)
    chips = [dlib.get_face_chip(im, predictor(im, detector(im, int(k == 0))[0]), 150, 0.25)
             for k, im in enumerate(images)]
    return np.stack(chips)


@pytest.fixture
def real_chips(dlib, data_root):
    return _dlib_chips(dlib, data_root / "lfw" / "lfw-deepfunneled")


@pytest.fixture
def dlib_descriptors(dlib_net, real_chips):
    """dlib's own descriptors of the real chips (its batched call)."""
    return np.array(dlib_net.compute_face_descriptor(list(real_chips)))


@pytest.fixture
def port_descriptors(model, real_chips):
    return dp.embed_chips(real_chips, model=model)


def test_port_equals_dlib_on_real_faces(port_descriptors, dlib_descriptors):
    assert np.abs(port_descriptors - dlib_descriptors).max() <= 1e-4
    assert 1.2 < np.linalg.norm(port_descriptors[0]) < 1.7  # not L2-normalised, as in dlib


def test_port_equals_dlib_on_a_noise_chip(model, dlib_net):
    ours = dp.embed_chips(NOISE_CHIP, model=model)[0]
    assert np.abs(ours - np.array(dlib_net.compute_face_descriptor(NOISE_CHIP[0]))).max() <= 1e-4


def test_port_equals_a_recorded_dlib_descriptor(model):
    """Runs without dlib: the values dlib computed for NOISE_CHIP, rounded to 1e-5."""
    ours = dp.embed_chips(NOISE_CHIP, model=model)[0]
    np.testing.assert_allclose(ours[:8], DLIB_NOISE_HEAD, atol=1e-4)
    np.testing.assert_allclose(ours[-4:], DLIB_NOISE_TAIL, atol=1e-4)
    assert abs(np.linalg.norm(ours) - DLIB_NOISE_NORM) < 1e-4


def test_fused_model_equals_dlib(model, dlib_descriptors, real_chips):
    ours = dp.embed_chips(real_chips, model=model.fuse_affine())
    assert np.abs(ours - dlib_descriptors).max() <= 1e-4
    assert isinstance(model.blocks[0].affine1, dr.Affine)  # the original is left alone


def test_same_person_closer_than_threshold(port_descriptors):
    e = port_descriptors
    d = np.linalg.norm(e[:, None] - e[None], axis=-1)
    is_same = np.eye(len(e), dtype=bool)
    is_same[2, 5] = is_same[5, 2] = True  # Colin Powell twice
    assert d[2, 5] < dr.SAME_PERSON_DISTANCE
    assert d[~is_same].min() > dr.SAME_PERSON_DISTANCE


def test_forward_rejects_bad_input(model):
    x = torch.full((1, 3, 150, 150), 100.0)
    with pytest.raises(ValueError, match="finite"):
        model(x.clone().index_fill_(2, torch.tensor([3]), float("nan")))
    with pytest.raises(TypeError, match="floating-point tensor, got torch.uint8"):
        model(x.to(torch.uint8))
    with pytest.raises(ValueError, match=r"\(N, 3, 150, 150\).*got \(1, 150, 150, 3\)"):
        model(x.permute(0, 2, 3, 1))


def _add_prev_loop(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    shape = [max(sa, sb) for sa, sb in zip(a.shape, b.shape, strict=True)]
    out = torch.zeros(shape, dtype=a.dtype)
    for t in (a, b):
        for idx in np.ndindex(*t.shape):
            out[idx] += t[idx]
    return out


@pytest.mark.parametrize("sa, sb", [((1, 2, 3, 3), (1, 4, 2, 2)), ((2, 3, 2, 2), (2, 3, 2, 2)), ((1, 1, 1, 1), (1, 2, 2, 1))])
def test_add_prev_zero_pads_the_smaller_at_the_end(sa, sb):
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(sa, generator=g), torch.randn(sb, generator=g)
    torch.testing.assert_close(dr._add_prev(a, b), _add_prev_loop(a, b))


def test_down_block_gradcheck():
    torch.manual_seed(0)
    block = dr.ResidualBlock(2, 3, down=True).double()
    with torch.no_grad():
        block.affine1.gamma.uniform_(0.5, 1.5)
        block.affine2.beta.uniform_(-0.5, 0.5)
    x = torch.randn(1, 2, 6, 6, dtype=torch.float64, requires_grad=True)
    assert block(x).shape == (1, 3, 3, 3)  # residual 2x2, pooled skip 3x3 -> 3x3
    assert torch.autograd.gradcheck(block, (x,))


def test_fused_equals_unfused_on_random_weights():
    torch.manual_seed(0)
    net = dr.DlibFaceResNet().double().eval()
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, dr.Affine):
                m.gamma.uniform_(0.5, 1.5)
                m.beta.uniform_(-0.1, 0.1)
    x = torch.rand(1, 3, 150, 150, dtype=torch.float64) * 255
    with torch.no_grad():
        torch.testing.assert_close(net.fuse_affine()(x), net(x))
        assert net.features(x).shape == (1, 256, 2, 2)


def test_weight_file_of_another_architecture_is_rejected(tmp_path):
    data = bytearray(dp.find_model_file().read_bytes())
    at = data.find(bytes([1, 32, 1, 7, 1, 7, 1, 2, 1, 2]))  # first conv: 32 filters 7x7, strides 2, 2
    data[at + 7] = 1  # stride 2 -> 1: still a valid file, not this network
    bad = tmp_path / "model.dat"
    bad.write_bytes(bytes(data))
    with pytest.raises(DlibFormatError, match=r"layer 0: expected con_4 \{'stride': 2, 'padding': 0\}"):
        dr.load_dlib_weights(dr.DlibFaceResNet(), bad)


def test_gradient_reaches_the_input(model):
    """Notebook 05 optimises an input image: in-place relus must not break autograd."""
    x = torch.full((1, 3, 150, 150), 120.0, requires_grad=True)
    for net in (model, model.fuse_affine()):
        x.grad = None
        net(x).pow(2).sum().backward()
        assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.parameters())  # frozen


def test_load_dlib_weights_rejects_another_module():
    with pytest.raises(TypeError, match="model must be a DlibFaceResNet, got Linear"):
        dr.load_dlib_weights(torch.nn.Linear(2, 2), dp.find_model_file())
