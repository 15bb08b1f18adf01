"""Training a face embedding with triplet loss: helpers, the training run, the safetensors cache."""

import functools

import numpy as np
import pytest
import torch
from safetensors import safe_open
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score

from coursekit import embedding_training as et
from coursekit.data.generated_faces import generated_faces
from coursekit.models.face_embedding import FaceEmbeddingNet

SMALL = {"steps": 4, "p": 3, "k": 2, "embedding_dim": 8, "width": 4, "progress": False, "device": "cpu"}


@pytest.fixture(scope="module")
def faces():
    f = generated_faces(8, 4, size=16, seed=3)
    return f.images, f.labels


# ----------------------------------------------------------------------------- helpers
def test_augment_faces_is_seeded_and_keeps_range():
    x = torch.rand(4, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    a = et.augment_faces(x, torch.Generator().manual_seed(1))
    b = et.augment_faces(x, torch.Generator().manual_seed(1))
    c = et.augment_faces(x, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1
    assert not torch.allclose(a, x, atol=0.05)  # it does change the images


def test_augment_faces_moves_a_flat_image_by_at_most_the_brightness_range():
    x = torch.full((8, 1, 16, 16), 0.5)
    out = et.augment_faces(x, torch.Generator().manual_seed(0))
    per_image = out.flatten(1)
    assert torch.allclose(per_image.min(1).values, per_image.max(1).values, atol=1e-5)  # still flat
    assert ((per_image[:, 0] - 0.5).abs() <= 0.1 + 1e-6).all()


def test_embed_matches_direct_call_and_batches_do_not_matter():
    torch.manual_seed(0)
    net = FaceEmbeddingNet(8, width=4).eval()
    x = torch.randint(0, 256, (7, 1, 16, 16), dtype=torch.uint8)
    with torch.no_grad():
        direct = net(x.float() / 255)
    torch.testing.assert_close(et.embed(net, x, batch_size=3), direct)
    torch.testing.assert_close(et.embed(net, x.float() / 255), direct)
    net.train()
    et.embed(net, x)
    assert net.training  # mode restored


def test_held_out_distances_and_auc_match_loops():
    g = torch.Generator().manual_seed(0)
    e = torch.randn(9, 3, generator=g)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2])
    d, same = et.held_out_distances(e, y)
    ref_d, ref_same = [], []
    for i in range(9):
        for j in range(i + 1, 9):
            ref_d.append(float(np.linalg.norm(e[i].numpy() - e[j].numpy())))
            ref_same.append(bool(y[i] == y[j]))
    np.testing.assert_allclose(d.numpy(), ref_d, rtol=1e-5)
    assert same.tolist() == ref_same
    assert et.verification_auc(e, y) == pytest.approx(roc_auc_score(ref_same, -np.array(ref_d)))
    separated = torch.nn.functional.one_hot(y).float()
    assert et.verification_auc(separated, y) == 1.0


def test_project_2d():
    e = torch.randn(30, 5, generator=torch.Generator().manual_seed(0))
    pca = et.project_2d(e, "pca")
    ref = PCA(n_components=2, random_state=0).fit_transform(e.double().numpy())
    np.testing.assert_allclose(np.abs(pca), np.abs(ref), rtol=1e-6)  # up to the sign of each axis
    assert et.project_2d(e, "tsne").shape == (30, 2)
    with pytest.raises(ValueError, match=r"method must be 'pca' or 'tsne', got 'umap'"):
        et.project_2d(e, "umap")
    with pytest.raises(ValueError, match=r"N >= 3"):
        et.project_2d(e[:2])


# ----------------------------------------------------------------------------- training
@pytest.mark.parametrize("loss", ["batch_all", "batch_hard"])
def test_training_records_history_and_is_seeded(faces, loss):
    x, y = faces
    held = (x[24:], y[24:])
    before = torch.rand(1)
    m1, h1 = et.train_face_embedding(x[:24], y[:24], loss=loss, held_out=held, eval_every=2,
                                     generator=torch.Generator().manual_seed(0), **SMALL)
    assert torch.rand(1) != before  # (sanity) and the global RNG stream is not consumed:
    torch.manual_seed(123)
    r1 = torch.rand(1)
    torch.manual_seed(123)
    m2, h2 = et.train_face_embedding(x[:24], y[:24], loss=loss, held_out=held, eval_every=2,
                                     generator=torch.Generator().manual_seed(0), **SMALL)
    assert torch.rand(1) == r1
    assert isinstance(m1, FaceEmbeddingNet) and not m1.training
    assert h1.step == [1, 2, 3, 4] and len(h1.loss) == 4
    assert len(h1.metrics["fraction_positive"]) == 4
    assert all(0 <= f <= 1 for f in h1.metrics["fraction_positive"])
    assert h1.eval_step == [0, 2, 4] and len(h1.eval_metrics["held_out_auc"]) == 3
    assert h1.loss == h2.loss and h1.eval_metrics == h2.eval_metrics
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert h1.eval_metrics["held_out_auc"][-1] == pytest.approx(
        et.verification_auc(et.embed(m1, held[0]), held[1]))


def test_training_improves_held_out_verification():
    f = generated_faces(16, 6, size=24, seed=5)
    x, y = f.images, f.labels
    _, h = et.train_face_embedding(x[y < 12], y[y < 12], held_out=(x[y >= 12], y[y >= 12]),
                                   steps=40, p=4, k=3, embedding_dim=16, width=8, lr=3e-3,
                                   augment=False, progress=False, device="cpu", eval_every=40)
    auc = h.eval_metrics["held_out_auc"]
    assert auc[-1] > auc[0] + 0.03, auc
    assert np.mean(h.loss[-5:]) < np.mean(h.loss[:5])


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"loss": "hardest"}, ValueError, r"loss must be 'batch_all' or 'batch_hard', got 'hardest'"),
        ({"steps": 0}, ValueError, r"steps must be an int >= 1, got 0"),
        ({"p": 9}, ValueError, r"p=9 identities"),
        ({"held_out": (torch.zeros(2, 1, 8, 8, dtype=torch.uint8), torch.tensor([0, 1]))}, ValueError,
         r"held_out images must have shape \(M, 1, 16, 16\), got \(2, 1, 8, 8\)"),
    ],
)
def test_training_rejects_bad_settings(faces, kwargs, err, match):
    x, y = faces
    with pytest.raises(err, match=match):
        et.train_face_embedding(x, y, **(SMALL | kwargs))


def test_training_rejects_bad_data(faces):
    x, y = faces
    with pytest.raises(ValueError, match=r"images must be a tensor of shape \(N, C, H, W\), got \(32, 16, 16\)"):
        et.train_face_embedding(x[:, 0], y, **SMALL)
    with pytest.raises(ValueError, match=r"labels must be an int64 tensor of shape \(32,\), got torch.float32"):
        et.train_face_embedding(x, y.float(), **SMALL)
    with pytest.raises(TypeError, match=r"images must be uint8 \(0..255\) or float \(0..1\), got torch.int32"):
        et.train_face_embedding(x.int(), y, **SMALL)


# ----------------------------------------------------------------------------- cache
def test_load_or_train_caches_weights_and_history(faces, tmp_path, monkeypatch):
    x, y = faces
    settings = {k: v for k, v in SMALL.items() if k not in ("device", "progress")}
    m1, h1 = et.load_or_train_face_embedding(x, y, seed=1, cache_dir=tmp_path, device="cpu", progress=False, **settings)
    files = list((tmp_path / "face_embedding").glob("*.safetensors"))
    assert len(files) == 1
    with safe_open(str(files[0]), framework="pt") as f:
        assert '"steps": 4' in f.metadata()["coursekit"]

    @functools.wraps(et.train_face_embedding)  # keeps the signature the cache key is built from
    def no_training(*args, **kwargs):
        raise AssertionError("trained although a cached file exists")

    monkeypatch.setattr(et, "train_face_embedding", no_training)
    m2, h2 = et.load_or_train_face_embedding(x, y, seed=1, cache_dir=tmp_path, device="cpu", **settings)
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert h2.as_dict() == h1.as_dict() and not m2.training
    torch.testing.assert_close(et.embed(m1, x), et.embed(m2, x))
    # any change of seed, setting or data is a different key, hence a training run
    for change in ({"seed": 2}, {"margin": 0.3}):
        with pytest.raises(AssertionError, match="trained although"):
            et.load_or_train_face_embedding(x, y, cache_dir=tmp_path, **(settings | {"seed": 1} | change))
    with pytest.raises(AssertionError, match="trained although"):
        et.load_or_train_face_embedding(x[1:], y[1:], seed=1, cache_dir=tmp_path, **settings)
    with pytest.raises(AssertionError, match="trained although"):
        et.load_or_train_face_embedding(x, y, seed=1, cache_dir=tmp_path, retrain=True, **settings)
    with pytest.raises(AssertionError, match="trained although"):
        et.load_or_train_face_embedding(x, y, seed=1, cache_dir=tmp_path, held_out=(x[:4], y[:4]), **settings)


def test_load_or_train_default_cache_dir_follows_config(faces, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path))
    x, y = faces
    et.load_or_train_face_embedding(x, y, steps=1, p=2, k=2, width=4, embedding_dim=4, device="cpu", progress=False)
    assert len(list((tmp_path / "face_embedding").glob("*.safetensors"))) == 1


def test_load_or_train_rejects_bad_settings(faces, tmp_path):
    x, y = faces
    with pytest.raises(TypeError, match=r"pass seed=..., not generator="):
        et.load_or_train_face_embedding(x, y, cache_dir=tmp_path, generator=torch.Generator())
    with pytest.raises(TypeError, match=r"unknown setting\(s\) \['epochs'\]"):
        et.load_or_train_face_embedding(x, y, cache_dir=tmp_path, epochs=3)
    with pytest.raises(TypeError, match=r"seed must be an int, got float"):
        et.load_or_train_face_embedding(x, y, cache_dir=tmp_path, seed=1.0)
