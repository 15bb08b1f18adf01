"""Generated ECG-like 1-D signals, some with a premature ventricular contraction (PVC) to detect.

A normal beat is a sum of Gaussian bumps, the P, Q, R, S and T waves (the shape used by
McSharry et al. 2003's synthetic ECG): P(+0.15) Q(−0.12) R(+1.0) S(−0.25) T(+0.3) at about
−0.2, −0.03, 0, +0.03, +0.25 s around the R peak. Beats follow each other at a seeded heart rate
(55–100 bpm) with a little beat-to-beat jitter, on a slowly wandering baseline with noise. In a
positive signal one beat is replaced by a PVC: it comes early (at 55–70 % of the usual interval),
has no P wave, a wide tall QRS and an inverted T, and is followed by a compensatory pause. The
detector has to find one such pattern anywhere in the window — what a Conv1d with max pooling does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

__all__ = ["SignalSet", "make_ecg_signals"]

# (amplitude, offset from the R peak in s, width in s) of each wave
_NORMAL = ((0.15, -0.20, 0.025), (-0.12, -0.03, 0.010), (1.0, 0.0, 0.012), (-0.25, 0.03, 0.012), (0.30, 0.25, 0.050))
_PVC = ((-0.35, -0.04, 0.030), (1.4, 0.02, 0.035), (-0.6, 0.10, 0.040), (-0.40, 0.32, 0.070))


@dataclass
class SignalSet:
    """Labelled 1-D signals.

    Attributes
    ----------
    signals : Tensor of shape (N, 1, L), float32
        NCL, the layout ``nn.Conv1d`` expects.
    labels : Tensor of shape (N,), int64
        1 if the signal holds a PVC, else 0.
    event_index : Tensor of shape (N,), int64
        Sample index of the centre of the PVC complex, −1 when there is none.
    fs : float
        Sampling rate in Hz.
    classes : list of str
        ``["normal", "PVC"]``.
    source : str
    """

    signals: torch.Tensor
    labels: torch.Tensor
    event_index: torch.Tensor
    fs: float
    classes: list[str]
    source: str

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def make_ecg_signals(
    n_signals: int,
    *,
    length: int = 1024,
    fs: float = 128.0,
    positive_fraction: float = 0.5,
    noise: float = 0.05,
    wander: float = 0.2,
    seed: int = 0,
) -> SignalSet:
    """Make ``n_signals`` seeded ECG-like signals; a ``positive_fraction`` of them hold one PVC.

    Parameters
    ----------
    n_signals : int
    length : int
        Samples per signal (>= 3 s worth, so that a PVC and its neighbours fit).
    fs : float
        Sampling rate (Hz); 128 Hz × 1024 samples = 8 s.
    positive_fraction : float
        Share of signals with a PVC, in [0, 1]; ``round(n * fraction)`` exactly.
    noise : float
        Std of white noise (the R wave is 1.0 tall).
    wander : float
        Largest amplitude of the slow baseline wander (a 0.15–0.4 Hz sine, amplitude 25–100 % of this).

    Returns
    -------
    SignalSet

    Examples
    --------
    >>> s = make_ecg_signals(4, seed=0)
    >>> tuple(s.signals.shape), s.labels.sum().item()
    ((4, 1, 1024), 2)
    """
    if isinstance(n_signals, bool) or not isinstance(n_signals, int) or n_signals < 1:
        raise ValueError(f"n_signals must be an int >= 1, got {n_signals!r}")
    if not (isinstance(fs, (int, float)) and fs >= 50):
        raise ValueError(f"fs must be a number >= 50 Hz (the QRS is ~0.1 s wide), got {fs!r}")
    if isinstance(length, bool) or not isinstance(length, int) or length < 3 * fs:
        raise ValueError(f"length must be an int >= 3 s * fs = {math.ceil(3 * fs)} samples, got {length!r}")
    if not (isinstance(positive_fraction, (int, float)) and 0.0 <= positive_fraction <= 1.0):
        raise ValueError(f"positive_fraction must be in [0, 1], got {positive_fraction!r}")
    if not (isinstance(noise, (int, float)) and 0.0 <= noise):
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    if not (isinstance(wander, (int, float)) and 0.0 <= wander):
        raise ValueError(f"wander must be a number >= 0, got {wander!r}")
    return _make_ecg_signals(n_signals, length, float(fs), float(positive_fraction), float(noise), float(wander), seed)


def _waves(t: torch.Tensor, centre: float, shape: tuple) -> torch.Tensor:
    out = torch.zeros_like(t)
    for amp, offset, width in shape:
        out += amp * torch.exp(-0.5 * ((t - centre - offset) / width) ** 2)
    return out


def _make_ecg_signals(n: int, length: int, fs: float, pos_frac: float, noise: float, wander: float,
                      seed: int) -> SignalSet:
    g = torch.Generator().manual_seed(seed)
    u = lambda lo, hi: lo + (hi - lo) * torch.rand((), generator=g).item()  # noqa: E731
    n_pos = round(n * pos_frac)
    labels = torch.zeros(n, dtype=torch.long)
    labels[torch.randperm(n, generator=g)[:n_pos]] = 1
    duration = length / fs
    t = torch.arange(length, dtype=torch.float32) / fs
    signals = torch.zeros(n, length)
    event = torch.full((n,), -1, dtype=torch.long)
    for i in range(n):
        rr = 60.0 / u(55, 100)  # seconds between beats
        beats = []
        r = u(0.1, rr)  # first R peak
        while r < duration + 0.5:
            beats.append(r)
            r += rr * u(0.95, 1.05)
        x = torch.zeros(length)
        pvc_at = None
        if labels[i]:
            # a beat far enough from both ends that the whole PVC complex and its pause are in the window
            inner = [k for k in range(1, len(beats))
                     if beats[k - 1] + 0.55 * rr >= 0.4 and beats[k - 1] + 0.7 * rr <= duration - 0.6]
            k = inner[int(torch.randint(len(inner), (), generator=g))]
            pvc_at = beats[k - 1] + rr * u(0.55, 0.70)
            beats = beats[:k] + [b + 0.25 * rr for b in beats[k:]]  # compensatory pause after the PVC
        for b in beats:
            x += _waves(t, b, _NORMAL)
        if pvc_at is not None:
            x += _waves(t, pvc_at, _PVC)
            event[i] = round(pvc_at * fs)
        drift = wander * u(0.25, 1.0) * torch.sin(2 * math.pi * u(0.15, 0.4) * t + u(0, 2 * math.pi))
        signals[i] = x + drift + noise * torch.randn(length, generator=g)
    return SignalSet(signals[:, None].contiguous(), labels, event, fs, ["normal", "PVC"],
                     f"generated ECG-like signals, {fs:g} Hz, {duration:g} s, seed {seed}")
