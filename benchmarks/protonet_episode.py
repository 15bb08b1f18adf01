"""Seconds per prototypical-network training episode: coursekit's ``train_protonet`` vs the plain loop.

Peer: the textbook PyTorch loop on the same episodes — float32, default (NCHW) memory layout,
``loss = prototypical_loss(...)``, ``backward``, ``Adam.step`` — as Snell et al.'s reference code
and most tutorials write it. coursekit: ``train_protonet`` itself (channels-last activations,
bfloat16 autocast where the CPU supports it, same encoder, same episodes, same optimiser),
timed over the same number of episodes. Printed: seconds per episode and the ratio.

    python benchmarks/protonet_episode.py [--way 40] [--shot 1] [--query 5] [--steps 30] [--threads N]

On a shared machine (``--busy N``: N other processes run a 2-thread PyTorch convolution loop, as
another notebook would, for the whole measurement) the comparison is ``train_protonet`` with
its thread count chosen by timing (``threads="auto"``, the default) against the same with
torch's own thread count (``threads=None``): seconds per episode and the ratio.

    python benchmarks/protonet_episode.py --busy 1 --steps 60
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from itertools import islice

import torch

from coursekit.augment import glyph_tensor
from coursekit.data import make_glyphs
from coursekit.fewshot.classifiers import prototypical_loss
from coursekit.models import Conv4
from coursekit.training import GlyphEpisodes, TrainingBudget, autocast_dtype, train_protonet


def plain_loop(encoder, episodes) -> None:
    optimizer = torch.optim.Adam(encoder.parameters(), lr=1e-3)
    for support, query in episodes:
        n_way, k, *img = support.shape
        z = encoder(torch.cat([support.reshape(-1, *img), query.reshape(-1, *img)]))
        loss, _ = prototypical_loss(z[: n_way * k].view(n_way, k, -1), z[n_way * k :].view(n_way, query.shape[1], -1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


BUSY_LOOP = """
import torch
torch.set_num_threads(2)
x, w = torch.rand(8, 64, 56, 56), torch.rand(64, 64, 3, 3)
while True:
    torch.nn.functional.conv2d(x, w, padding=1)
"""


def busy_comparison(a, x, y) -> None:
    """train_protonet with threads="auto" vs threads=None while `a.busy` other processes compute."""
    others = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(a.busy)]
    try:
        time.sleep(2.0)  # let them start
        times = {}
        for threads in ("auto", None, "auto", None):  # interleaved, best of two
            torch.manual_seed(0)
            run = train_protonet(Conv4(), x, y, TrainingBudget(max_steps=a.steps), n_way=a.way, k_shot=a.shot,
                                 n_query=a.query, progress=False, device="cpu", threads=threads,
                                 generator=torch.Generator().manual_seed(0))
            key = "threads='auto'" if threads else f"threads=None ({torch.get_num_threads()})"
            times[key] = min(times.get(key, float("inf")), run.seconds / a.steps)
    finally:
        for p in others:
            p.kill()
    for name, s in times.items():
        print(f"{name:>16}: {s * 1e3:7.1f} ms per episode, beside {a.busy} busy 2-thread process(es)")
    auto, fixed = times.values()
    print(f"auto / fixed: {auto / fixed:.2f}x the time")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--way", type=int, default=40)
    ap.add_argument("--shot", type=int, default=1)
    ap.add_argument("--query", type=int, default=5)
    ap.add_argument("--size", type=int, default=28)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--busy", type=int, default=0, help="other busy processes beside the measurement")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    glyphs = make_glyphs(a.way + 10, a.shot + a.query + 2, size=a.size, seed=0)
    x, y = glyph_tensor(glyphs.images, a.size), glyphs.labels
    budget = TrainingBudget(max_steps=a.steps)
    kw = dict(n_way=a.way, k_shot=a.shot, n_query=a.query)

    def episodes(n):
        return list(islice(GlyphEpisodes(x, y, generator=torch.Generator().manual_seed(0), **kw), n))

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {a.way}-way {a.shot}-shot "
          f"{a.query} queries ({a.way * (a.shot + a.query)} images of {a.size}x{a.size}), conv4, "
          f"autocast on this CPU: {autocast_dtype('cpu')}")
    if a.busy:
        busy_comparison(a, x, y)
        return
    times = {}
    for name in ("plain loop", "train_protonet", "plain loop", "train_protonet"):  # interleaved, best of two
        torch.manual_seed(0)
        encoder = Conv4()
        plain_loop(encoder, episodes(2))  # warm-up
        if name == "plain loop":
            batches = episodes(a.steps)  # augmentation outside the clock, as below
            t = time.perf_counter()
            plain_loop(encoder, batches)
            seconds = time.perf_counter() - t
        else:
            run = train_protonet(encoder, x, y, budget, n_way=a.way, k_shot=a.shot, n_query=a.query, progress=False,
                                 device="cpu", generator=torch.Generator().manual_seed(0))
            seconds = run.seconds  # includes drawing and warping the episodes: the peer's clock does not
        times[name] = min(times.get(name, float("inf")), seconds / a.steps)
    for name, s in times.items():
        print(f"{name:>15}: {s * 1e3:7.1f} ms per episode")
    print(f"train_protonet / plain loop: {times['train_protonet'] / times['plain loop']:.2f}x the time")


if __name__ == "__main__":
    main()
