"""coursekit.training.evaluation: batched embed, held-out pair distances, verification AUC, 2-D maps."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score

from coursekit.models.face_embedding import FaceEmbeddingNet
from coursekit.training import evaluation as ev


def test_embed_matches_direct_call_and_batches_do_not_matter():
    torch.manual_seed(0)
    net = FaceEmbeddingNet(8, width=4).eval()
    x = torch.randint(0, 256, (7, 1, 16, 16), dtype=torch.uint8)
    with torch.no_grad():
        direct = net(x.float() / 255)
    torch.testing.assert_close(ev.embed(net, x, batch_size=3), direct)
    torch.testing.assert_close(ev.embed(net, x.float() / 255), direct)
    net.train()
    ev.embed(net, x)
    assert net.training  # mode restored


def test_held_out_distances_and_auc_match_loops():
    g = torch.Generator().manual_seed(0)
    e = torch.randn(9, 3, generator=g)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2])
    d, same = ev.held_out_distances(e, y)
    ref_d, ref_same = [], []
    for i in range(9):
        for j in range(i + 1, 9):
            ref_d.append(float(np.linalg.norm(e[i].numpy() - e[j].numpy())))
            ref_same.append(bool(y[i] == y[j]))
    np.testing.assert_allclose(d.numpy(), ref_d, rtol=1e-5)
    assert same.tolist() == ref_same
    d2, _ = ev.held_out_distances(e, y, squared=True)
    np.testing.assert_allclose(d2.numpy(), np.square(ref_d), rtol=1e-5)
    assert ev.verification_auc(e, y) == pytest.approx(roc_auc_score(ref_same, -np.array(ref_d)))
    separated = torch.nn.functional.one_hot(y).float()
    assert ev.verification_auc(separated, y) == 1.0


def test_project_2d():
    e = torch.randn(30, 5, generator=torch.Generator().manual_seed(0))
    pca = ev.project_2d(e, "pca")
    ref = PCA(n_components=2, random_state=0).fit_transform(e.double().numpy())
    np.testing.assert_allclose(np.abs(pca), np.abs(ref), rtol=1e-6)  # up to the sign of each axis
    t1 = ev.project_2d(e, "tsne", generator=torch.Generator().manual_seed(0))
    t2 = ev.project_2d(e, "tsne", generator=torch.Generator().manual_seed(0))
    assert t1.shape == (30, 2) and np.array_equal(t1, t2)
    with pytest.raises(ValueError, match=r"method must be one of \('pca', 'tsne'\), got 'umap'"):
        ev.project_2d(e, "umap")
    with pytest.raises(ValueError, match=r"at least 3 rows"):
        ev.project_2d(e[:2])


def test_bad_input():
    with pytest.raises(TypeError, match="model must be an nn.Module, got str"):
        ev.embed("net", torch.zeros(1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"images must have shape \(N, C, H, W\)"):
        ev.embed(FaceEmbeddingNet(4, width=4), torch.zeros(1, 4, 4))
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        ev.embed(FaceEmbeddingNet(4, width=4), torch.zeros(1, 1, 16, 16), batch_size=0)
    with pytest.raises(ValueError, match="labels must have 3 entries"):
        ev.held_out_distances(torch.zeros(3, 2), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="embeddings must contain only finite values"):
        ev.held_out_distances(torch.full((3, 2), float("nan")), torch.tensor([0, 1, 0]))
    with pytest.raises(TypeError, match="squared must be True or False"):
        ev.held_out_distances(torch.zeros(3, 2), torch.tensor([0, 1, 0]), squared="yes")
    assert ev.as_float_images(torch.full((1, 1, 2, 2), 51, dtype=torch.uint8)).flatten().tolist() == pytest.approx([0.2] * 4)
    x = torch.rand(1, 1, 2, 2)
    assert ev.as_float_images(x) is x  # float images are already in [0, 1]
