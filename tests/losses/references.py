"""Brute-force references shared by the tests of coursekit.losses: loops and the post's dense code."""

import numpy as np
import torch

from coursekit.distances import pairwise_distances
from coursekit.losses import valid_triplet_mask

DTYPES = [torch.float32, torch.float64]


def dist_bruteforce(e, squared):
    e = np.asarray(e, dtype=np.float64)
    d = np.zeros((len(e), len(e)))
    for i in range(len(e)):
        for j in range(len(e)):
            d[i, j] = np.sum((e[i] - e[j]) ** 2)
    return d if squared else np.sqrt(d)


def batch_all_bruteforce(labels, e, margin, squared):
    d = dist_bruteforce(e, squared)
    total, n_pos, n_valid = 0.0, 0, 0
    for a in range(len(labels)):
        for p in range(len(labels)):
            for n in range(len(labels)):
                if a == p or labels[a] != labels[p] or labels[a] == labels[n]:
                    continue
                n_valid += 1
                t = max(d[a, p] - d[a, n] + margin, 0.0)
                total += t
                n_pos += t > 1e-16
    return total / (n_pos + 1e-16), n_pos / (n_valid + 1e-16)


def batch_hard_bruteforce(labels, e, margin, squared):
    d = dist_bruteforce(e, squared)
    out = []
    for a in range(len(labels)):
        pos = [d[a, p] for p in range(len(labels)) if p != a and labels[p] == labels[a]]
        neg = [d[a, n] for n in range(len(labels)) if labels[n] != labels[a]]
        out.append(max(max(pos, default=0.0) - min(neg) + margin, 0.0))
    return float(np.mean(out))


def batch_all_dense_post(labels, e, margin, squared):
    """The post's TensorFlow code, line by line in PyTorch: the (B, B, B) version."""
    d = pairwise_distances(e, squared)
    t = d[:, :, None] - d[:, None, :] + margin
    t = valid_triplet_mask(labels).to(e.dtype) * t
    t = torch.relu(t)
    n_pos = (t > 1e-16).to(e.dtype).sum()
    n_valid = valid_triplet_mask(labels).to(e.dtype).sum()
    return t.sum() / (n_pos + 1e-16), n_pos / (n_valid + 1e-16)


def make_batch(b=12, d=5, n_classes=3, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(b) % n_classes
    labels = labels[torch.randperm(b, generator=g)]
    return labels, torch.randn(b, d, generator=g, dtype=dtype)


def tol(dtype):
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == torch.float32 else {"rtol": 1e-9, "atol": 1e-10}

