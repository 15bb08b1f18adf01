"""generated_faces: layout, determinism, identity structure, validation."""

import pytest
import torch

from coursekit.data import ImageSet
from coursekit.data.generated_faces import generated_faces


def test_layout_like_olivetti():
    faces = generated_faces(4, 3, size=32)
    assert isinstance(faces, ImageSet)
    assert faces.images.shape == (12, 1, 32, 32) and faces.images.dtype == torch.uint8
    assert faces.labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert faces.classes == ["generated01", "generated02", "generated03", "generated04"]
    assert "not real data" in faces.source
    assert faces.images.float().std() > 20  # not blank


def test_same_seed_same_images_other_seed_other_images():
    assert torch.equal(generated_faces(2, 2, seed=1).images, generated_faces(2, 2, seed=1).images)
    assert not torch.equal(generated_faces(2, 2, seed=1).images, generated_faces(2, 2, seed=2).images)


def test_images_of_one_person_are_closer_than_images_of_two():
    # identity lives in the proportions: nearest-neighbour on raw pixels beats chance by far
    faces = generated_faces(10, 4, size=32)
    x = faces.float_images().flatten(1)
    d = torch.cdist(x, x).fill_diagonal_(float("inf"))
    nearest_same = (faces.labels[d.argmin(1)] == faces.labels).float().mean().item()
    assert nearest_same > 0.5  # chance is 3/39


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"n_people": 0}, ValueError, r"n_people must be >= 1, got 0"),
        ({"per_person": 2.5}, TypeError, r"per_person must be an int, got float"),
        ({"size": 8}, ValueError, r"size must be >= 16, got 8"),
    ],
)
def test_rejects_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match):
        generated_faces(**kwargs)
