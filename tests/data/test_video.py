import pytest
import torch
from skimage.transform import rotate

from coursekit.data.video import MOTIONS, OPPOSITE, make_motion_clips


def _centroids(clip):
    """Centre of mass (x, y) of every frame of a (1, T, H, W) clip, by explicit sums."""
    frames = clip[0].double()
    ys, xs = torch.meshgrid(torch.arange(frames.shape[1]), torch.arange(frames.shape[2]), indexing="ij")
    mass = frames.sum((1, 2))
    return (frames * xs).sum((1, 2)) / mass, (frames * ys).sum((1, 2)) / mass


def _best_rotation(a, b):
    """Angle (degrees, skimage's anticlockwise convention) that best turns frame a into frame b."""
    angles = range(-24, 25, 2)
    errors = [float(abs(torch.as_tensor(rotate(a.numpy(), ang)) - b).mean()) for ang in angles]
    return list(angles)[errors.index(min(errors))]


def test_shapes_dtype_range_and_balance():
    s = make_motion_clips(16, ("right", "left", "up", "down"), n_frames=6, size=20, seed=0)
    assert s.clips.shape == (16, 1, 6, 20, 20) and s.clips.dtype == torch.float32
    assert 0.0 <= s.clips.min() and s.clips.max() <= 1.0
    assert torch.bincount(s.labels, minlength=4).tolist() == [4, 4, 4, 4]
    assert s.classes == ["right", "left", "up", "down"] and len(s) == 16
    assert s.digits.min() >= 0 and s.digits.max() <= 9


def test_pairs_hold_the_same_frames_in_reverse_order_with_opposite_labels():
    s = make_motion_clips(24, MOTIONS, seed=2)
    for p in range(12):
        a, b = 2 * p, 2 * p + 1
        assert s.pair_ids[a] == s.pair_ids[b] == p
        assert torch.equal(s.clips[b], s.clips[a].flip(1))  # reversed in time, bit for bit
        assert s.classes[s.labels[b]] == OPPOSITE[s.classes[s.labels[a]]]
        # so the multiset of frames is identical: sorting frames by content gives the same stack
        fa = sorted(s.clips[a, 0].reshape(s.clips.shape[2], -1).tolist())
        fb = sorted(s.clips[b, 0].reshape(s.clips.shape[2], -1).tolist())
        assert fa == fb


def test_translation_clips_move_the_way_their_label_says():
    s = make_motion_clips(16, ("right", "left", "up", "down"), noise=0.0, seed=1)
    for clip, label in zip(s.clips, s.labels, strict=True):
        x, y = _centroids(clip)
        dx, dy = (x[1:] - x[:-1]), (y[1:] - y[:-1])
        name = s.classes[label]
        moving, still = (dx, dy) if name in ("right", "left") else (dy, dx)
        sign = 1 if name in ("right", "down") else -1  # image rows grow downwards
        assert (sign * moving > 0.5).all(), (name, moving)
        assert still.abs().max() < 0.3, (name, still)


def test_rotation_and_zoom_clips_match_their_label():
    s = make_motion_clips(8, ("cw", "ccw", "zoom_in", "zoom_out"), noise=0.0, seed=4)
    for clip, label in zip(s.clips, s.labels, strict=True):
        name, frames = s.classes[label], clip[0]
        if name in ("cw", "ccw"):
            angle = _best_rotation(frames[3], frames[4])
            assert (angle < -4) if name == "cw" else (angle > 4), (name, angle)
        else:
            ink = frames.sum((1, 2))
            grows = (ink[1:] > ink[:-1]).all()
            assert grows if name == "zoom_in" else (ink[1:] < ink[:-1]).all(), (name, ink)


def test_seed_makes_clips_reproducible_and_different_seeds_differ():
    a = make_motion_clips(4, seed=5)
    assert torch.equal(a.clips, make_motion_clips(4, seed=5).clips)
    assert not torch.equal(a.clips, make_motion_clips(4, seed=6).clips)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"motions": ("right",)}, ValueError, "at least 2 classes"),
        ({"motions": ("right", "spin")}, ValueError, "unknown motion 'spin'"),
        ({"motions": ("right", "up")}, ValueError, "'right' is there but 'left' is not"),
        ({"motions": "right"}, TypeError, "got the single str"),
        ({"n_clips": 3}, ValueError, "n_clips must be a positive multiple of len"),
        ({"n_frames": 1}, ValueError, "n_frames must be an int >= 2"),
        ({"size": 8}, ValueError, "size must be an int >= 16, got 8"),
        ({"noise": -0.1}, ValueError, r"noise must be a float in \[0, 1\)"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, exc, match):
    args = {"n_clips": 4, **kwargs}
    with pytest.raises(exc, match=match):
        make_motion_clips(args.pop("n_clips"), **args)
