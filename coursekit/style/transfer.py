"""Minimise J(G) = α J_content + β J_style over the pixels of G (Gatys et al. 2015).

``transfer_style(content, style)`` runs gradient descent, Adam or L-BFGS on the generated
image, coarse to fine: a small image first, then the result upsampled (plus, for content
inits, the content's fine detail the small image could not hold) as the start of the next,
larger stage (cheap early steps fix the large-scale layout; Gatys et al. 2017). J only ever
sees pixels in [0, 1]; every evaluation of J is counted, snapshots are kept every
``snapshot_every`` evaluations, and a tqdm bar shows progress. The costs are those of
``coursekit.style.costs``, evaluated by ``coursekit.style.objective`` (validated once, with a
faster Gram backward).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..models.vgg import FeatureExtractor, vgg19_features
from ..validation import (
    check_bool,
    check_choice,
    check_float,
    check_generator,
    check_int,
    check_tensor,
)
from .objective import StageObjective

__all__ = ["GATYS_STYLE_LAYERS", "TransferHistory", "transfer_style", "resize_image", "shuffle_patches"]

GATYS_STYLE_LAYERS = {f"relu{b}_1": 0.2 for b in range(1, 6)}  # λ_l = 1/5 each
_INITS = ("content", "content+noise", "random")
_OPTIMIZERS = ("lbfgs", "adam", "gd")


@dataclass
class TransferHistory:
    """What happened during ``transfer_style``, one entry per evaluation of J.

    Attributes
    ----------
    evaluation : list of int
        1, 2, ...: every forward + backward pass is counted (steps that were undone included).
    total : list of float
        The weighted sum J that was minimised.
    content, style, tv : list of float
        The unweighted costs J_content / (n_H n_W n_C), J_style and TV(G) / |G|.
    size : list of int
        The stage's longer image side at each evaluation.
    seconds : list of float
        Wall-clock seconds since the start of ``transfer_style``.
    bfloat16 : list of bool
        Whether the evaluation ran the convolutions in bfloat16 (``bfloat16_evaluations``): its J
        is approximate, and ``total`` is then not comparable to a float32 J to 4 digits.
    snapshots : list of (int, Tensor of shape (3, H, W))
        (evaluation, image) pairs: every ``snapshot_every`` evaluations and at the end of each stage.
    weights_source : str
        Which network computed the activations, in words.
    """

    evaluation: list[int] = field(default_factory=list)
    total: list[float] = field(default_factory=list)
    content: list[float] = field(default_factory=list)
    style: list[float] = field(default_factory=list)
    tv: list[float] = field(default_factory=list)
    size: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    bfloat16: list[bool] = field(default_factory=list)
    snapshots: list[tuple[int, torch.Tensor]] = field(default_factory=list)
    weights_source: str = ""

    def __len__(self) -> int:
        return len(self.evaluation)


def resize_image(image: torch.Tensor, size: int) -> torch.Tensor:
    """Resize an image so that its longer side is ``size`` pixels (bilinear, antialiased).

    Parameters
    ----------
    image : Tensor of shape (3, H, W) or (N, 3, H, W), floating point
    size : int >= 1
        The longer side of the result; the aspect ratio is kept.

    Returns
    -------
    Tensor of shape (3, H', W') or (N, 3, H', W')
        ``max(H', W') == size`` (the input itself when it already has that size).

    Examples
    --------
    >>> resize_image(torch.zeros(3, 20, 10), 8).shape
    torch.Size([3, 8, 4])
    """
    check_tensor(image, "image", ndim=(3, 4), shape="(3, H, W) or (N, 3, H, W)", floating=True, finite=True)
    if image.shape[-3] != 3 or image.numel() == 0:
        raise ValueError(f"image must have shape (3, H, W) or (N, 3, H, W), got {tuple(image.shape)}")
    size = check_int(size, "size", minimum=1)
    h, w = image.shape[-2:]
    scale = size / max(h, w)
    shape = (max(1, round(h * scale)), max(1, round(w * scale)))
    if shape == (h, w):
        return image
    batched = image if image.dim() == 4 else image[None]
    out = F.interpolate(batched, size=shape, mode="bilinear", align_corners=False, antialias=True)
    return out if image.dim() == 4 else out[0]


def shuffle_patches(image: torch.Tensor, patch: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Cut an image into ``patch`` × ``patch`` tiles and put them back in random order.

    The layout is destroyed while local textures and colours stay: the Gram matrices of deep
    enough layers barely change, which is why they describe style and not content.

    Parameters
    ----------
    image : Tensor of shape (C, H, W)
    patch : int in [1, min(H, W)]
        The tile side. Rows and columns that do not fill a whole tile are dropped.
    generator : torch.Generator, optional
        Seeds the permutation (None: torch's default generator).

    Returns
    -------
    Tensor of shape (C, (H // patch) · patch, (W // patch) · patch)
        The same tiles in another order.

    Examples
    --------
    >>> shuffle_patches(torch.rand(3, 9, 8), 4, generator=torch.Generator().manual_seed(0)).shape
    torch.Size([3, 8, 8])
    """
    check_tensor(image, "image", ndim=3, shape="(C, H, W)", min_len=1, finite=True)
    patch = check_int(patch, "patch", minimum=1, maximum=min(image.shape[1:]))
    check_generator(generator)
    c, h, w = image.shape
    rows, cols = h // patch, w // patch
    tiles = image[:, : rows * patch, : cols * patch].reshape(c, rows, patch, cols, patch)
    tiles = tiles.permute(1, 3, 0, 2, 4).reshape(rows * cols, c, patch, patch)
    order = torch.randperm(rows * cols, generator=generator)
    tiles = tiles[order.to(image.device)].reshape(rows, cols, c, patch, patch)
    return tiles.permute(2, 0, 3, 1, 4).reshape(c, rows * patch, cols * patch)


def _check_image(x: object, name: str) -> torch.Tensor:
    check_tensor(x, name, ndim=3, shape="(3, H, W)", floating=True)
    if x.shape[0] != 3:
        raise ValueError(f"{name} must have shape (3, H, W), got {tuple(x.shape)}")
    if x.shape[1] < 8 or x.shape[2] < 8:
        raise ValueError(f"{name} must be at least 8x8 pixels, got {tuple(x.shape[1:])}")
    check_tensor(x, name, finite=True)
    if x.min() < 0 or x.max() > 1:
        raise ValueError(f"{name} values must be in [0, 1], got [{x.min():.3g}, {x.max():.3g}]")
    return x


def _check_schedule(schedule) -> list[tuple[int, int]]:
    if isinstance(schedule, (str, bytes)) or not isinstance(schedule, Sequence) or not schedule:
        raise ValueError(f"schedule must be a non-empty list of (size, evaluations), got {schedule!r}")
    out = []
    for stage in schedule:
        ok = isinstance(stage, Sequence) and len(stage) == 2
        ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in stage)
        if not ok or stage[0] < 16 or stage[1] < 1:
            raise ValueError(
                f"each schedule stage must be (size >= 16, evaluations >= 1) ints, got {stage!r}"
            )
        out.append((int(stage[0]), int(stage[1])))
    return out


def _initial_image(init, content, noise, generator):
    if isinstance(init, torch.Tensor):
        return _check_image(init, "init").to(content)
    if init not in _INITS:
        raise ValueError(f"init must be one of {_INITS} or a (3, H, W) tensor, got {init!r}")
    if init == "content":
        return content.clone()
    rand = torch.rand(content.shape, generator=generator).to(content)
    if init == "random":
        return rand
    return ((1 - noise) * content + noise * rand).clamp(0, 1)


def transfer_style(
    content: torch.Tensor,
    style: torch.Tensor,
    *,
    extractor: FeatureExtractor | None = None,
    content_layer: str | None = None,
    style_layers: Mapping[str, float] | None = None,
    alpha: float = 1.0,
    beta: float = 1e3,
    tv_weight: float = 0.0,
    init: str | torch.Tensor = "content",
    noise: float = 0.5,
    optimizer: str = "lbfgs",
    lr: float | None = None,
    schedule: Sequence[tuple[int, int]] = ((128, 100), (256, 100)),
    snapshot_every: int = 0,
    rtol: float = 1e-6,
    target_cost: float | None = None,
    bfloat16_evaluations: int = 0,
    progress: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, TransferHistory]:
    """Paint ``content`` in the style of ``style`` by minimising J(G) over G's pixels.

    ``J(G) = α J_content(C, G) / (n_H n_W n_C) + β Σ_l λ_l J_style[l](S, G) + w_tv TV(G) / |G|``,
    with the costs of ``coursekit.style.costs`` (the content cost is taken per activation so that
    α/β means the same at every image size).

    Parameters
    ----------
    content, style : Tensor of shape (3, H, W), float in [0, 1]
        The style image may have any size; each stage resizes it to the stage's size.
    extractor : FeatureExtractor, optional
        Default: ``vgg19_features(..., weights="auto", pool="avg")``, ImageNet VGG-19 when cached,
        else the random fallback (rescaled on these images; ``history.weights_source`` says so).
    content_layer : str, optional
        Layer of J_content. Default: Gatys's ``"relu4_2"`` with ImageNet weights, ``"relu3_1"``
        with the random fallback (its ``relu4_2`` keeps too little of the photograph's layout).
    style_layers : dict name -> λ_l, optional
        Layers of J_style and their weights (default ``GATYS_STYLE_LAYERS``).
    alpha, beta, tv_weight : float >= 0
        Weights of the content, style and total-variation costs.
    init : {"content", "content+noise", "random"} or Tensor of shape (3, H, W) in [0, 1]
        The starting image. ``"random"`` is uniform noise (the lecture's G); ``"content+noise"``
        is ``(1 − noise) C + noise U(0, 1)``.
    noise : float in [0, 1]
        The share of noise for ``init="content+noise"``.
    optimizer : {"lbfgs", "adam", "gd"}
        L-BFGS with unit steps, one evaluation each, as Johnson's neural-style and the PyTorch
        tutorial use it (J is evaluated at clamp(G, 0, 1), the gradient passed straight through); when
        a step, after the first 10 of a run, lands more than 5% above the best J of the stage,
        it starts again from the best image with an empty memory (unguarded, such a run can
        diverge). Or Adam / plain gradient descent projected onto [0, 1].
    lr : float, optional
        Step size for Adam/GD (defaults 0.02 and 0.05); L-BFGS takes unit steps.
    schedule : list of (size, evaluations)
        Coarse to fine: each stage resizes C and S to ``size`` (longer side), starts from the
        previous result upsampled (for content inits plus C − upsampled smaller C), and may
        evaluate J ``evaluations`` times; it ends on the lowest-J image it evaluated.
    snapshot_every : int
        Keep a copy of G every this many evaluations (0: only the end of each stage).
    rtol : float
        A stage stops early when J improves by less than ``rtol`` (relative) over 10 evaluations
        (L-BFGS first starts again from its best image, with an empty memory, and stops only if
        the next 10 evaluations do not improve either).
    target_cost : float, optional
        Stop as soon as J at the last stage's size is at most this (used to time runs to a loss);
        only float32 evaluations count.
    bfloat16_evaluations : int >= 0
        Mixed precision where the time goes, at the last (largest) stage: its first this many
        evaluations run the convolutions in bfloat16 (``StageObjective.bfloat16``), the rest in
        float32, and the optimiser keeps its memory across the switch. A bfloat16 evaluation
        takes 0.5–0.9 of the time of a float32 one on hardware that computes bfloat16 natively
        (:func:`coursekit.config.has_fast_bfloat16`; elsewhere it is slower: leave this at 0),
        and its J and gradient are approximate: good for the long descent, not for the last
        digits. The stage's result is then its lowest-J *float32* evaluation (its lowest
        bfloat16 one if the budget ends before the switch). With a ``target_cost``, the switch
        comes sooner if a bfloat16 J comes within 0.1% of the target (a bfloat16 J is about
        1e-4 off, relative), so that float32 evaluations take the last steps and decide the stop.
        ``benchmarks/style_transfer.py`` measures what it buys.
    progress : bool
        Show a tqdm bar.
    generator : torch.Generator, optional
        Seeds the initial noise.

    Returns
    -------
    image : Tensor of shape (3, H', W'), values in [0, 1], H'/W' from the last stage's size;
        the evaluated image with the lowest J at that size
    history : TransferHistory

    Examples
    --------
    >>> net = vgg19_features(["relu1_1", "relu2_1"], weights="random", generator=torch.Generator().manual_seed(0))
    >>> img, hist = transfer_style(torch.rand(3, 16, 16), torch.rand(3, 16, 16), extractor=net,
    ...                            content_layer="relu2_1", style_layers={"relu1_1": 1.0}, schedule=[(16, 3)],
    ...                            progress=False)
    >>> img.shape, len(hist)
    (torch.Size([3, 16, 16]), 3)
    """
    _check_image(content, "content")
    _check_image(style, "style")
    stages = _check_schedule(schedule)
    if style_layers is not None and not isinstance(style_layers, Mapping):
        raise TypeError(f"style_layers must be a dict layer name -> weight, got {type(style_layers).__name__}")
    style_layers = dict(GATYS_STYLE_LAYERS if style_layers is None else style_layers)
    if not style_layers:
        raise ValueError("style_layers must name at least one layer, got none")
    style_layers = {k: check_float(w, f"style_layers[{k!r}]", minimum=0.0) for k, w in style_layers.items()}
    alpha, beta = check_float(alpha, "alpha", minimum=0.0), check_float(beta, "beta", minimum=0.0)
    tv_weight = check_float(tv_weight, "tv_weight", minimum=0.0)
    noise = check_float(noise, "noise", minimum=0.0, maximum=1.0)
    if isinstance(init, torch.Tensor):
        _check_image(init, "init")
    else:
        check_choice(init, "init", _INITS)
    check_choice(optimizer, "optimizer", _OPTIMIZERS)
    if lr is not None:
        lr = check_float(lr, "lr", minimum=0.0)
    snapshot_every = check_int(snapshot_every, "snapshot_every", minimum=0)
    rtol = check_float(rtol, "rtol", minimum=0.0)
    if target_cost is not None:
        target_cost = check_float(target_cost, "target_cost")
    bfloat16_evaluations = check_int(bfloat16_evaluations, "bfloat16_evaluations", minimum=0)
    check_bool(progress, "progress")
    check_generator(generator)
    if extractor is None:
        first = ["relu3_1", "relu4_2"] if content_layer is None else [content_layer]  # see below
        needed = list(dict.fromkeys([*first, *style_layers]))
        extractor = vgg19_features(needed, weights="auto", pool="avg").to(content.device)
        extractor.rescale_([resize_image(content, stages[-1][0])[None], resize_image(style, stages[-1][0])[None]])
    elif not isinstance(extractor, FeatureExtractor):
        raise TypeError(f"extractor must be a FeatureExtractor, got {type(extractor).__name__}")
    if content_layer is None:
        content_layer = "relu4_2" if extractor.is_pretrained else "relu3_1"
    needed = [content_layer, *style_layers]
    missing = [n for n in needed if n not in extractor.layers]
    if missing:
        raise ValueError(f"extractor does not return layer(s) {missing}; it returns {list(extractor.layers)}")
    return _transfer_style(content, style, extractor, content_layer, style_layers, alpha, beta, tv_weight,
                           init, noise, optimizer, lr, stages, snapshot_every, rtol, target_cost,
                           bfloat16_evaluations, progress, generator)


def _transfer_style(content, style, net, content_layer, style_layers, alpha, beta, tv_weight,
                    init, noise, optimizer, lr, stages, snapshot_every, rtol, target_cost,
                    bfloat16_evaluations, progress, generator):
    history = TransferHistory(weights_source=net.weights_source)
    start = time.perf_counter()
    x = previous_c = None
    bar = tqdm(total=sum(n for _, n in stages), desc="style transfer", disable=not progress)
    for index, (size, budget) in enumerate(stages):
        target = target_cost if index == len(stages) - 1 else None
        c, s = resize_image(content, size), resize_image(style, size)
        if x is None:
            init_small = resize_image(init, size) if isinstance(init, torch.Tensor) else init
            x = _initial_image(init_small, c, noise, generator)
        else:  # coarse to fine: the previous result, upsampled, starts this stage
            up = F.interpolate(torch.stack([x, previous_c]), size=c.shape[-2:], mode="bilinear", align_corners=False)
            detail = isinstance(init, str) and init != "random"  # add the content's detail it missed
            x = up[0] + (c - up[1] if detail else 0)
        previous_c = c
        x = x.detach().clamp(0, 1).contiguous().requires_grad_(True)
        objective = StageObjective(net, c, s, content_layer, style_layers, alpha, beta, tv_weight)
        n_bfloat16 = bfloat16_evaluations if index == len(stages) - 1 else 0
        _run_stage(x, objective, optimizer, lr, budget, size, history, snapshot_every, rtol, target,
                   n_bfloat16, bar, start)
        history.snapshots.append((history.evaluation[-1], x.detach().clone()))
    bar.close()
    return x.detach().clone(), history


class _StageDone(Exception):  # raised by the closure: budget spent, target reached or J stalled
    pass


class _Restart(Exception):  # raised by the closure: an L-BFGS step made J much worse than the best
    pass


# L-BFGS restarts from the best image, with an empty memory, when a step lands above
# _RESTART_RISE x the best J seen in the stage (never in its first _RESTART_AFTER evaluations,
# while its memory is still being built)
_RESTART_RISE = 1.05
_RESTART_AFTER = 10

# mixed precision with a target_cost: a bfloat16 J within this share of the target ends the
# bfloat16 evaluations early (a bfloat16 J is about 1e-4 off, relative: float32 decides the stop)
_BFLOAT16_NEAR_TARGET = 1e-3


def _in_range(x: torch.Tensor) -> torch.Tensor:
    """clamp(x, 0, 1) with the gradient passed straight through. With the clamp's own gradient
    (0 outside the box) a pixel an L-BFGS step pushes out of range never comes back and J
    plateaus; the tutorial avoids that by clamping the parameter inside its closure."""
    return x + (x.clamp(0, 1) - x).detach()


def _record(history, size, start, bar, total, parts, bfloat16):
    history.evaluation.append(len(history.evaluation) + 1)
    for key, part in zip(("total", "content", "style", "tv"), (total, *parts), strict=True):
        getattr(history, key).append(float(part.detach()))
    history.size.append(size)
    history.seconds.append(time.perf_counter() - start)
    history.bfloat16.append(bfloat16)
    bar.update(1)
    bar.set_postfix(J=f"{history.total[-1]:.4g}", size=size, precision="bfloat16" if bfloat16 else "float32",
                    refresh=False)


def _run_stage(x, objective, optimizer, lr, budget, size, history, snapshot_every, rtol, target,
               n_bfloat16, bar, start):
    state = {"done": 0, "best": float("inf"), "image": None, "scale": None, "checked": None, "next": 10,
             "run_start": 0, "last": None, "stall_restarted": False, "bfloat16_until": n_bfloat16}

    def closure():
        if state["done"] >= budget:
            raise _StageDone
        if (optimizer == "lbfgs" and state["done"] - state["run_start"] >= _RESTART_AFTER
                and state["last"] > _RESTART_RISE * state["best"]):
            raise _Restart
        opt.zero_grad()
        bfloat16 = state["done"] < state["bfloat16_until"]
        if n_bfloat16:  # mixed precision: StageObjective.bfloat16
            objective.bfloat16 = bfloat16
            if state["done"] == state["bfloat16_until"]:  # the switch to float32: J's values change a little,
                # so the best so far and the stall check start again (the L-BFGS memory, pairs of
                # steps and gradient changes, stays useful)
                state.update(best=float("inf"), checked=None, next=state["done"] + 10)
        image = _in_range(x)
        total, parts = objective(image)
        value = state["last"] = total.item()
        if state["scale"] is None:  # L-BFGS minimises J / J(start): its first step, -g, assumes J is O(1)
            state["scale"] = 1.0 / value if optimizer == "lbfgs" and value > 0 else 1.0
        scaled = total * state["scale"]
        scaled.backward()
        state["done"] += 1
        _record(history, size, start, bar, total, parts, bfloat16)
        if snapshot_every and history.evaluation[-1] % snapshot_every == 0:
            history.snapshots.append((history.evaluation[-1], image.detach().clone()))
        if value < state["best"]:  # steps can make J worse: keep the best image seen
            state["best"], state["image"] = value, image.detach().clone()
        if target is not None and value <= target and not bfloat16:
            raise _StageDone
        if bfloat16 and target is not None and value <= target + _BFLOAT16_NEAR_TARGET * abs(target):
            state["bfloat16_until"] = state["done"]  # near the target: float32 from the next evaluation
        if state["done"] >= state["next"]:  # every 10 evaluations: has J stalled?
            stalled = state["checked"] is not None and state["checked"] - state["best"] <= rtol * abs(state["checked"])
            state["checked"], state["next"] = state["best"], state["done"] + 10
            if stalled and optimizer == "lbfgs" and not state["stall_restarted"]:
                state["stall_restarted"] = True  # L-BFGS's memory may be what stalls: one fresh run first
                raise _Restart
            if stalled:
                raise _StageDone
            state["stall_restarted"] = False
        return scaled

    def new_optimizer():
        if optimizer == "lbfgs":
            # unit steps, no line search (one evaluation per step, as in neural-style's and the
            # PyTorch tutorial's L-BFGS); tolerances 0: PyTorch's absolute defaults stop it after one
            # evaluation when J is small. No projection between steps (it would corrupt the
            # curvature pairs): see _in_range. A step that overshoots is caught by _Restart
            return torch.optim.LBFGS([x], lr=1, max_iter=budget, max_eval=2 * budget, tolerance_grad=0.0,
                                     tolerance_change=0.0, history_size=100, line_search_fn=None)
        if optimizer == "adam":
            return torch.optim.Adam([x], lr=0.02 if lr is None else lr)
        return torch.optim.SGD([x], lr=0.05 if lr is None else lr)

    opt = new_optimizer()
    try:
        while True:
            before = state["done"]
            try:
                opt.step(closure)
            except _Restart:  # back to the best image, with an empty L-BFGS memory
                with torch.no_grad():
                    x.copy_(state["image"])
                opt, state["run_start"] = new_optimizer(), state["done"]
                continue
            if optimizer != "lbfgs":
                with torch.no_grad():
                    x.clamp_(0, 1)  # projected gradient descent
            elif state["done"] - before <= 1:  # L-BFGS has converged (zero gradient)
                break
    except _StageDone:
        pass
    with torch.no_grad():
        x.copy_(state["image"])  # the lowest J evaluated, in [0, 1]
