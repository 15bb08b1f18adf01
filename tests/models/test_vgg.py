"""Tests for coursekit.models.vgg: layer names, truncation, weight loading, fallback, rescaling.

The ImageNet loading path is tested with a randomly initialised VGG-19 state dict saved into
a temporary TORCH_HOME under the exact file name torchvision expects; nothing downloads.
"""

import os
import sys

import pytest
import torch
import torchvision
from torch import nn

from coursekit.models import vgg


def _features_state_dict(seed: int = 0) -> dict:
    torch.manual_seed(seed)
    features = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs["E"])
    # torchvision's keys; the classifier (470 MB) is left out to keep the test small: the
    # extractor only reads "features.*"
    return {f"features.{k}": v for k, v in features.state_dict().items()}


@pytest.fixture(scope="module")
def torch_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("torch_home")
    checkpoints = home / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    name = os.path.basename(torchvision.models.VGG19_Weights.IMAGENET1K_V1.url)
    torch.save(_features_state_dict(), checkpoints / name)
    return home


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to reach the network")

    monkeypatch.setattr(vgg, "_can_download", refuse)
    monkeypatch.setattr(torch.hub, "download_url_to_file", refuse)


def test_layer_names_match_torchvision_features():
    features = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs["E"])
    assert len(vgg.VGG19_LAYERS) == len(features) == 37
    for name, module in zip(vgg.VGG19_LAYERS, features, strict=True):
        kind = {"conv": nn.Conv2d, "relu": nn.ReLU, "pool": nn.MaxPool2d}[name[:4]]
        assert isinstance(module, kind), name
    assert vgg.VGG19_LAYERS[22] == "relu4_2"


def test_weights_file_follows_torch_home(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert vgg.imagenet_weights_file() == tmp_path / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth"


def test_loads_imagenet_file_from_torch_cache(monkeypatch, torch_home, no_network):
    monkeypatch.setenv("TORCH_HOME", str(torch_home))
    net = vgg.vgg19_features(["relu2_1", "conv1_1"], weights="imagenet")
    assert net.is_pretrained and "ImageNet" in net.weights_source and str(torch_home) in net.weights_source
    assert net.layers == ("conv1_1", "relu2_1")  # network order
    assert len(net.body) == vgg.VGG19_LAYERS.index("relu2_1") + 1  # truncated after the last layer
    state = _features_state_dict()
    torch.testing.assert_close(net.body[5].weight, state["features.5.weight"])

    # reference: torchvision's layers with the same weights, on ImageNet-normalised input
    ref = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs["E"])
    ref.load_state_dict({k[len("features."):]: v for k, v in state.items()})
    x = torch.rand(2, 3, 20, 24, generator=torch.Generator().manual_seed(1))
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    h = (x - mean) / std
    with torch.no_grad():
        expected_conv = ref[0](h)
        expected_relu21 = ref[:7](h)
    out = net(x)
    torch.testing.assert_close(out["conv1_1"], expected_conv)  # not overwritten by the in-place ReLU
    torch.testing.assert_close(out["relu2_1"], expected_relu21)
    assert out["relu2_1"].shape == (2, 128, 10, 12)
    # "auto" uses the cached weights too, and rescale_ leaves pretrained weights alone
    auto = vgg.vgg19_features(["conv1_1"], weights="auto")
    before = auto.body[0].weight.clone()
    auto.rescale_([x])
    assert auto.is_pretrained and torch.equal(auto.body[0].weight, before)


def test_auto_falls_back_with_warning_when_not_cached(monkeypatch, tmp_path, no_network):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.warns(UserWarning, match="FALLBACK: no ImageNet VGG-19 weights"):
        net = vgg.vgg19_features(["relu1_1"], generator=torch.Generator().manual_seed(0))
    assert not net.is_pretrained and net.weights_source.startswith("FALLBACK")
    with pytest.raises(FileNotFoundError, match="allow_download=False"):
        vgg.vgg19_features(["relu1_1"], weights="imagenet")


def test_fallback_is_one_printed_line_in_a_notebook(monkeypatch, tmp_path, no_network, capsys, recwarn):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr(vgg, "_in_notebook", lambda: True)
    net = vgg.vgg19_features(["relu1_1"], generator=torch.Generator().manual_seed(0))
    captured = capsys.readouterr()
    assert captured.out == net.weights_source + "\n" and captured.out.startswith("FALLBACK")
    assert captured.err == "" and len(recwarn) == 0  # no warning: no red stderr box
    vgg.vgg19_features(["relu1_1"], announce=False)  # the caller prints weights_source itself
    assert capsys.readouterr().out == "" and len(recwarn) == 0
    with pytest.raises(TypeError, match="announce must be a bool, got str"):
        vgg.vgg19_features(["relu1_1"], announce="yes")


def test_in_notebook_looks_at_the_ipython_shell(monkeypatch):
    import types

    class ZMQInteractiveShell:  # the class name IPython's Jupyter kernel shell has
        pass

    class TerminalInteractiveShell:
        pass

    fake = types.ModuleType("IPython")
    monkeypatch.setitem(sys.modules, "IPython", fake)
    fake.get_ipython = lambda: ZMQInteractiveShell()
    assert vgg._in_notebook()
    fake.get_ipython = lambda: TerminalInteractiveShell()
    assert not vgg._in_notebook()
    fake.get_ipython = lambda: None  # IPython imported, no shell running
    assert not vgg._in_notebook()
    monkeypatch.delitem(sys.modules, "IPython")
    assert not vgg._in_notebook()


def test_random_weights_are_seeded_and_avg_pool():
    a = vgg.vgg19_features(["pool1"], weights="random", pool="avg", generator=torch.Generator().manual_seed(3))
    b = vgg.vgg19_features(["pool1"], weights="random", pool="avg", generator=torch.Generator().manual_seed(3))
    assert isinstance(a.body[4], nn.AvgPool2d)
    torch.testing.assert_close(a.body[2].weight, b.body[2].weight)
    assert not any(p.requires_grad for p in a.parameters())
    x = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(a(x)["pool1"], b(x)["pool1"])
    assert a(x)["pool1"].shape == (1, 64, 4, 4)


def test_rescale_gives_unit_variance_preactivations():
    net = vgg.vgg19_features(["conv1_1", "conv2_1"], weights="random", generator=torch.Generator().manual_seed(0))
    images = [torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(1)),
              torch.rand(1, 3, 12, 20, generator=torch.Generator().manual_seed(2))]
    net.rescale_(images)
    outs = [net(im) for im in images]
    for layer in ("conv1_1", "conv2_1"):
        y = torch.cat([o[layer].transpose(0, 1).flatten(1) for o in outs], dim=1)  # (C, all positions)
        torch.testing.assert_close(y.mean(dim=1), torch.zeros(y.shape[0]), atol=1e-4, rtol=0)
        torch.testing.assert_close(y.std(dim=1), torch.ones(y.shape[0]), atol=1e-3, rtol=0)


def test_gradients_flow_to_the_input():
    net = vgg.vgg19_features(["relu3_1"], weights="random", generator=torch.Generator().manual_seed(0))
    x = torch.rand(1, 3, 16, 16, requires_grad=True)
    net(x)["relu3_1"].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"unknown VGG-19 layer\(s\) \['conv6_1'\]"):
        vgg.vgg19_features(["conv6_1"], weights="random")
    with pytest.raises(ValueError, match="layers must be a non-empty list of layer names, got 'relu1_1'"):
        vgg.vgg19_features("relu1_1", weights="random")
    with pytest.raises(ValueError, match=r"weights must be one of \('auto', 'imagenet', 'random'\), got 'vgg'"):
        vgg.vgg19_features(["relu1_1"], weights="vgg")
    with pytest.raises(ValueError, match="pool must be 'max' or 'avg', got 'min'"):
        vgg.vgg19_features(["relu1_1"], weights="random", pool="min")
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None, got int"):
        vgg.vgg19_features(["relu1_1"], weights="random", generator=0)
    net = vgg.vgg19_features(["relu1_1"], weights="random")
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3, H, W\), got \(3, 8, 8\)"):
        net(torch.rand(3, 8, 8))
    with pytest.raises(ValueError, match=r"images\[1\] must have shape \(N, 3, H, W\), got \(1, 8, 8\)"):
        net.rescale_([torch.rand(1, 3, 8, 8), torch.rand(1, 8, 8)])
    with pytest.raises(ValueError, match="at least one"):
        net.rescale_([])
