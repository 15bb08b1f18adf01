import pytest
import torch

from coursekit.models import Conv4, conv_block


def test_conv_block_matches_hand_built_layers():
    torch.manual_seed(0)
    block = conv_block(2, 3).eval()
    x = torch.randn(1, 2, 6, 6)
    conv, bn = block[0], block[1]
    y = torch.nn.functional.conv2d(x, conv.weight, conv.bias, padding=1)
    y = (y - bn.running_mean[None, :, None, None]) / torch.sqrt(bn.running_var[None, :, None, None] + bn.eps)
    y = torch.relu(y * bn.weight[None, :, None, None] + bn.bias[None, :, None, None])
    ref = torch.stack([torch.stack([y[0, :, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2].amax((1, 2)) for j in range(3)], 1) for i in range(3)], 1)
    assert torch.allclose(block(x)[0], ref, atol=1e-6)


@pytest.mark.parametrize("train", [False, True])
def test_conv_block_pool_before_relu_is_the_textbook_block(train):
    """conv → BN → max-pool → ReLU equals conv → BN → ReLU → max-pool: value and gradient."""
    torch.manual_seed(0)
    block = conv_block(3, 5).double().train(train)
    textbook = torch.nn.Sequential(block[0], block[1], torch.nn.ReLU(), torch.nn.MaxPool2d(2))
    x = torch.randn(4, 3, 10, 10, dtype=torch.float64)
    ys, grads = [], []
    for net in (block, textbook):
        block.zero_grad()
        y = net(x)
        y.square().sum().backward()  # BN in train mode: both see the same batch statistics
        ys.append(y.detach())
        grads.append([p.grad.clone() for p in block.parameters()])
    assert torch.allclose(ys[0], ys[1], atol=1e-12) and (ys[0] == 0).any()
    assert all(torch.allclose(a, b, atol=1e-10) for a, b in zip(*grads, strict=True))


@pytest.mark.parametrize(("size", "dim"), [(28, 64), (32, 4 * 64), (48, 9 * 64), (105, 36 * 64)])
def test_conv4_embedding_shape(size, dim):
    net = Conv4().eval()
    assert net(torch.zeros(2, 1, size, size)).shape == (2, dim)
    assert net.embedding_dim(size) == dim


def test_conv4_options_dtype_and_gradients():
    net = Conv4(in_channels=3, hidden=8, n_blocks=2).double()
    x = torch.randn(4, 3, 8, 8, dtype=torch.float64, requires_grad=True)
    z = net(x)
    assert z.shape == (4, 8 * 2 * 2) and z.dtype == torch.float64
    z.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())


def test_conv4_bad_inputs():
    net = Conv4()
    with pytest.raises(ValueError, match=r"x must have shape \(N, 1, H, W\), got \(2, 3, 28, 28\)"):
        net(torch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match=r"at least 16×16 for 4 blocks, got \(8, 8\)"):
        net(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match="n_blocks must be an int >= 1, got 0"):
        Conv4(n_blocks=0)
    with pytest.raises(ValueError, match="out_channels must be an int >= 1"):
        conv_block(1, 0)
