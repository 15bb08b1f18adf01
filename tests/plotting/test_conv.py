import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from coursekit.plotting.conv import (  # noqa: E402
    plot_accuracy_curves,
    plot_clips,
    plot_conv3d_kernel,
    plot_signals,
    plot_token_activations,
)
from tests.plotting.seeded import GEN  # noqa: E402


def test_plot_clips_draws_one_panel_per_frame():
    clips = torch.rand(2, 1, 5, 8, 8, generator=GEN)
    fig = plot_clips(clips, ["right", "left"])
    assert len(fig.axes) == 10
    np.testing.assert_allclose(fig.axes[6].images[0].get_array(), clips[1, 0, 1].numpy())
    assert fig.axes[5].get_ylabel() == "left"
    plt.close(fig)


def test_plot_signals_marks_events_and_overlays_activations():
    x = torch.randn(2, 1, 64, generator=GEN)
    fig = plot_signals(x, fs=32.0, marks=[10, -1], activations=torch.rand(2, 16, generator=GEN), titles=["a", "b"])
    ax0 = fig.axes[0]
    np.testing.assert_allclose(ax0.lines[0].get_ydata(), x[0, 0].numpy())
    assert len(ax0.lines) == 2 and ax0.lines[1].get_xdata()[0] == pytest.approx(10 / 32)  # the event line
    plt.close(fig)


def test_token_activations_and_curves():
    ax = plot_token_activations(["a", "fine", "film"], torch.rand(4, 2, generator=GEN))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "fine"]
    ax2 = plot_accuracy_curves({"C3D": [0.6, 0.9], "frames": [0.5, 0.5]}, chance=0.5)
    assert len(ax2.lines) == 3
    plt.close("all")


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: plot_clips(torch.rand(2, 8, 8, generator=GEN)), r"clips must have shape \(N, 1, T, H, W\)"),
        (lambda: plot_clips(torch.rand(1, 3, 2, 8, 8, generator=GEN)), "clips must be grayscale"),
        (lambda: plot_clips(torch.rand(2, 2, 8, 8, generator=GEN), ["one"]), "one entry per clip"),
        (lambda: plot_signals(torch.rand(2, 2, 2, 2, generator=GEN)), r"signals must have shape \(N, 1, L\)"),
        (lambda: plot_signals(torch.rand(2, 9, generator=GEN), marks=[1]), "marks must have one entry per signal"),
        (lambda: plot_token_activations(["a"], torch.rand(2, 3, generator=GEN)), r"1 <= L' <= 1 tokens"),
        (lambda: plot_accuracy_curves({}), "curves must map run names"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_conv3d_kernel_draws_kernel_boxes_and_output_voxels_where_the_formula_puts_them():
    fig = plot_conv3d_kernel((14, 14, 14), (5, 5, 5), positions=[(0, 0, 0), (9, 2, 3)], out_channels=16)
    ax_in, ax_out = fig.axes
    assert len(ax_in.collections) == 1 + 2 and len(ax_out.collections) == 1 + 2   # volume + one box per position
    assert "14×14×14×1" in ax_in.get_title() and "5×5×5×1" in ax_in.get_title()
    assert "10×10×10×16" in ax_out.get_title()                                        # 14 - 5 + 1 = 10 per axis
    plt.close(fig)


def test_conv3d_kernel_box_faces_span_the_kernel():
    from coursekit.plotting.conv import _box_faces
    faces = _box_faces((3, 2, 9), (5, 4, 6))
    pts = np.concatenate(faces)
    assert len(faces) == 6
    np.testing.assert_array_equal(pts.min(0), [3, 2, 9])
    np.testing.assert_array_equal(pts.max(0), [8, 6, 15])


def test_conv3d_kernel_rejects_bad_input():
    with pytest.raises(ValueError, match=r"kernel\[0\] must be at most volume\[0\]=4, got 5"):
        plot_conv3d_kernel((4, 14, 14), (5, 5, 5))
    with pytest.raises(ValueError, match=r"positions\[1\]\[0\] must be at most volume - kernel = 9, got 10"):
        plot_conv3d_kernel((14, 14, 14), (5, 5, 5), positions=[(0, 0, 0), (10, 0, 0)])
    with pytest.raises(TypeError, match="volume must be a tuple of 3 ints"):
        plot_conv3d_kernel((14, 14), (5, 5, 5))
    with pytest.raises(ValueError, match=r"kernel\[2\]"):
        plot_conv3d_kernel((14, 14, 14), (5, 5, 0))
    with pytest.raises(TypeError, match="positions must be a non-empty sequence"):
        plot_conv3d_kernel(positions=[])
    plt.close("all")
