"""Tests for coursekit.visualize.patches: the input patch a unit sees."""

import pytest
import torch

from coursekit.visualize import (
    TopActivations,
    crop_box,
    crop_patches,
    receptive_field,
    top_k_activations,
)

from .nets import small_net


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
    net = small_net(3)
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
    net = small_net()
    images = torch.randn(3, 3, 16, 16)
    top = top_k_activations(net, [images], {"3": [0]}, k=2)["3"]
    with pytest.raises(ValueError, match=r"field is for a \(4, 4\) map but layer '3' gave a \(6, 6\) map"):
        crop_patches(images, top, receptive_field(net, "6", 16))
    with pytest.raises(ValueError, match="images has 2 images but 3 were streamed"):
        crop_patches(images[:2], top, receptive_field(net, "3", 16))
    with pytest.raises(TypeError, match="top must be a TopActivations"):
        crop_patches(images, {"values": 1}, receptive_field(net, "3", 16))
    assert isinstance(top, TopActivations)
