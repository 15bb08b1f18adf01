"""Tests for coursekit.style.objective: the fast J that transfer_style evaluates."""

import pytest
import torch

from coursekit.models.vgg import VGG19_LAYERS, vgg19_features
from coursekit.style.costs import content_cost, gram_matrix, gram_style_cost, total_variation
from coursekit.style.objective import StageObjective, _Bfloat16Conv, _Tap, normalized_gram

LAYOUTS = [torch.contiguous_format, torch.channels_last]


def _acts(seed, shape=(2, 5, 4, 3), layout=torch.contiguous_format):
    a = torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return a.contiguous(memory_format=layout)


def _reference(a):
    flat = a.flatten(-2)
    return flat @ flat.transpose(-1, -2) / (a.shape[-2] * a.shape[-1])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_normalized_gram_is_the_gram_matrix_over_n_h_n_w(layout):
    a = _acts(0, layout=layout)
    assert torch.allclose(normalized_gram(a), gram_matrix(a) / 12, rtol=1e-12, atol=0)
    # hand-computed: one channel of ones and one of twos over 3 positions
    a = torch.tensor([[[[1.0, 1.0, 1.0]], [[2.0, 2.0, 2.0]]]])
    assert normalized_gram(a).tolist() == [[[1.0, 2.0], [2.0, 4.0]]]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_normalized_gram_gradient_is_autograds(layout):
    """An asymmetric upstream gradient, so that both halves of (dG + dGᵀ) A matter."""
    a = _acts(1, layout=layout).requires_grad_(True)
    w = torch.randn(2, 5, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    (normalized_gram(a) * w).sum().backward()
    ours = a.grad.clone()
    a.grad = None
    (_reference(a) * w).sum().backward()
    assert torch.allclose(ours, a.grad, rtol=1e-10, atol=1e-12)
    assert torch.autograd.gradcheck(normalized_gram, (_acts(3, (1, 3, 2, 2), layout).requires_grad_(True),))


def test_normalized_gram_gradient_keeps_the_channels_last_layout():
    """The point of it: no layout conversion where the gradients meet in the network."""
    a = _acts(4, (1, 8, 6, 6), torch.channels_last).requires_grad_(True)
    normalized_gram(a).sum().backward()
    assert a.grad.is_contiguous(memory_format=torch.channels_last)
    b = _acts(4, (1, 8, 6, 6)).requires_grad_(True)
    normalized_gram(b).sum().backward()
    assert b.grad.is_contiguous()


@pytest.mark.parametrize("bad", [torch.ones(2, 3, 4), torch.ones(1, 2, 0, 3), [[1.0]]])
def test_normalized_gram_rejects_what_is_not_a_batch_of_activations(bad):
    with pytest.raises(ValueError, match=r"shape \(N, n_C, n_H, n_W\)"):
        normalized_gram(bad)


@pytest.fixture(scope="module")
def net():
    return vgg19_features(["relu1_1", "relu2_1"], weights="random", pool="avg",
                          generator=torch.Generator().manual_seed(0))


def _img(seed, h=16, w=16):
    return torch.rand(3, h, w, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("costs", ["content+style", "style", "content"])
@pytest.mark.parametrize("downstream", [True, False])
def test_tap_passes_a_on_and_its_gradient_is_autograds(layout, costs, downstream):
    """Value and gradient of (the next layer's loss, J_content, J_style) against the formulas
    through autograd, with and without a gradient coming back from the next layer."""
    a = _acts(7, (1, 4, 3, 5), layout)
    a_c = _acts(8, (1, 4, 3, 5), layout) if "content" in costs else None
    g_s = _reference(_acts(9, (1, 4, 3, 5))) if "style" in costs else None
    w = torch.randn(1, 4, 3, 5, generator=torch.Generator().manual_seed(10), dtype=torch.float64)

    def ours(x):
        out, jc, js = _Tap.apply(x, a_c, g_s)
        next_loss = (torch.relu(out) * w).sum() if downstream else 0.0  # a fresh gradient, as in VGG
        return next_loss + 3 * jc + 5 * js

    def reference(x):
        jc = 0.5 * (x - a_c).pow(2).sum() / x.numel() if a_c is not None else 0.0
        js = (_reference(x) - g_s).pow(2).sum() / (2 * 4) ** 2 if g_s is not None else 0.0
        return ((torch.relu(x) * w).sum() if downstream else 0.0) + 3 * jc + 5 * js

    x = a.clone().requires_grad_(True)
    value = ours(x)
    value.backward()
    y = a.clone().requires_grad_(True)
    want = reference(y)
    want.backward()
    assert value.item() == pytest.approx(want.item(), rel=1e-12)
    assert torch.allclose(x.grad, y.grad, rtol=1e-10, atol=1e-12)
    assert x.grad.is_contiguous(memory_format=layout)
    assert torch.autograd.gradcheck(ours, (a.clone().requires_grad_(True),))


def test_tap_costs_are_zero_where_it_has_no_target():
    a = _acts(11, (1, 2, 2, 2))
    out, jc, js = _Tap.apply(a, None, _reference(a))
    assert out is a or torch.equal(out, a)
    assert jc.item() == 0.0 and js.item() == 0.0


@pytest.mark.parametrize("content_layer", ["relu2_1", "relu1_1"])
def test_stage_objective_is_the_public_costs_value_and_gradient(net, content_layer):
    """relu2_1 is the deepest layer (no gradient from above); relu1_1 gets one from relu2_1."""
    content, style, image = _img(1), _img(2), _img(3)
    weights = {"relu1_1": 0.3, "relu2_1": 0.7}
    objective = StageObjective(net, content, style, content_layer, weights, alpha=3.0, beta=7.0, tv_weight=0.5)
    x = image.clone().requires_grad_(True)
    total, (jc, js, jt) = objective(x)
    total.backward()
    ours = x.grad.clone()

    y = image.clone().requires_grad_(True)
    with torch.no_grad():
        a_C, a_S = net(content[None]), net(style[None])
    a_G = net(y[None])
    ref_c = content_cost(a_C[content_layer], a_G[content_layer]) / a_G[content_layer].numel()
    n_hw = {k: a.shape[-2] * a.shape[-1] for k, a in a_G.items()}  # 16·16 and 8·8
    ref_s = sum(w * gram_style_cost(gram_matrix(a_S[k]) / n_hw[k], gram_matrix(a_G[k]) / n_hw[k])
                for k, w in weights.items())
    ref_t = total_variation(y) / y.numel()
    ref = 3 * ref_c + 7 * ref_s + 0.5 * ref_t
    ref.backward()
    for got, want in ((jc, ref_c), (js, ref_s), (jt, ref_t), (total, ref)):
        assert got.item() == pytest.approx(want.item(), rel=1e-5)
    assert torch.allclose(ours, y.grad, rtol=1e-4, atol=1e-7 * y.grad.abs().max().item())


def test_stage_objective_content_cost_is_zero_at_the_content_image(net):
    content = _img(5)
    objective = StageObjective(net, content, _img(6), "relu2_1", {"relu1_1": 1.0}, 1.0, 0.0, 0.0)
    total, (jc, _, jt) = objective(content)
    assert jc.item() == 0.0 and jt.item() == 0.0 and total.item() == 0.0


def test_stage_objective_runs_the_network_only_to_its_deepest_cost():
    deep = vgg19_features(["relu1_1", "relu3_1"], weights="random", generator=torch.Generator().manual_seed(0))
    calls = []
    deep.body[VGG19_LAYERS.index("relu3_1")].register_forward_hook(lambda *_: calls.append(1))
    objective = StageObjective(deep, _img(1), _img(2), "relu1_1", {"relu1_1": 1.0}, 1.0, 1.0, 0.0)
    x = _img(3).requires_grad_(True)
    total, _ = objective(x)
    total.backward()
    assert calls == [] and x.grad.abs().sum() > 0


def test_stage_objective_in_bfloat16_is_close_to_float32_and_switches_back(net):
    objective = StageObjective(net, _img(1), _img(2), "relu2_1", {"relu1_1": 0.3, "relu2_1": 0.7}, 3.0, 7.0, 0.5)

    def evaluate():
        x = _img(3).requires_grad_(True)
        total, _ = objective(x)
        total.backward()
        return total.item(), x.grad

    j32, g32 = evaluate()
    objective.bfloat16 = True
    j16, g16 = evaluate()
    assert j16 != j32 and j16 == pytest.approx(j32, rel=2e-2)  # rounded, not another function
    assert torch.nn.functional.cosine_similarity(g16.flatten(), g32.flatten(), dim=0) > 0.98
    convs = [m for m in objective._body_bf16 if isinstance(m, _Bfloat16Conv)]  # conv1_1, conv1_2, conv2_1
    assert len(convs) == 3 and all(m.conv.weight.dtype == torch.bfloat16 for m in convs)
    assert all(p.dtype == torch.float32 for p in net.parameters())  # a rounded copy: the network is untouched
    objective.bfloat16 = False
    j, g = evaluate()
    assert j == j32 and torch.equal(g, g32)
