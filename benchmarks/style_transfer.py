"""Time to the same loss: the PyTorch neural-style tutorial's loop vs coursekit's schedule.

Peer: a faithful re-implementation of the loop of the official PyTorch tutorial "Neural
Transfer Using PyTorch" (pytorch/tutorials, advanced_source/neural_style_tutorial.py): VGG-19
features, ContentLoss after conv_4, StyleLoss after conv_1..conv_5 (Gram divided by a·b·c·d,
MSE), style_weight 1e6, content_weight 1, input = content clone, ``optim.LBFGS([input_img])``
with its defaults, ``input_img.clamp_(0, 1)`` inside the closure, ``while run[0] <= 300``.

coursekit: ``transfer_style`` on the *same* network, layers and weights, written with
coursekit's costs (the tutorial's loss equals α J_content/n + Σ λ_l J_style[l] with α = 2 and
λ_l = 4e6 / n_C² — checked below on the content image), coarse to fine, L-BFGS with unit
steps that goes back to its best image, with an empty memory, when a step overshoots. Run
twice: all in float32, and mixed precision (bfloat16 convolutions for the full-size
evaluations until a bfloat16 J comes within 0.1% of the target, or for at most ``--bfloat16``
of them, then float32; only where ``config.has_fast_bfloat16`` says the CPU computes bfloat16
natively). The target is the tutorial's *best* loss (its loop can
diverge on the offline network, so its final loss would flatter us); coursekit's clock stops
at its first full-size *float32* evaluation (an image in [0, 1], the same objective as the
tutorial's) at or below that loss, and the image is scored again by the tutorial's model.

Networks: torchvision's ImageNet VGG-19 when it is in the torch cache, and always the offline
random, rescaled fallback; each gives its own ratio (time to the tutorial's best loss /
the tutorial's time to it; the goal is <= 0.33x). Same process, ``--repeat`` rounds (the
tutorial's loop, then each coursekit run; the tutorial's loop is deterministic, so later rounds
stop it at its best call) and each side's fastest time, because a shared machine's speed drifts
by tens of percent from one minute to the next. The images side by side go to ``--png``.
Tests never run this.

    python benchmarks/style_transfer.py [--size 256] [--steps 300] [--threads N] [--bfloat16 200] [--repeat 2]
                                        [--keep-freed-memory] [--png PATH]

``--keep-freed-memory`` lets glibc keep freed memory for reuse (``config.keep_freed_memory``), for
both loops: both get faster, the tutorial's (default memory layout, more allocations) more.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from coursekit.config import has_fast_bfloat16, keep_freed_memory
from coursekit.data import content_image, style_image
from coursekit.models.vgg import VGG19_LAYERS, imagenet_weights_file, vgg19_features
from coursekit.style import transfer_style

TUTORIAL_CONV = ["conv1_1", "conv1_2", "conv2_1", "conv2_2", "conv3_1"]  # conv_1 .. conv_5
TUTORIAL_CONTENT = "conv2_2"  # conv_4


# ---- the tutorial's code, kept as written there (names included) -------------------------------

class ContentLoss(nn.Module):
    def __init__(self, target):
        super().__init__()
        self.target = target.detach()

    def forward(self, input):
        self.loss = F.mse_loss(input, self.target)
        return input


def gram_matrix(input):
    a, b, c, d = input.size()
    features = input.view(a * b, c * d)
    G = torch.mm(features, features.t())
    return G.div(a * b * c * d)


class StyleLoss(nn.Module):
    def __init__(self, target_feature):
        super().__init__()
        self.target = gram_matrix(target_feature).detach()

    def forward(self, input):
        G = gram_matrix(input)
        self.loss = F.mse_loss(G, self.target)
        return input


class Normalization(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.mean = mean.clone().detach().view(-1, 1, 1)
        self.std = std.clone().detach().view(-1, 1, 1)

    def forward(self, img):
        return (img - self.mean) / self.std


def get_style_model_and_losses(cnn, mean, std, style_img, content_img):
    normalization = Normalization(mean, std)
    content_losses, style_losses = [], []
    model = nn.Sequential(normalization)
    i = 0
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            i += 1
            name = f"conv_{i}"
        elif isinstance(layer, nn.ReLU):
            name = f"relu_{i}"
            layer = nn.ReLU(inplace=False)
        elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
            name = f"pool_{i}"
        else:
            raise RuntimeError(f"Unrecognized layer: {layer.__class__.__name__}")
        model.add_module(name, layer)
        if name in ["conv_4"]:
            target = model(content_img).detach()
            content_loss = ContentLoss(target)
            model.add_module(f"content_loss_{i}", content_loss)
            content_losses.append(content_loss)
        if name in ["conv_1", "conv_2", "conv_3", "conv_4", "conv_5"]:
            target_feature = model(style_img).detach()
            style_loss = StyleLoss(target_feature)
            model.add_module(f"style_loss_{i}", style_loss)
            style_losses.append(style_loss)
    for i in range(len(model) - 1, -1, -1):
        if isinstance(model[i], (ContentLoss, StyleLoss)):
            break
    model = model[: (i + 1)]
    return model, style_losses, content_losses


def run_style_transfer(cnn, mean, std, content_img, style_img, input_img, num_steps=300,
                       style_weight=1000000, content_weight=1, log=None):
    model, style_losses, content_losses = get_style_model_and_losses(cnn, mean, std, style_img, content_img)
    input_img.requires_grad_(True)
    model.eval()
    model.requires_grad_(False)
    optimizer = torch.optim.LBFGS([input_img])
    run = [0]
    while run[0] <= num_steps:
        def closure():
            with torch.no_grad():
                input_img.clamp_(0, 1)
            optimizer.zero_grad()
            model(input_img)
            style_score = sum(sl.loss for sl in style_losses) * style_weight
            content_score = sum(cl.loss for cl in content_losses) * content_weight
            loss = style_score + content_score
            loss.backward()
            run[0] += 1
            if log is not None:  # benchmark instrumentation: time, loss and the evaluated image
                log(time.perf_counter(), loss.item(), input_img)
            return style_score + content_score
        optimizer.step(closure)
    with torch.no_grad():
        input_img.clamp_(0, 1)
    return input_img, model, style_losses, content_losses


def tutorial_loss(model, style_losses, content_losses, img):
    with torch.no_grad():
        model(img)
        return (sum(sl.loss for sl in style_losses) * 1e6 + sum(cl.loss for cl in content_losses)).item()


# ---- the comparison ---------------------------------------------------------------------------

GOAL = 0.33


def tutorial(net, content, style, steps, last_call=None):
    """The tutorial's loop, timed: its best loss, the call and seconds it took to reach it.

    ``last_call``: only calls up to this one count (the loop itself may run on: its L-BFGS
    steps take up to 20 calls each)."""
    mean, std = net.mean.view(-1), net.std.view(-1)
    best = {"loss": float("inf"), "calls": 0}

    def log(t, loss, img):
        best["calls"] += 1
        if loss < best["loss"] and (last_call is None or best["calls"] <= last_call):
            best.update(loss=loss, t=t, call=best["calls"], image=img.detach()[0].clone())

    start = time.perf_counter()
    out, model, s_losses, c_losses = run_style_transfer(
        net.body, mean, std, content[None], style[None], content[None].clone(), num_steps=steps, log=log)
    best["seconds"] = time.perf_counter() - start
    best["t"] -= start
    best["per_call"] = best["seconds"] / best["calls"]
    best["score"] = lambda img: tutorial_loss(model, s_losses, c_losses, img[None])
    best["final"] = tutorial_loss(model, s_losses, c_losses, out)
    return best


def compare(net, content, style, size, steps, n_bfloat16, repeat):
    """One network: the tutorial's loop, then coursekit to the tutorial's best loss (float32, mixed).

    ``repeat`` rounds (each: the tutorial's loop up to its best call, then each coursekit run),
    and each side's fastest time: the machine's speed drifts by tens of percent over minutes.
    """
    best = tutorial(net, content, style, steps)
    initial = best["score"](content)
    print(f"  tutorial: {best['calls']} closure calls in {best['seconds']:.1f} s, loss {initial:.6g} -> final "
          f"{best['final']:.6g}; BEST {best['loss']:.6g} at call {best['call']}, {best['t']:.1f} s"
          + ("  (then it diverged)" if best["final"] > 2 * best["loss"] else ""))

    with torch.no_grad():
        acts = net(content[None])  # one pass gives every layer's channel count
    n_c = {name: acts[name].shape[1] for name in TUTORIAL_CONV}
    style_layers = {name: 4e6 / n_c[name] ** 2 for name in TUTORIAL_CONV}
    kw = dict(extractor=net, content_layer=TUTORIAL_CONTENT, style_layers=style_layers, alpha=2.0,
              beta=1.0, init="content", progress=False, rtol=0.0)
    _, check = transfer_style(content, style, schedule=[(size, 1)], **kw)
    print(f"  same objective: coursekit J(C) = {check.total[0]:.6g}, tutorial loss(C) = {initial:.6g}")
    runs = {"float32": 0} | ({f"mixed (up to {n_bfloat16} bfloat16)": n_bfloat16} if n_bfloat16 else {})
    t_tutorial, results = [best["t"]], {}
    for r in range(repeat):
        if r:  # the same deterministic loop again, stopped just after its best call
            again = tutorial(net, content, style, best["call"], last_call=best["call"])
            assert again["call"] == best["call"] and again["loss"] == best["loss"], "the tutorial's loop is not repeatable"
            t_tutorial.append(again["t"])
            print(f"  round {r + 1}: tutorial's best loss again at call {again['call']}, {again['t']:.1f} s")
        for label, n in runs.items():
            out = ours(content, style, size, steps, n, kw, best, label, r + 1)
            if label not in results or (out["seconds"] or float("inf")) < (results[label]["seconds"] or float("inf")):
                results[label] = out
    best["t"] = min(t_tutorial)
    print(f"  time to the tutorial's best loss, fastest of {repeat} round(s) each (tutorial: "
          + ", ".join(f"{t:.1f}" for t in t_tutorial) + " s):")
    for label, out in results.items():
        if out["seconds"] is None:
            print(f"    coursekit, {label}: never reached it; ratio undefined (goal <= {GOAL}x: NOT met)")
            continue
        ratio = out["seconds"] / best["t"]
        print(f"    coursekit, {label}: {out['seconds']:.1f} s / tutorial {best['t']:.1f} s = ratio {ratio:.2f}x "
              f"(goal <= {GOAL}x: {'met' if ratio <= GOAL else 'NOT met'})")
    return dict(content=content, style=style, tutorial=best, runs=results)


def ours(content, style, size, steps, n_bfloat16, kw, best, label, round_):
    """coursekit's run to the tutorial's best loss; prints what it took and returns the image."""
    start = time.perf_counter()
    image, hist = transfer_style(content, style, schedule=coarse_to_fine(size, steps), target_cost=best["loss"],
                                 bfloat16_evaluations=n_bfloat16, **kw)
    t_total = time.perf_counter() - start
    with torch.no_grad():  # the returned image, re-scored by the tutorial's own model
        reached = best["score"](image)
    at_size = [(t, b) for t, s, b in zip(hist.seconds, hist.size, hist.bfloat16, strict=True) if s == size]
    per = {}  # seconds between consecutive full-size evaluations, per precision
    for (t0, _), (t1, b) in zip(at_size, at_size[1:], strict=False):  # consecutive pairs
        per.setdefault("bfloat16" if b else "float32", []).append(t1 - t0)
    times = ", ".join(f"{k} {sum(v) / len(v):.3f} s = {sum(v) / len(v) / best['per_call']:.2f}x" for k, v in per.items())
    name = f"  round {round_}, coursekit, {label}"
    print(f"{name}: one evaluation at {size} px (forward + backward + optimiser step): "
          f"tutorial {best['per_call']:.3f} s; coursekit {times}")
    full = [j for j, s, b in zip(hist.total, hist.size, hist.bfloat16, strict=True) if s == size and not b]
    hits = [i for i, (j, s, b) in enumerate(zip(hist.total, hist.size, hist.bfloat16, strict=True))
            if s == size and not b and j <= best["loss"]]
    result = dict(image=image, loss=reached, seconds=None)
    if not full:
        print(f"{name}: no float32 evaluation at {size} px: its budget ({2 * steps}) is not more than "
              f"--bfloat16 {n_bfloat16}")
        return result
    if not hits:
        at = hist.seconds[hist.total.index(min(full))]
        print(f"{name}: did NOT reach the tutorial's best loss {best['loss']:.6g}: its best float32 J at "
              f"{size} px is {min(full):.6g} (tutorial's model: {reached:.6g}) at {at:.1f} s, "
              f"run stopped at {t_total:.1f} s")
        return result
    i = hits[0]
    counts = Counter((s, b) for s, b in zip(hist.size[: i + 1], hist.bfloat16[: i + 1], strict=True))
    stages = " + ".join(f"{n} at {s} px{' in bfloat16' if b else ''}" for (s, b), n in counts.items())
    result["seconds"] = hist.seconds[i]
    print(f"{name}: reached the tutorial's best loss {best['loss']:.6g} (at {hist.total[i]:.6g}; the "
          f"tutorial's model scores the image {reached:.6g}) after evaluations {stages}, {hist.seconds[i]:.1f} s")
    return result


def coarse_to_fine(size: int, steps: int) -> list[tuple[int, int]]:
    """coursekit's coarse-to-fine schedule: a quarter and half the size, then full size."""
    return [(max(16, size // 4), 30), (max(16, size // 2), 30), (size, 2 * steps)]


def save_png(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = 3 + max(len(r["runs"]) for r in results.values())
    fig, axes = plt.subplots(len(results), cols, figsize=(3.3 * cols, 3.8 * len(results)), squeeze=False,
                             layout="constrained")
    for row, (name, r) in zip(axes, results.items(), strict=True):
        t = r["tutorial"]
        panels = [(r["content"], f"content\n({name})"), (r["style"], "style"),
                  (t["image"], f"tutorial's best\nloss {t['loss']:.6g} at {t['t']:.1f} s (call {t['call']})")]
        for label, o in r["runs"].items():
            panels.append((o["image"], f"coursekit, {label}\nloss {o['loss']:.6g}, {o['seconds']:.1f} s "
                                       f"({o['seconds'] / t['t']:.2f}x)" if o["seconds"] is not None else
                           f"coursekit, {label}: its best\n(target NOT reached) loss {o['loss']:.6g}"))
        for ax in row:
            ax.axis("off")
        for ax, (img, title) in zip(row, panels, strict=False):  # fewer panels than columns: blank
            ax.imshow(img.clamp(0, 1).permute(1, 2, 0).numpy())
            ax.set_title(title, fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--steps", type=int, default=300, help="the tutorial's num_steps (closure calls)")
    p.add_argument("--content", default="astronaut")
    p.add_argument("--style", default="starry_night")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--bfloat16", type=int, default=200,
                   help="most bfloat16 evaluations of the mixed-precision run (0: none)")
    p.add_argument("--repeat", type=int, default=2, help="rounds; each side's fastest time counts")
    p.add_argument("--keep-freed-memory", action="store_true",
                   help="config.keep_freed_memory() first, for both loops (default: malloc as a user has it)")
    p.add_argument("--png", type=Path, default=Path(__file__).parent / "out" / "style_transfer.png")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    if a.keep_freed_memory:  # for both loops: freed tensors stay in the heap, not page-faulted in again
        print("glibc keeps freed memory for reuse (config.keep_freed_memory):", keep_freed_memory())
    n_bfloat16 = a.bfloat16
    if n_bfloat16 and not has_fast_bfloat16("cpu"):
        print("this CPU has no native bfloat16 (config.has_fast_bfloat16): no mixed-precision run")
        n_bfloat16 = 0
    # the tutorial needs content and style of the same size: both square, a.size x a.size
    content = content_image(a.content, size=(a.size, a.size))
    style = style_image(a.style, size=(a.size, a.size))
    layers = sorted(set(TUTORIAL_CONV), key=VGG19_LAYERS.index)
    networks = {}
    if imagenet_weights_file().is_file():
        networks["ImageNet VGG-19"] = vgg19_features(layers, weights="imagenet", pool="max")
    else:
        print(f"ImageNet VGG-19 weights not found at {imagenet_weights_file()}: only the offline network "
              "is compared")
    offline = vgg19_features(layers, weights="random", pool="max", generator=torch.Generator().manual_seed(0))
    networks["offline VGG-19"] = offline.rescale_([content[None], style[None]])
    results = {}
    for name, net in networks.items():
        print(f"{name}: {net.weights_source}")
        results[name] = compare(net, content, style, a.size, a.steps, n_bfloat16, a.repeat)
    save_png(results, a.png)
    print(f"images side by side: {a.png}")


if __name__ == "__main__":
    main()
