"""Tests for coursekit.visualize: receptive fields, hooks, streaming top-k, patches, maximisation."""

import pytest
import torch
import torch.nn.functional as F
import torchvision
from torch import nn
from torchvision.models.vgg import cfgs, make_layers

from coursekit.visualize import (
    LayerSpec,
    ReceptiveField,
    TopActivations,
    crop_box,
    crop_patches,
    feature_maps,
    format_receptive_fields,
    get_layer,
    layer_activations,
    layer_specs,
    maximize_activation,
    measure_receptive_field,
    measure_receptive_fields,
    receptive_field,
    receptive_field_by_gradient,
    receptive_fields,
    top_k_activations,
)


def _small_net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 8, 3, dilation=2, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
        nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), nn.Conv2d(8, 5, (3, 1)),
    ).eval()


def _hooks_left(model):
    return sum(len(m._forward_hooks) for m in model.modules())


# ---------------------------------------------------------------- receptive-field arithmetic

def test_recurrence_matches_hand_computed_chain():
    # conv3/1 p0: r=3 j=1 c=1; pool2/2: r=4 j=2 c=1.5; conv3 d2 p2 (k_eff 5): r=4+4·2=12, j=2,
    # c=1.5+(2−2)·2=1.5; conv (3,1)/ (2,1): r=(16,12), j=(4,2), c=(3.5,1.5)
    specs = [LayerSpec("a", 3), LayerSpec("b", 2, 2, kind="maxpool"), LayerSpec("c", 3, 1, 2, 2),
             LayerSpec("d", (3, 1), (2, 1))]
    rfs = receptive_fields(specs, input_size=(20, 11))
    assert [rf.size for rf in rfs] == [(3, 3), (4, 4), (12, 12), (16, 12)]
    assert [rf.jump for rf in rfs] == [(1, 1), (2, 2), (2, 2), (4, 2)]
    assert [rf.start for rf in rfs] == [(1, 1), (1.5, 1.5), (1.5, 1.5), (3.5, 1.5)]
    # n: 20 -> 18 -> 9 -> 9 (9+4−5+1) -> 4 ;  11 -> 9 -> 4 -> 4 -> 4
    assert [rf.out_size for rf in rfs] == [(18, 9), (9, 4), (9, 4), (4, 4)]
    # unit (1, 2) of the last layer: top = 3.5 + 4 − 7.5 = 0, left = 1.5 + 4 − 5.5 = 0
    assert rfs[-1].box(1, 2) == (0, 0, 16, 12)


def test_ceil_mode_and_dicts():
    rfs = receptive_fields([{"kernel": 3, "stride": 2, "ceil_mode": True, "kind": "maxpool"}], 8)
    assert rfs[0].out_size == (4, 4)  # ceil((8 − 3)/2) + 1; floor would give 3
    assert rfs[0].name == "layer0"


def test_vgg16_conv5_3_sees_196_pixels():
    with torch.device("meta"):  # no download, no memory: the geometry only
        vgg = torchvision.models.vgg16(weights=None)
    rf = receptive_field(vgg, "features.28", 224)  # conv5_3
    assert rf.size == (196, 196) and rf.jump == (16, 16) and rf.start == (7.5, 7.5)
    assert rf.out_size == (14, 14)
    assert receptive_field(vgg, "features.29", 224) == ReceptiveField("features.29", *(
        rf.size, rf.jump, rf.start, rf.out_size))  # its ReLU: same field
    assert receptive_field(vgg, "features.30", 224).size == (212, 212)  # pool5
    assert [s.kind for s in layer_specs(vgg)][:3] == ["conv", "pointwise", "conv"]
    assert len(layer_specs(vgg)) == 31  # stops at the adaptive average pool


def _thin_vgg16():
    cfg = [v if v == "M" else v // 32 for v in cfgs["D"]]  # VGG-16's layers, 1/32 of its channels
    torch.manual_seed(0)
    return make_layers(cfg)


def test_backprojection_matches_arithmetic_on_vgg16():
    net = _thin_vgg16()
    rf = receptive_field(net, "28", 224)
    assert rf.size == (196, 196)
    assert receptive_field_by_gradient(net, "28", 224) == rf.box(7, 7) == (22, 22, 218, 218)
    # a corner unit's box is clipped by the border the same way
    top, left, bottom, right = rf.box(0, 13)
    assert receptive_field_by_gradient(net, "28", 224, (0, 13)) == (max(top, 0), max(left, 0),
                                                                   min(bottom, 224), min(right, 224))


def test_measured_field_equals_arithmetic_with_dilation_padding_and_pools():
    net = _small_net()
    measured = measure_receptive_fields(net, ["0", "2", "3", "6", "7"], 64)  # one pass for all
    for layer, got in measured.items():
        expected = receptive_field(net, layer)
        assert (got.size, got.jump, got.start) == (expected.size, expected.jump, expected.start), layer
    assert measure_receptive_field(net, "6", 64) == measured["6"]
    with pytest.raises(ValueError, match="layers must be a non-empty list"):
        measure_receptive_fields(net, [], 64)


class _Residual(nn.Module):
    """Functional ReLU and max pool, and a skip path: what module replacement would miss."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 5, stride=2)
        self.a = nn.Conv2d(4, 4, 3, padding=1)
        self.b = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        x = F.max_pool2d(F.relu(-self.conv1(x)), 3, 2)  # negated: ReLU is zero almost everywhere
        return F.relu(x + self.b(F.relu(self.a(x))))


def test_measured_field_on_a_residual_net_follows_its_longest_path():
    main_path = [LayerSpec("conv1", 5, 2), LayerSpec("pool", 3, 2, kind="maxpool"),
                 LayerSpec("a", 3, 1, 1), LayerSpec("b", 3, 1, 1)]
    expected = receptive_fields(main_path)[-1]  # r = 5 + 2·2 + 2·4 + 2·4 = 25, j = 4
    got = measure_receptive_field(_Residual(), "b", 80, in_channels=1)
    assert (got.size, got.jump, got.start) == ((25, 25), (4, 4), (expected.start))


def test_receptive_field_errors():
    with pytest.raises(TypeError, match="LSTM.*geometry is unknown"):
        layer_specs(nn.Sequential(nn.Conv2d(1, 1, 3), nn.LSTM(2, 2)))
    with pytest.raises(ValueError, match="smaller than its effective kernel 5"):
        receptive_fields([LayerSpec("c", 3, dilation=2)], 4)
    with pytest.raises(ValueError, match="stride must be >= 1, got 0"):
        LayerSpec("c", 3, stride=0)
    with pytest.raises(TypeError, match="kernel must be an int or a pair"):
        LayerSpec("c", (3, 3, 3))
    with pytest.raises(ValueError, match="'nope' is not among the layers"):
        receptive_field(_small_net(), "nope")
    with pytest.raises(ValueError, match="reaches the border.*larger input_size"):
        measure_receptive_field(_small_net(), "7", 20)
    with pytest.raises(ValueError, match=r"unit must lie in the 6x6 map"):
        receptive_field_by_gradient(_small_net(), "3", 16, (6, 0))


def test_format_receptive_fields_skips_pointwise_rows():
    # layer 3 (k 3, dilation 2 -> k_eff 5, after a 2x2 pool): r = 4 + 4·2 = 12, n = 16 + 2 − 5 + 1
    lines = format_receptive_fields(receptive_fields(_small_net(), 32)).splitlines()
    assert len(lines) == 1 + 5  # header, then layers 0, 2, 3, 6, 7: no ReLU/BN rows
    assert lines[3].split() == ["3", "14x14", "2", "12x12", "2.5"]
    assert lines[5].split() == ["7", "6x8", "4", "24x16", "6.5,2.5"]


# ---------------------------------------------------------------- hooks

def test_layer_activations_equal_the_sliced_sequential_and_hooks_are_removed():
    net, x = _small_net(), torch.randn(2, 3, 16, 16)
    acts = layer_activations(net, x, ["2", "5"])
    torch.testing.assert_close(acts["2"], net[:3](x))
    torch.testing.assert_close(acts["5"], net[:6](x))
    assert _hooks_left(net) == 0
    maps = feature_maps(net, x[0], "3")
    torch.testing.assert_close(maps, net[:4](x[:1])[0])
    assert _hooks_left(net) == 0


def test_unknown_layer_name_lists_close_matches():
    net = nn.Sequential()
    net.add_module("conv1", nn.Conv2d(1, 1, 3))
    with pytest.raises(ValueError, match=r"unknown layer name 'conv_1'.*close matches: \['conv1'\]"):
        get_layer(net, "conv_1")
    with pytest.raises(ValueError, match="unknown layer name 'fc'"):
        top_k_activations(net, [torch.randn(2, 1, 5, 5)], {"fc": [0]}, k=1)
    with pytest.raises(ValueError, match=r"shape \(C, H, W\) or \(1, C, H, W\)"):
        feature_maps(net, torch.randn(2, 1, 5, 5), "conv1")


# ---------------------------------------------------------------- streaming top-k

def _topk_bruteforce(net, images, layer, units, k):
    """One image and one unit at a time: the maximum over positions, then sort all images."""
    maps = [layer_activations(net, images[n:n + 1], [layer])[layer][0] for n in range(len(images))]
    rows = []
    for u in units:
        scored = []
        for n, a in enumerate(maps):
            best = (float("-inf"), n, -1, -1)
            for i in range(a.shape[1]):
                for j in range(a.shape[2]):
                    if float(a[u, i, j]) > best[0]:
                        best = (float(a[u, i, j]), n, i, j)
            scored.append(best)
        rows.append(sorted(scored, key=lambda t: -t[0])[:k])
    return rows


@pytest.mark.parametrize("layer,units", [("3", [0, 5, 7]), ("7", None)])
def test_top_k_matches_brute_force(layer, units):
    net = _small_net(1)
    images = torch.randn(23, 3, 20, 20, generator=torch.Generator().manual_seed(2))
    labels = torch.zeros(23, dtype=torch.long)
    batches = ((images[i:i + 5], labels[i:i + 5]) for i in range(0, 23, 5))  # last batch has 3
    top = top_k_activations(net, batches, {layer: units}, k=4)[layer]
    chosen = units if units is not None else list(range(5))
    expected = _topk_bruteforce(net, images, layer, chosen, 4)
    assert top.units.tolist() == chosen and top.n_images == 23 and top.values.shape == (len(chosen), 4)
    for u, row in enumerate(expected):
        torch.testing.assert_close(top.values[u], torch.tensor([r[0] for r in row]))
        assert top.image_index[u].tolist() == [r[1] for r in row]
        assert top.row[u].tolist() == [r[2] for r in row]
        assert top.col[u].tolist() == [r[3] for r in row]
    assert _hooks_left(net) == 0


def test_top_k_on_a_linear_layer_with_preprocess_keeps_the_model_mode():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(12, 4)).train()
    images = torch.randint(0, 256, (9, 3, 2, 2), dtype=torch.uint8)
    top = top_k_activations(net, [images[:4], images[4:]], {"1": [2]}, k=9,
                            preprocess=lambda x: x.float() / 255)["1"]
    scores = net(images.float() / 255)[:, 2].detach()
    assert top.image_index[0].tolist() == scores.argsort(descending=True).tolist()
    assert top.map_size == (1, 1) and net.training


def test_top_k_bad_input_and_hooks_removed_after_errors():
    net = _small_net()
    batches = [torch.randn(3, 3, 16, 16)]
    with pytest.raises(ValueError, match=r"unit index 8 is out of range for layer '3', which has 8 channels"):
        top_k_activations(net, batches, {"3": [1, 8]}, k=2)
    assert _hooks_left(net) == 0
    with pytest.raises(ValueError, match=r"k=4 is larger than the number of images in the data set \(3\)"):
        top_k_activations(net, batches, {"3": [1]}, k=4)
    with pytest.raises(ValueError, match="k must be an int >= 1, got 0"):
        top_k_activations(net, batches, {"3": [1]}, k=0)
    with pytest.raises(ValueError, match=r"units\['3'\] is empty"):
        top_k_activations(net, batches, {"3": []}, k=1)
    with pytest.raises(ValueError, match="produced NaN activations for images 0..2"):
        top_k_activations(net, [torch.full((3, 3, 16, 16), float("nan"))], {"0": [0]}, k=1)
    with pytest.raises(TypeError, match="each batch must be a tensor"):
        top_k_activations(net, [[[1.0]]], {"0": [0]}, k=1)
    assert _hooks_left(net) == 0


# ---------------------------------------------------------------- patches

def test_crop_box_inside_and_across_the_border():
    image = torch.arange(2 * 5 * 6, dtype=torch.float32).reshape(2, 5, 6)
    patch, valid = crop_box(image, (1, 2, 4, 5))
    torch.testing.assert_close(patch, image[:, 1:4, 2:5])
    assert valid.all()
    patch, valid = crop_box(image, (-2, 4, 3, 8), fill=-1)  # 2 rows above, 2 columns right
    assert patch.shape == (2, 5, 4)
    torch.testing.assert_close(patch[:, 2:, :2], image[:, 0:3, 4:6])
    assert (patch[:, :2] == -1).all() and (patch[:, :, 2:] == -1).all()
    assert valid.sum() == 6 and valid[2:, :2].all()
    with pytest.raises(ValueError, match=r"box must have bottom > top"):
        crop_box(image, (3, 0, 3, 2))


def test_crop_patches_follows_the_receptive_field_and_marks_the_border():
    net = _small_net(3)
    images = torch.randint(0, 256, (7, 3, 16, 16), dtype=torch.uint8)
    top = top_k_activations(net, [images], {"3": [0, 1]}, k=7, preprocess=lambda x: x.float())["3"]
    rf = receptive_field(net, "3", 16)
    patches = crop_patches(images, top, rf, fill=0)
    assert patches.images.shape == (2, 7, 3, 12, 12) and patches.images.dtype == torch.uint8
    for u in range(2):
        for i in range(7):
            top_, left, bottom, right = rf.box(int(top.row[u, i]), int(top.col[u, i]))
            assert patches.boxes[u, i].tolist() == [top_, left, bottom, right]
            # the valid part equals the image, pixel by pixel
            for y in range(top_, bottom):
                for x in range(left, right):
                    inside = 0 <= y < 16 and 0 <= x < 16
                    assert bool(patches.valid[u, i, y - top_, x - left]) == inside
                    if inside:
                        assert torch.equal(patches.images[u, i, :, y - top_, x - left],
                                           images[top.image_index[u, i], :, y, x])
    assert not patches.valid.all()  # a 12-pixel field on a 6x6 map of a 16-pixel image: borders


def test_crop_patches_rejects_a_field_of_another_layer():
    net = _small_net()
    images = torch.randn(3, 3, 16, 16)
    top = top_k_activations(net, [images], {"3": [0]}, k=2)["3"]
    with pytest.raises(ValueError, match=r"field is for a \(4, 4\) map but layer '3' gave a \(6, 6\) map"):
        crop_patches(images, top, receptive_field(net, "6", 16))
    with pytest.raises(ValueError, match="images has 2 images but 3 were streamed"):
        crop_patches(images[:2], top, receptive_field(net, "3", 16))
    with pytest.raises(TypeError, match="top must be a TopActivations"):
        crop_patches(images, {"values": 1}, receptive_field(net, "3", 16))
    assert isinstance(top, TopActivations)


# ---------------------------------------------------------------- activation maximisation

def test_maximisation_of_a_linear_unit_recovers_its_filter():
    # a = w·x at the centre; ascent with decay converges to x − m ∝ w (no jitter, no blur)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 2, 5, bias=False))
    image, history = maximize_activation(net, "0", 1, 5, steps=80, lr=0.05, jitter=0, blur_every=0,
                                         decay=0.2, value_range=None)
    w = net[0].weight[1].detach()
    cosine = F.cosine_similarity(image.flatten(), w.flatten(), dim=0)
    assert cosine > 0.999
    assert history[-1] > history[0]


def test_maximisation_raises_the_unit_and_is_seeded():
    net = _small_net(4)
    args = dict(steps=25, generator=None)
    a, hist = maximize_activation(net, "3", 2, 24, **args)
    b, _ = maximize_activation(net, "3", 2, 24, **args)
    assert torch.equal(a, b) and a.shape == (3, 24, 24)
    assert 0 <= float(a.min()) and float(a.max()) <= 1
    noise = torch.rand(8, 3, 24, 24, generator=torch.Generator().manual_seed(1))
    assert layer_activations(net, a[None], ["3"])["3"][0, 2].mean() > \
        layer_activations(net, noise, ["3"])["3"][:, 2].mean(dim=(1, 2)).max()
    assert hist[-1] > hist[0]


def test_maximisation_bad_input():
    net = _small_net()
    with pytest.raises(ValueError, match="unit 9 is out of range for layer '3', which has 8 channels"):
        maximize_activation(net, "3", 9, 16, steps=1)
    with pytest.raises(ValueError, match=r"location must lie in the 6x6 map of layer '3', got \(6, 0\)"):
        maximize_activation(net, "3", 0, 16, steps=1, location=(6, 0))
    with pytest.raises(ValueError, match="need steps >= 1"):
        maximize_activation(net, "3", 0, 16, steps=0)
    with pytest.raises(ValueError, match="unknown layer name"):
        maximize_activation(net, "99", 0, 16)
    assert _hooks_left(net) == 0
