"""Tests for coursekit.models.dlib.pretrained: finding the weights, the cache, embedding chips."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from coursekit.models.dlib import pretrained as dp
from coursekit.models.dlib.format import DlibFormatError


def test_shapes_dtypes_and_batching(model):
    chips = np.random.default_rng(1).integers(0, 256, (3, 150, 150, 3), dtype=np.uint8)
    batched = dp.embed_chips(chips, model=model)
    e1 = dp.embed_chips(chips[:2], batch_size=1, model=model)
    assert e1.shape == (2, 128) and e1.dtype == np.float32
    np.testing.assert_allclose(e1, batched[:2], atol=1e-5)  # batch of 1 vs of 32
    flipped = dp.embed_chips(chips[:1, :, ::-1], model=model)  # a non-contiguous view
    np.testing.assert_allclose(flipped, dp.embed_chips(chips[:1, :, ::-1].copy(), model=model), atol=1e-6)
    t = dp.embed_chips(torch.from_numpy(chips[:1]), model=model)
    assert torch.is_tensor(t) and t.dtype == torch.float32 and t.shape == (1, 128)
    np.testing.assert_allclose(t.numpy(), batched[:1], atol=1e-5)


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


def test_find_model_file_does_not_import_the_package(monkeypatch):
    monkeypatch.delitem(sys.modules, "face_recognition_models", raising=False)
    path = dp.find_model_file()
    assert "face_recognition_models" not in sys.modules  # its __init__ needs pkg_resources
    assert path.name == "dlib_face_recognition_resnet_model_v1.dat" and path.stat().st_size == 22_466_066


def test_find_model_file_when_package_missing(monkeypatch):
    monkeypatch.setattr(dp.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install face_recognition_models"):
        dp.find_model_file()


def test_find_package_file():
    assert dp.find_package_file("shape_predictor_5_face_landmarks.dat").stat().st_size > 1e5
    with pytest.raises(FileNotFoundError, match="no_such.dat not found under"):
        dp.find_package_file("no_such.dat")
    with pytest.raises(TypeError, match="filename must be a str, got int"):
        dp.find_package_file(5)


def _cache_file(root):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSEKIT_CACHE", str(root))
        return dp.weights_cache_path(dp._sha256(dp.find_model_file()))


def test_cache_is_written_and_reused(model, cache_root, monkeypatch):
    monkeypatch.setenv("COURSEKIT_CACHE", str(cache_root))
    assert _cache_file(cache_root).is_file()
    monkeypatch.setattr(dp, "load_dlib_weights", lambda *a: pytest.fail("the .dat was re-read"))
    again = dp.pretrained_face_embedder("cpu")
    for (k, v), w in zip(model.state_dict().items(), again.state_dict().values(), strict=True):
        assert torch.equal(v, w), k


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped byte"])
def test_damaged_cache_is_reported_once_and_rebuilt(model, cache_root, tmp_path, monkeypatch, capsys, damage):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path))
    cache = _cache_file(tmp_path)
    cache.parent.mkdir(parents=True)
    good = _cache_file(cache_root).read_bytes()
    if damage == "garbage":
        cache.write_bytes(b"not a safetensors file")
    elif damage == "truncated":
        cache.write_bytes(good[: len(good) // 3])
    else:  # a weight changed on disk: only the stored checksum can tell
        bad = bytearray(good)
        bad[-5] ^= 0x40
        cache.write_bytes(bytes(bad))
    fresh = dp.pretrained_face_embedder("cpu")
    assert "is damaged" in capsys.readouterr().out
    torch.testing.assert_close(fresh.fc.weight, model.fc.weight, rtol=0, atol=0)
    rebuilt, _ = dp.cache.load_tensors(cache)  # rebuilt from the .dat file, checksum and all
    assert all(torch.equal(rebuilt[k], v) for k, v in model.state_dict().items())
    dp.pretrained_face_embedder("cpu")
    assert capsys.readouterr().out == ""  # reported once: the rebuilt cache loads silently


def test_a_changed_dat_file_gets_its_own_cache(model, cache_root, monkeypatch):
    monkeypatch.setenv("COURSEKIT_CACHE", str(cache_root))
    original = _cache_file(cache_root)
    monkeypatch.setattr(dp, "_sha256", lambda path: "0" * 64)  # as if the .dat had changed
    fresh = dp.pretrained_face_embedder("cpu")
    assert dp.weights_cache_path("0" * 64).is_file() and dp.weights_cache_path("0" * 64) != original
    torch.testing.assert_close(fresh.fc.weight, model.fc.weight, rtol=0, atol=0)


def test_an_unwritable_cache_still_gives_the_weights(model, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(dp.cache, "load_or_build", refuse)
    fresh = dp.pretrained_face_embedder("cpu")
    assert "could not write the face network's weight cache" in capsys.readouterr().out
    torch.testing.assert_close(fresh.fc.weight, model.fc.weight, rtol=0, atol=0)


def test_weights_cache_path_rejects_a_bad_hash():
    with pytest.raises(ValueError, match="source_hash must be a 64-character hex SHA-256"):
        dp.weights_cache_path("abc")


def test_truncated_weight_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "model.dat"
    bad.write_bytes(dp.find_model_file().read_bytes()[:1_000_000])
    with pytest.raises(DlibFormatError, match="model.dat: file ends at byte 1000000"):
        dp.pretrained_face_embedder("cpu", model_file=bad)


def test_missing_model_file():
    with pytest.raises(FileNotFoundError, match="model_file must be an existing dlib .dat file"):
        dp.pretrained_face_embedder("cpu", model_file="/nonexistent.dat")
