import pytest
import torch

from coursekit.data.video import make_motion_clips
from coursekit.models.c3d import C3DSmall, FrameCNN
from coursekit.training.classifier import accuracy, train_classifier


def test_output_shapes():
    x = torch.rand(2, 1, 8, 32, 32)
    assert C3DSmall(5)(x).shape == (2, 5)
    assert FrameCNN(5)(x).shape == (2, 5)
    assert C3DSmall(3, in_channels=3, widths=(4, 4, 8))(torch.rand(1, 3, 4, 16, 16)).shape == (1, 3)


def test_c3d_pools_space_but_keeps_time_in_the_first_block():
    m = C3DSmall(2, widths=(4, 8, 8))
    convs = [layer for layer in m.features if isinstance(layer, torch.nn.Conv3d)]
    assert all(c.kernel_size == (3, 3, 3) for c in convs)
    pools = [layer for layer in m.features if isinstance(layer, torch.nn.MaxPool3d)]
    assert pools[0].kernel_size == (1, 2, 2)
    out = m.features[:4](torch.rand(1, 1, 8, 16, 16))
    assert out.shape == (1, 4, 8, 8, 8)


def test_frame_cnn_equals_a_loop_over_frames_and_ignores_frame_order():
    torch.manual_seed(0)
    m = FrameCNN(3, widths=(4, 4, 8)).eval().double()
    x = torch.rand(2, 1, 5, 16, 16, dtype=torch.float64)
    per_frame = [m.features(x[:, :, t]).mean(dim=(2, 3)) for t in range(5)]  # one image at a time
    torch.testing.assert_close(m(x), m.fc(sum(per_frame) / 5))
    perm = torch.tensor([3, 0, 4, 2, 1])
    torch.testing.assert_close(m(x), m(x[:, :, perm]))


def test_c3d_sees_frame_order():
    torch.manual_seed(0)
    m = C3DSmall(2, widths=(4, 4, 8)).eval()
    x = torch.rand(2, 1, 6, 16, 16)
    assert not torch.allclose(m(x), m(x.flip(2)), atol=1e-4)


def test_per_frame_baseline_is_at_chance_on_reversed_pairs_and_c3d_learns_direction():
    tr = make_motion_clips(96, ("right", "left"), n_frames=6, size=16, seed=0)
    te = make_motion_clips(32, ("right", "left"), n_frames=6, size=16, seed=1)
    torch.manual_seed(0)
    frame = train_classifier(FrameCNN(2, widths=(4, 8, 8)), tr.clips, tr.labels, te.clips, te.labels,
                             n_epochs=2, batch_size=16, progress=False,
                             device="cpu", generator=torch.Generator().manual_seed(0))
    # both clips of a pair get the same prediction, so exactly one of the two is right
    assert frame.metrics["test_accuracy"] == 0.5
    torch.manual_seed(0)
    c3d = train_classifier(C3DSmall(2, widths=(4, 8, 8)), tr.clips, tr.labels, te.clips, te.labels,
                           n_epochs=4, batch_size=16, lr=3e-3, progress=False,
                           device="cpu", generator=torch.Generator().manual_seed(0))
    assert c3d.metrics["test_accuracy"] >= 0.9, c3d.history.eval_metrics
    assert accuracy(c3d.model, te.clips, te.labels) == c3d.metrics["test_accuracy"]


@pytest.mark.parametrize("cls", [C3DSmall, FrameCNN])
@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda cls: cls(2)(torch.rand(1, 8, 32, 32)), ValueError, r"clips of shape \(N, C, T, H, W\), got rank 4"),
        (lambda cls: cls(2)(torch.rand(1, 3, 8, 32, 32)), ValueError, "must have C = 1 channels"),
        (lambda cls: cls(2)(torch.zeros(1, 1, 8, 32, 32, dtype=torch.uint8)), TypeError, "must be a float tensor"),
        (lambda cls: cls(2)(torch.rand(1, 1, 8, 2, 2)), ValueError, "H, W >= 4"),
        (lambda cls: cls(1), ValueError, "n_classes must be an int >= 2, got 1"),
        (lambda cls: cls(2.5), TypeError, "n_classes must be an int >= 2, got float 2.5"),
        (lambda cls: cls(2, widths=(4, 8)), ValueError, "widths must be 3 ints"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(cls, call, exc, match):
    with pytest.raises(exc, match=match):
        call(cls)
