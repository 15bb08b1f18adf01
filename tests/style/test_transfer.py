"""Tests for coursekit.style.transfer: the optimiser of J(G), on tiny images and a tiny network."""

import pytest
import torch

from coursekit.models.vgg import vgg19_features
from coursekit.style.costs import content_cost, layer_style_cost, total_variation
from coursekit.style.transfer import (
    _RESTART_AFTER,
    _RESTART_RISE,
    TransferHistory,
    _in_range,
    _run_stage,
    resize_image,
    shuffle_patches,
    transfer_style,
)

LAYERS = {"relu1_1": 0.5, "relu2_1": 0.5}


def _img(h, w, seed):
    return torch.rand(3, h, w, generator=torch.Generator().manual_seed(seed))


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """16-px images: thread start-up costs more than the work (36 s vs 2 s on a busy 2-core box)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def net():
    return vgg19_features(["relu1_1", "relu2_1"], weights="random", pool="avg",
                          generator=torch.Generator().manual_seed(0))


def _run(net, **kw):
    args = dict(extractor=net, content_layer="relu2_1", style_layers=LAYERS, schedule=[(16, 12)],
                progress=False, generator=torch.Generator().manual_seed(0))
    args.update(kw)
    return transfer_style(_img(16, 16, 1), _img(20, 16, 2), **args)


def test_objective_is_the_coursekit_costs(net):
    """The first evaluation's parts equal coursekit.style's costs computed by hand."""
    content, style = _img(16, 16, 1), _img(16, 16, 2)
    _, hist = transfer_style(content, style, extractor=net, content_layer="relu2_1", style_layers=LAYERS,
                             init="random", alpha=3.0, beta=7.0, tv_weight=0.5, schedule=[(16, 1)],
                             optimizer="adam", progress=False, generator=torch.Generator().manual_seed(5))
    G = torch.rand(3, 16, 16, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        a_C, a_S, a_G = net(content[None]), net(style[None]), net(G[None])
    jc = content_cost(a_C["relu2_1"], a_G["relu2_1"]).item() / a_G["relu2_1"].numel()
    js = sum(w * layer_style_cost(a_S[k], a_G[k]).item() for k, w in LAYERS.items())
    jt = total_variation(G).item() / G.numel()
    assert hist.content[0] == pytest.approx(jc, rel=1e-5)
    assert hist.style[0] == pytest.approx(js, rel=1e-5)
    assert hist.tv[0] == pytest.approx(jt, rel=1e-5)
    assert hist.total[0] == pytest.approx(3 * jc + 7 * js + 0.5 * jt, rel=1e-5)


def test_lbfgs_counts_every_evaluation_and_decreases(net):
    calls = []
    handle = net.body[0].register_forward_hook(lambda *args: calls.append(1))  # the first convolution
    try:
        image, hist = _run(net, rtol=0.0)
    finally:
        handle.remove()
    assert isinstance(hist, TransferHistory) and image.shape == (3, 16, 16)
    assert len(hist) == hist.evaluation[-1] == len(calls) - 2  # 2 passes compute C's and S's targets
    assert len(hist) == 12  # the budget exactly, none beyond it
    assert hist.content[0] == 0.0  # init="content"
    assert min(hist.total) < hist.total[0]
    assert 0.0 <= image.min() and image.max() <= 1.0


def test_lbfgs_does_not_stop_after_one_evaluation_when_costs_are_tiny(net):
    # with PyTorch's default tolerances (1e-7 on the gradient) L-BFGS would stop at once here
    _, hist = _run(net, alpha=1e-9, beta=1e-9, rtol=0.0)
    assert len(hist) >= 12
    assert hist.total[-1] < hist.total[0]


def test_coarse_to_fine_schedule_sizes_and_snapshots(net):
    image, hist = _run(net, schedule=[(16, 6), (24, 4)], snapshot_every=3, optimizer="adam", rtol=0.0)
    assert image.shape == (3, 24, 24)
    assert hist.size == [16] * 6 + [24] * 4
    steps = [n for n, _ in hist.snapshots]
    assert steps == [3, 6, 6, 9, 10]  # every 3 evaluations, plus the end of each stage
    assert hist.snapshots[1][1].shape == (3, 16, 16) and hist.snapshots[-1][1].shape == (3, 24, 24)
    torch.testing.assert_close(hist.snapshots[-1][1], image)
    assert hist.seconds == sorted(hist.seconds)
    assert "random" in hist.weights_source


@pytest.mark.parametrize("optimizer", ["adam", "gd"])
def test_first_order_optimisers_decrease_and_keep_range(net, optimizer):
    image, hist = _run(net, optimizer=optimizer, init="random", lr=0.05, rtol=0.0)
    assert len(hist) == 12
    assert hist.total[-1] < hist.total[0]
    assert 0.0 <= image.min() and image.max() <= 1.0


def test_inits_and_target_cost(net):
    _, random_hist = _run(net, init="random", schedule=[(16, 1)], optimizer="gd")
    _, noisy_hist = _run(net, init="content+noise", noise=0.2, schedule=[(16, 1)], optimizer="gd")
    assert random_hist.content[0] > noisy_hist.content[0] > 0.0
    _, full = _run(net, init="random", rtol=0.0, schedule=[(16, 30)])
    target = full.total[len(full) // 2]
    _, stopped = _run(net, init="random", rtol=0.0, schedule=[(16, 30)], target_cost=target)
    assert len(stopped) < len(full) and min(stopped.total) <= target


def test_in_range_clamps_values_and_passes_the_gradient_through():
    x = torch.tensor([-0.5, 0.0, 0.3, 1.0, 1.7], requires_grad=True)
    y = _in_range(x)
    assert y.tolist() == pytest.approx([0.0, 0.0, 0.3, 1.0, 1.0])
    (y * torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]  # clamp's own gradient would zero the ends


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_result_is_the_best_evaluated_image_and_in_range(net, optimizer):
    # a saturated (0/1) content image: steps push pixels out of [0, 1] at once
    content = (_img(16, 16, 1) > 0.5).float()
    image, hist = transfer_style(content, _img(16, 16, 2), extractor=net, content_layer="relu2_1",
                                 style_layers=LAYERS, beta=1e3, schedule=[(16, 15)], optimizer=optimizer,
                                 lr=0.3, rtol=0.0, progress=False)
    assert 0.0 <= image.min() and image.max() <= 1.0
    assert min(hist.total) < 0.5 * hist.total[0]
    # J of the returned image, evaluated afresh, is the lowest J in the history
    _, again = transfer_style(content, _img(16, 16, 2), extractor=net, content_layer="relu2_1",
                              style_layers=LAYERS, beta=1e3, init=image, schedule=[(16, 1)],
                              optimizer="gd", progress=False)
    assert again.total[0] == pytest.approx(min(hist.total), rel=1e-5)


class _Quadratic:
    """J(x) = Σ w (x − t)², multiplied by ``spike`` at the given evaluation numbers (1, 2, ...):
    a stand-in for an L-BFGS step that overshoots. Records every image it is called with."""

    def __init__(self, spikes=(), spike=100.0):
        g = torch.Generator().manual_seed(0)
        self.w = 1 + 99 * torch.rand(3, 4, 4, generator=g)  # condition number ~100: many steps
        self.t = 0.2 + 0.6 * torch.rand(3, 4, 4, generator=g)
        self.spikes, self.spike, self.images = set(spikes), spike, []

    def __call__(self, image):
        self.images.append(image.detach().clone())
        total = (self.w * (image - self.t) ** 2).sum()
        if len(self.images) in self.spikes:
            total = total * self.spike
        zero = image.new_zeros(())
        return total, (total, zero, zero)


def _stage(objective, budget=30):
    from tqdm.auto import tqdm

    x = torch.full((3, 4, 4), 0.5).requires_grad_(True)
    history = TransferHistory()
    _run_stage(x, objective, "lbfgs", None, budget, 4, history, 0, 0.0, None, 0, tqdm(disable=True), 0.0)
    return x.detach(), history


def test_lbfgs_restarts_from_the_best_image_exactly_when_a_step_overshoots():
    """Walk the history with the rule written out: after an evaluation above RISE x the best
    so far, once the run is AFTER evaluations old, the next evaluation is the best image again
    (a new run); at every other evaluation it is not. Spikes: one early, one late."""
    objective = _Quadratic(spikes=[3, 21])  # evaluation numbers: indices 2 and 20
    image, hist = _stage(objective, budget=40)
    images, totals = objective.images, hist.total
    run_start, best, restarts = 0, 0, []
    for i in range(1, len(totals)):
        expected = i - run_start >= _RESTART_AFTER and totals[i - 1] > _RESTART_RISE * totals[best]
        if expected:
            restarts.append(i)
            run_start = i
            torch.testing.assert_close(images[i], images[best], rtol=0, atol=0)
            assert totals[i] == totals[best]
        else:
            assert not torch.equal(images[i], images[best]), f"evaluation {i + 1} went back to the best image"
        if totals[i] < totals[best]:
            best = i
    assert totals[2] > _RESTART_RISE * min(totals[:2]) and 3 not in restarts  # early: ridden out
    assert 21 in restarts  # late: undone
    assert totals[best] < 1e-3 * totals[0]
    torch.testing.assert_close(image, images[best])  # the stage ends on the best image


class _Ripple:
    """J = 2 + 0.02 sin(100 u·x): bounded ripples, so no step rises 5% above the best, and new
    bests soon become rare: the stall rule, not the overshoot rule, has to end the stage."""

    def __init__(self):
        self.u = torch.randn(3, 4, 4, generator=torch.Generator().manual_seed(1))
        self.images = []

    def __call__(self, image):
        self.images.append(image.detach().clone())
        total = 2 + 0.02 * torch.sin(100 * (self.u * image).sum())
        zero = image.new_zeros(())
        return total, (total, zero, zero)


def test_lbfgs_stall_restarts_once_then_stops():
    objective = _Ripple()
    x, hist = _stage(objective, budget=500)
    totals, images = hist.total, objective.images
    assert max(totals) < _RESTART_RISE * min(totals)  # no overshoot restart is possible
    assert 20 <= len(totals) < 500 and len(totals) % 10 == 0  # stopped by the stall rule, at a check
    best = min(range(len(totals)), key=totals.__getitem__)
    # the last 20 evaluations found no new best: a stalled window, a restart, a second stalled window
    assert best < len(totals) - 20
    restarts = [i for i in range(1, len(totals)) if torch.equal(images[i], images[best]) and i > best]
    assert restarts == [len(totals) - 10]  # the fresh run started from the best image, then stopped
    torch.testing.assert_close(x, images[best])


def test_coarse_to_fine_keeps_the_contents_fine_detail(net):
    # lr 0: stage 1 leaves the small content image as it is; stage 2 must start at the full content
    kw = dict(schedule=[(16, 1), (32, 1)], optimizer="gd", lr=0.0, rtol=0.0)
    content = _img(32, 32, 1)
    _, hist = transfer_style(content, _img(32, 32, 2), extractor=net, content_layer="relu2_1",
                             style_layers=LAYERS, progress=False, **kw)
    assert hist.size == [16, 32] and hist.content[1] == pytest.approx(0.0, abs=1e-10)
    _, random_hist = transfer_style(content, _img(32, 32, 2), extractor=net, content_layer="relu2_1",
                                    style_layers=LAYERS, progress=False, init="random", **kw)
    assert random_hist.content[1] > 0.0  # random init: the upsampled result alone


def test_resize_image_longer_side():
    assert resize_image(_img(20, 10, 0), 8).shape == (3, 8, 4)
    assert resize_image(_img(20, 10, 0)[None], 40).shape == (1, 3, 40, 20)
    x = _img(12, 9, 3)
    assert resize_image(x, 12) is x  # already the size: untouched
    torch.testing.assert_close(resize_image(torch.full((3, 30, 20), 0.25), 9), torch.full((3, 9, 6), 0.25))


def test_resize_image_bad_inputs():
    with pytest.raises(ValueError, match=r"image must have shape \(3, H, W\) or \(N, 3, H, W\), got \(1, 8, 8\)"):
        resize_image(torch.zeros(1, 8, 8), 4)
    with pytest.raises(TypeError, match="image must be a floating-point tensor, got dtype torch.uint8"):
        resize_image(torch.zeros(3, 8, 8, dtype=torch.uint8), 4)
    with pytest.raises(TypeError, match="image must be a torch.Tensor of shape"):
        resize_image([0.0], 4)
    with pytest.raises(ValueError, match="size must be an int >= 1, got 0"):
        resize_image(torch.zeros(3, 8, 8), 0)


def test_shuffle_patches_is_a_tile_permutation():
    x = torch.arange(2 * 4 * 6, dtype=torch.float32).reshape(2, 4, 6)
    y = shuffle_patches(x, 2, torch.Generator().manual_seed(0))
    assert y.shape == (2, 4, 6) and not torch.equal(x, y)
    tiles = lambda t: sorted(tuple(t[:, i:i + 2, j:j + 2].flatten().tolist())  # noqa: E731
                             for i in range(0, 4, 2) for j in range(0, 6, 2))
    assert tiles(x) == tiles(y)  # the same tiles, each intact, elsewhere
    assert shuffle_patches(x, 3).shape == (2, 3, 6)  # the remainder is cropped
    with pytest.raises(ValueError, match=r"patch must be an int in \[1, 4\], got 5"):
        shuffle_patches(x, 5)
    with pytest.raises(TypeError, match=r"patch must be an int in \[1, 4\], got float 2.0"):
        shuffle_patches(x, 2.0)
    with pytest.raises(ValueError, match=r"image must have shape \(C, H, W\), got \(1, 2, 4, 6\)"):
        shuffle_patches(x[None], 2)
    with pytest.raises(TypeError, match=r"image must be a torch.Tensor of shape \(C, H, W\), got list"):
        shuffle_patches([[0.0]], 1)
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None, got int 0"):
        shuffle_patches(x, 2, generator=0)


def test_shuffle_patches_generator_makes_it_reproducible():
    x = torch.arange(3 * 8 * 8, dtype=torch.float32).reshape(3, 8, 8)
    a = shuffle_patches(x, 2, generator=torch.Generator().manual_seed(5))
    b = shuffle_patches(x, 2, generator=torch.Generator().manual_seed(5))
    c = shuffle_patches(x, 2, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_bad_inputs(net):
    with pytest.raises(ValueError, match=r"content must have shape \(3, H, W\), got \(1, 3, 16, 16\)"):
        transfer_style(_img(16, 16, 0)[None], _img(16, 16, 0))
    with pytest.raises(ValueError, match=r"style values must be in \[0, 1\], got \[0, 2\]"):
        transfer_style(_img(16, 16, 0), 2 * torch.ones(3, 16, 16) - torch.eye(16).expand(3, 16, 16) * 2)
    with pytest.raises(ValueError, match="content must contain only finite values"):
        transfer_style(torch.full((3, 16, 16), float("nan")), _img(16, 16, 0))
    with pytest.raises(ValueError, match=r"init must be one of \('content', 'content\+noise', 'random'\)"):
        _run(net, init="zeros")
    with pytest.raises(ValueError, match="optimizer must be one of"):
        _run(net, optimizer="sgd")
    with pytest.raises(ValueError, match=r"each schedule stage must be \(size >= 16, evaluations >= 1\) ints, got \(8, 3\)"):
        _run(net, schedule=[(8, 3)])
    with pytest.raises(ValueError, match=r"extractor does not return layer\(s\) \['relu4_2'\]"):
        _run(net, content_layer="relu4_2")
    with pytest.raises(ValueError, match=r"beta must be a number >= 0.0, got -1.0"):
        _run(net, beta=-1)
    with pytest.raises(ValueError, match=r"noise must be a number in \[0.0, 1.0\], got 2.0"):
        _run(net, noise=2.0)
    with pytest.raises(TypeError, match="init must be one of .*, got int 3"):
        _run(net, init=3)
    with pytest.raises(ValueError, match=r"init must have shape \(3, H, W\), got \(1, 16, 16\)"):
        _run(net, init=torch.zeros(1, 16, 16))
    with pytest.raises(ValueError, match=r"style_layers\['relu1_1'\] must be a number >= 0.0, got -1.0"):
        _run(net, style_layers={"relu1_1": -1.0})
    with pytest.raises(TypeError, match="style_layers must be a dict layer name -> weight, got list"):
        _run(net, style_layers=["relu1_1"])
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None, got int 0"):
        _run(net, generator=0)
    with pytest.raises(TypeError, match="progress must be True or False, got int 1"):
        _run(net, progress=1)
    with pytest.raises(ValueError, match="snapshot_every must be an int >= 0, got -1"):
        _run(net, snapshot_every=-1)
    with pytest.raises(ValueError, match="bfloat16_evaluations must be an int >= 0, got -1"):
        _run(net, bfloat16_evaluations=-1)
    with pytest.raises(TypeError, match="bfloat16_evaluations must be an int"):
        _run(net, bfloat16_evaluations=2.5)
    with pytest.raises(TypeError, match="extractor must be a FeatureExtractor, got Linear"):
        _run(torch.nn.Linear(2, 2))


def test_default_content_layer_follows_the_weights(net):
    # the random fallback's default content layer is relu3_1 (Gatys's relu4_2 with ImageNet weights)
    assert not net.is_pretrained
    with pytest.raises(ValueError, match=r"extractor does not return layer\(s\) \['relu3_1'\]"):
        _run(net, content_layer=None)
    net.is_pretrained = True  # as if ImageNet weights: Gatys's layer
    try:
        with pytest.raises(ValueError, match=r"extractor does not return layer\(s\) \['relu4_2'\]"):
            _run(net, content_layer=None)
    finally:
        net.is_pretrained = False


def test_bfloat16_evaluations_come_first_and_in_the_last_stage_only(net):
    _, hist = _run(net, schedule=[(16, 5), (24, 12)], bfloat16_evaluations=4, rtol=0.0)
    assert hist.size == [16] * 5 + [24] * 12
    assert hist.bfloat16 == [False] * 5 + [True] * 4 + [False] * 8


def test_mixed_precision_target_and_result_count_float32_evaluations_only(net):
    # a target every evaluation meets: the first bfloat16 J is near it, so the next evaluation is
    # float32's, and the run stops there, not before
    _, hist = _run(net, bfloat16_evaluations=3, target_cost=1e9)
    assert hist.bfloat16 == [True, False]
    # the returned image is the best float32 evaluation's: J of it, evaluated afresh, is their minimum
    image, hist = _run(net, bfloat16_evaluations=5, rtol=0.0)
    assert hist.bfloat16 == [True] * 5 + [False] * 7
    _, again = _run(net, init=image, schedule=[(16, 1)], optimizer="gd")
    float32 = [j for j, b in zip(hist.total, hist.bfloat16, strict=True) if not b]
    assert again.total[0] == pytest.approx(min(float32), rel=1e-5)
    # a budget that ends before the switch: every evaluation (and so the result) is bfloat16's
    _, hist = _run(net, schedule=[(16, 4)], bfloat16_evaluations=10)
    assert hist.bfloat16 == [True] * 4


def test_mixed_precision_switches_to_float32_when_a_bfloat16_j_nears_the_target(net):
    _, free = _run(net, bfloat16_evaluations=12, rtol=0.0)  # every evaluation bfloat16, no target
    assert free.bfloat16 == [True] * 12
    j = free.total
    # the first evaluation with J below half the first; a target 0.05% under it: J[k] is within
    # 0.1% of it, and every J before is not
    k = next(i for i, v in enumerate(j) if v < 0.5 * j[0])
    target = j[k] / 1.0005
    assert 2 <= k <= 9 and min(j[:k]) > 1.001 * target
    _, hist = _run(net, bfloat16_evaluations=12, rtol=0.0, target_cost=target)
    assert hist.total[: k + 1] == j[: k + 1]  # the same run up to there
    assert hist.bfloat16 == [True] * (k + 1) + [False] * (len(hist) - k - 1) and len(hist) > k + 1
    # it stopped at the first float32 J that meets the target, or ran to the end of its budget
    float32 = hist.total[k + 1:]
    assert all(v > target for v in float32[:-1])
    assert float32[-1] <= target or len(hist) == 12
    # without a target the switch comes after bfloat16_evaluations, J near it or not
    _, hist = _run(net, bfloat16_evaluations=k + 3, rtol=0.0)
    assert hist.bfloat16 == [True] * (k + 3) + [False] * (12 - k - 3)


def test_float32_runs_say_so_in_the_history(net):
    _, hist = _run(net, schedule=[(16, 3)])
    assert hist.bfloat16 == [False] * 3
