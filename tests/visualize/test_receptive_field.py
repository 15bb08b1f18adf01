"""Tests for coursekit.visualize.receptive_field: the receptive-field arithmetic."""

import pytest
import torch
import torchvision
from torch import nn

from coursekit.visualize import (
    LayerSpec,
    ReceptiveField,
    format_receptive_fields,
    layer_specs,
    receptive_field,
    receptive_fields,
)
from coursekit.visualize.receptive_field import as_pair

from .nets import small_net


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
        receptive_field(small_net(), "nope")


def test_format_receptive_fields_skips_pointwise_rows():
    # layer 3 (k 3, dilation 2 -> k_eff 5, after a 2x2 pool): r = 4 + 4·2 = 12, n = 16 + 2 − 5 + 1
    lines = format_receptive_fields(receptive_fields(small_net(), 32)).splitlines()
    assert len(lines) == 1 + 5  # header, then layers 0, 2, 3, 6, 7: no ReLU/BN rows
    assert lines[3].split() == ["3", "14x14", "2", "12x12", "2.5"]
    assert lines[5].split() == ["7", "6x8", "4", "24x16", "6.5,2.5"]



def test_as_pair_reads_ints_and_pairs_and_rejects_the_rest():
    assert as_pair(3, "kernel", 1) == (3, 3)
    assert as_pair((2, 5), "kernel", 1) == (2, 5)
    assert as_pair([0, 1], "padding", 0) == (0, 1)
    with pytest.raises(TypeError, match=r"kernel must be an int or a pair of ints, got True"):
        as_pair(True, "kernel", 1)
    with pytest.raises(TypeError, match="kernel must be an int or a pair of ints, got 'ab'"):
        as_pair("ab", "kernel", 1)
    with pytest.raises(TypeError, match="kernel must be an int or a pair"):
        as_pair((1, 2, 3), "kernel", 1)
    with pytest.raises(ValueError, match=r"stride must be >= 1, got \(1, 0\)"):
        as_pair((1, 0), "stride", 1)
