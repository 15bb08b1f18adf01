"""FaceEmbeddingNet: shapes, unit norm, channels, learning, validation."""

import pytest
import torch

from coursekit.losses import batch_all_triplet_loss
from coursekit.models.face_embedding import FaceEmbeddingNet


@pytest.mark.parametrize(("channels", "size", "dim"), [(1, 64, 32), (3, 64, 128), (3, 40, 16), (1, 16, 8)])
def test_output_shape_and_unit_norm(channels, size, dim):
    torch.manual_seed(0)
    net = FaceEmbeddingNet(embedding_dim=dim, in_channels=channels, width=8)
    for mode in (net.train, net.eval):
        mode()
        out = net(torch.rand(5, channels, size, size))
        assert out.shape == (5, dim) and out.dtype == torch.float32
        torch.testing.assert_close(out.norm(dim=1), torch.ones(5))


def test_float64_and_batch_independence_in_eval_mode():
    torch.manual_seed(0)
    net = FaceEmbeddingNet(embedding_dim=16, width=8).double().eval()
    x = torch.rand(6, 1, 32, 32, dtype=torch.float64)
    full = net(x)
    assert full.dtype == torch.float64
    torch.testing.assert_close(full[2:3], net(x[2:3]))  # eval mode: no batch statistics


def test_a_few_triplet_steps_separate_two_identities():
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    a, b = torch.rand(1, 1, 16, 16, generator=g), torch.rand(1, 1, 16, 16, generator=g)
    x = torch.cat([a + 0.3 * torch.randn(4, 1, 16, 16, generator=g), b + 0.3 * torch.randn(4, 1, 16, 16, generator=g)])
    y = torch.tensor([0] * 4 + [1] * 4)
    net = FaceEmbeddingNet(embedding_dim=8, width=4)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    first = None
    for _ in range(15):
        loss, _ = batch_all_triplet_loss(y, net(x), margin=1.0)
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    e = net(x)
    d = torch.cdist(e, e)
    assert d[:4, 4:].min() > d[:4, :4].max()  # every different pair farther than every same pair
    assert first > 0 and loss.item() < first


def test_parameter_count_is_small():
    n = sum(p.numel() for p in FaceEmbeddingNet().parameters())
    assert 100_000 < n < 1_000_000


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"embedding_dim": 0}, ValueError, r"embedding_dim must be an int >= 1, got 0"),
        ({"in_channels": 2.0}, TypeError, r"in_channels must be an int >= 1, got float"),
        ({"width": True}, TypeError, r"width must be an int >= 1, got bool"),
    ],
)
def test_rejects_bad_construction(kwargs, err, match):
    with pytest.raises(err, match=match):
        FaceEmbeddingNet(**kwargs)


def test_rejects_bad_input():
    net = FaceEmbeddingNet(embedding_dim=8, width=4)
    with pytest.raises(ValueError, match=r"x must have 1 channel\(s\) \(in_channels=1\), got shape \(2, 3, 32, 32\)"):
        net(torch.rand(2, 3, 32, 32))
    with pytest.raises(ValueError, match=r"shape \(N, 1, H, W\), got \(1, 32, 32\)"):
        net(torch.rand(1, 32, 32))
    with pytest.raises(TypeError, match=r"float tensor .* got torch.uint8"):
        net(torch.zeros(2, 1, 32, 32, dtype=torch.uint8))
    with pytest.raises(ValueError, match=r"at least 16×16 pixels, got \(8, 8\)"):
        net(torch.rand(2, 1, 8, 8))


def test_channels_last_layout_is_the_same_function_as_the_default_layout():
    torch.manual_seed(0)
    net = FaceEmbeddingNet(embedding_dim=16, width=8).double()
    assert net.features[0][0].weight.is_contiguous(memory_format=torch.channels_last)
    plain = FaceEmbeddingNet(embedding_dim=16, width=8).double()
    plain.load_state_dict(net.state_dict())
    plain.to(memory_format=torch.contiguous_format)
    assert net.features[0][0].weight.is_contiguous(memory_format=torch.channels_last)  # load kept the layout
    assert plain.features[0][0].weight.is_contiguous()
    x = torch.rand(5, 1, 40, 40, dtype=torch.float64)
    for mode in ("train", "eval"):
        getattr(net, mode)(), getattr(plain, mode)()
        features = plain.features(x)  # default layout all the way: the reference
        assert features.is_contiguous()
        reference = torch.nn.functional.normalize(plain.head(features.flatten(1)), dim=1)
        torch.testing.assert_close(net(x), reference, rtol=0, atol=1e-12)
