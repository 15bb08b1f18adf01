"""coursekit.training.embedding: embed, held-out measures, triplet training, the cached run."""

import numpy as np
import pytest
import torch

from coursekit import cache
from coursekit.data.generated_faces import generated_faces
from coursekit.models.face_embedding import FaceEmbeddingNet
from coursekit.training import embedding as et
from coursekit.training import evaluation as ev
from coursekit.training.loop import TrainingBudget

SETTINGS = {"budget": TrainingBudget(max_steps=4), "p": 3, "k": 2, "embedding_dim": 8, "width": 4}
RECIPE = et.TripletRecipe(**SETTINGS)
SMALL = {"recipe": RECIPE, "progress": False, "device": "cpu"}


@pytest.fixture(scope="module")
def faces():
    f = generated_faces(8, 4, size=16, seed=3)
    return f.images, f.labels


# ----------------------------------------------------------------------------- helpers
# ----------------------------------------------------------------------------- training
@pytest.mark.parametrize("loss", ["batch_all", "batch_hard"])
def test_training_records_history_and_is_seeded(faces, loss):
    x, y = faces
    held = (x[24:], y[24:])
    before = torch.rand(1)
    recipe = et.TripletRecipe(**SETTINGS, loss=loss, eval_every=2)
    r1 = et.train_face_embedding(x[:24], y[:24], recipe, held_out=held, generator=torch.Generator().manual_seed(0),
                                 progress=False, device="cpu")
    m1, h1 = r1.model, r1.history
    assert torch.rand(1) != before  # (sanity) and the global RNG stream is not consumed:
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    r2 = et.train_face_embedding(x[:24], y[:24], recipe, held_out=held, generator=torch.Generator().manual_seed(0),
                                 progress=False, device="cpu")
    m2, h2 = r2.model, r2.history
    assert torch.rand(1) == expected
    assert isinstance(m1, FaceEmbeddingNet) and not m1.training
    assert h1.step == [1, 2, 3, 4] and len(h1.loss) == 4
    assert len(h1.metrics["fraction_positive"]) == 4
    assert all(0 <= f <= 1 for f in h1.metrics["fraction_positive"])
    assert h1.eval_step == [0, 2, 4] and len(h1.eval_metrics["held_out_auc"]) == 3
    assert h1.loss == h2.loss and h1.eval_metrics == h2.eval_metrics
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert h1.eval_metrics["held_out_auc"][-1] == pytest.approx(
        ev.verification_auc(ev.embed(m1, held[0]), held[1]))
    assert r1.metrics["held_out_auc"] == h1.eval_metrics["held_out_auc"][-1]


def test_the_step_is_the_lessons_loop(faces):
    # train_face_embedding's first step equals the loop notebook 02 shows, written by hand
    from coursekit.augment import augment_faces
    from coursekit.losses import batch_hard_triplet_loss
    from coursekit.sampling import PKSampler

    x, y = faces
    recipe = et.TripletRecipe(**(SETTINGS | {"budget": TrainingBudget(max_steps=1)}))
    run = et.train_face_embedding(x, y, recipe, generator=torch.Generator().manual_seed(0), progress=False,
                                  device="cpu")
    g = torch.Generator().manual_seed(0)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(torch.randint(2**31 - 1, (1,), generator=g)))
        model = FaceEmbeddingNet(8, in_channels=1, width=4)
    sampler = PKSampler(y, 3, 2, n_batches=1, generator=g)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for idx in sampler:
        embeddings = model(augment_faces(x[idx].float() / 255, g))
        loss = batch_hard_triplet_loss(y[idx], embeddings, 0.2)  # squared distances, the default
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert run.history.loss == [pytest.approx(loss.item(), rel=1e-6)]


def test_training_improves_held_out_verification():
    f = generated_faces(16, 6, size=24, seed=5)
    x, y = f.images, f.labels
    h = et.train_face_embedding(x[y < 12], y[y < 12], held_out=(x[y >= 12], y[y >= 12]),
                                recipe=et.TripletRecipe(budget=TrainingBudget(max_steps=40), p=4, k=3,
                                                        embedding_dim=16, width=8, lr=3e-3, augment=False,
                                                        eval_every=40),
                                progress=False, device="cpu",
                                generator=torch.Generator().manual_seed(0)).history
    auc = h.eval_metrics["held_out_auc"]
    assert auc[-1] > auc[0] + 0.03, auc
    assert np.mean(h.loss[-5:]) < np.mean(h.loss[:5])


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"loss": "hardest"}, ValueError, r"loss must be one of \('batch_all', 'batch_hard'\), got 'hardest'"),
        ({"budget": 5}, TypeError, r"budget must be a TrainingBudget, got int"),
        ({"margin": -0.1}, ValueError, r"margin must be a number >= 0.0, got -0.1"),
        ({"squared": 1}, TypeError, r"squared must be True or False"),
        ({"p": 0}, ValueError, r"p must be an int >= 1, got 0"),
        ({"width": 2.5}, TypeError, r"width must be an int >= 1, got float 2.5"),
        ({"eval_every": 0}, ValueError, r"eval_every must be an int >= 1, got 0"),
    ],
)
def test_recipe_rejects_bad_settings(kwargs, err, match):
    with pytest.raises(err, match=match):
        et.TripletRecipe(**(SETTINGS | kwargs))


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"recipe": et.TripletRecipe(**(SETTINGS | {"p": 9}))}, ValueError, r"p=9 identities"),
        ({"recipe": {"p": 3}}, TypeError, r"recipe must be a TripletRecipe, got dict"),
        ({"generator": 0}, TypeError, r"generator must be a torch.Generator or None"),
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
    with pytest.raises(ValueError, match=r"images must .*\(N, C, H, W\).*got .*\(32, 16, 16\)"):
        et.train_face_embedding(x[:, 0], y, **SMALL)
    with pytest.raises(TypeError, match=r"labels must be an integer tensor"):
        et.train_face_embedding(x, y.float(), **SMALL)
    with pytest.raises(TypeError, match=r"images must be uint8 \(0..255\) or float \(0..1\), got dtype torch.int32"):
        et.train_face_embedding(x.int(), y, **SMALL)
    et.train_face_embedding(x, y.to(torch.int32), **SMALL)  # any integer dtype is a label


# ----------------------------------------------------------------------------- cache
CACHED = {"recipe": RECIPE}


def test_load_or_train_caches_weights_and_history(faces, tmp_path, monkeypatch):
    x, y = faces
    r1 = et.load_or_train_face_embedding(x, y, seed=1, cache_dir=tmp_path, device="cpu", progress=False, **CACHED)
    files = list((tmp_path / "face_embedding").glob("*.safetensors"))
    assert len(files) == 1 and not r1.info["from_cache"] and r1.info["path"] == str(files[0])
    _, meta = cache.load_tensors(files[0])
    assert meta["history"]["step"] == [1, 2, 3, 4]

    def no_training(*args, **kwargs):
        raise AssertionError("trained although a cached file exists")

    monkeypatch.setattr(et, "train_face_embedding", no_training)
    r2 = et.load_or_train_face_embedding(x, y, seed=1, cache_dir=tmp_path, device="cpu", **CACHED)
    assert r2.info["from_cache"] and not r2.model.training
    for a, b in zip(r1.model.state_dict().values(), r2.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert r2.history.as_dict() == r1.history.as_dict()
    torch.testing.assert_close(ev.embed(r1.model, x), ev.embed(r2.model, x))
    # any change of seed, setting or data is a different key, hence a training run
    for change in ({"margin": 0.3}, {"squared": False}, {"budget": TrainingBudget(max_steps=5)}):
        with pytest.raises(AssertionError, match="trained although"):
            et.load_or_train_face_embedding(x, y, et.TripletRecipe(**(SETTINGS | change)), seed=1, cache_dir=tmp_path)
    with pytest.raises(AssertionError, match="trained although"):
        et.load_or_train_face_embedding(x, y, seed=2, cache_dir=tmp_path, **CACHED)
    with pytest.raises(AssertionError, match="trained although"):
        et.load_or_train_face_embedding(x[1:], y[1:], seed=1, cache_dir=tmp_path, **CACHED)
    with pytest.raises(AssertionError, match="trained although"):
        et.load_or_train_face_embedding(x, y, seed=1, cache_dir=tmp_path, retrain=True, **CACHED)
    with pytest.raises(AssertionError, match="trained although"):
        et.load_or_train_face_embedding(x, y, seed=1, cache_dir=tmp_path, held_out=(x[:4], y[:4]), **CACHED)


def test_a_damaged_cache_is_reported_once_and_retrained(faces, tmp_path, capsys):
    x, y = faces
    r1 = et.load_or_train_face_embedding(x, y, cache_dir=tmp_path, device="cpu", progress=False, **CACHED)
    path = tmp_path / "face_embedding" / r1.info["path"].rsplit("/", 1)[1]
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF  # a flipped byte in the weights: would load silently without the checksum
    path.write_bytes(bytes(data))
    capsys.readouterr()
    r2 = et.load_or_train_face_embedding(x, y, cache_dir=tmp_path, device="cpu", progress=False, **CACHED)
    assert capsys.readouterr().out.count("is damaged") == 1 and not r2.info["from_cache"]
    for a, b in zip(r1.model.state_dict().values(), r2.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)  # seeded: the retrained weights are the same
    assert et.load_or_train_face_embedding(x, y, cache_dir=tmp_path, device="cpu", **CACHED).info["from_cache"]


def test_load_or_train_default_cache_dir_follows_config(faces, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSEKIT_CACHE", str(tmp_path))
    x, y = faces
    recipe = et.TripletRecipe(budget=TrainingBudget(max_steps=1), p=2, k=2, width=4, embedding_dim=4)
    et.load_or_train_face_embedding(x, y, recipe, device="cpu", progress=False)
    assert len(list((tmp_path / "face_embedding").glob("*.safetensors"))) == 1


def test_load_or_train_rejects_bad_settings(faces, tmp_path):
    x, y = faces
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'generator'"):
        et.load_or_train_face_embedding(x, y, cache_dir=tmp_path, generator=torch.Generator())
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'epochs'"):
        et.load_or_train_face_embedding(x, y, cache_dir=tmp_path, epochs=3)
    with pytest.raises(TypeError, match=r"seed must be an int >= 0, got float 1.0"):
        et.load_or_train_face_embedding(x, y, cache_dir=tmp_path, seed=1.0)
    with pytest.raises(TypeError, match=r"recipe must be a TripletRecipe, got dict"):
        et.load_or_train_face_embedding(x, y, {"budget": 4}, cache_dir=tmp_path)
