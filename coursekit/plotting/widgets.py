"""Sliders for live figures (ipywidgets): a threshold slider over the values actually seen."""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["slider_range", "threshold_slider"]


def slider_range(values, steps: int = 100) -> tuple[float, float, float, int]:
    """A slider's ``(low, high, step, digits)`` spanning ``values`` in about ``steps`` positions.

    ``step`` is ``(max - min) / steps`` rounded to one significant digit; ``low`` and ``high`` are
    ``min`` and ``max`` rounded outwards to multiples of ``step``; ``digits`` (at least 2) is how
    many decimals show one step.

    Parameters
    ----------
    values : Tensor or array of shape (N,), finite, N >= 1
    steps : int, >= 2

    Returns
    -------
    low, high, step : float
    digits : int

    Examples
    --------
    >>> slider_range([0.0196, 0.0925])
    (0.0196, 0.0931, 0.0007, 4)
    """
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"steps must be an int, got {type(steps).__name__}")
    if steps < 2:
        raise ValueError(f"steps must be >= 2, got {steps}")
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size == 0 or not np.isfinite(v).all():
        raise ValueError(f"values must be a non-empty 1-D array of finite numbers, got shape {v.shape}")
    lo, hi = float(v.min()), float(v.max())
    spread = hi - lo if hi > lo else max(abs(hi), 1.0)  # all equal: a slider around that one value
    step = float(f"{spread / steps:.0e}")
    digits = max(2, -math.floor(math.log10(step)))
    low = round(math.floor(lo / step + 1e-9) * step, digits)
    high = round(math.ceil(hi / step - 1e-9) * step, digits)
    if high <= low:
        high = round(low + step, digits)
    return low, high, step, digits


def threshold_slider(values, value: float, *, steps: int = 100, description: str = "threshold τ"):
    """An ``ipywidgets.FloatSlider`` over the range of ``values`` (see ``slider_range``).

    It starts at ``value`` (clipped to the range, snapped to a step), shows a readout with as
    many decimals as a step needs, updates on release, and is wide (90 % of the output area), so
    that one pixel of a drag is a fraction of a step.

    Parameters
    ----------
    values : Tensor or array of shape (N,)
        The distances (or scores) the threshold is compared with.
    value : float
        Where the slider starts, e.g. the chosen threshold.

    Returns
    -------
    ipywidgets.FloatSlider
    """
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"value must be a float, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"value must be finite, got {value}")
    if not isinstance(description, str):
        raise TypeError(f"description must be a str, got {type(description).__name__}")
    low, high, step, digits = slider_range(values, steps)
    import ipywidgets as widgets

    start = round(min(max(round(float(value) / step) * step, low), high), digits)
    return widgets.FloatSlider(
        value=start, min=low, max=high, step=step, description=description, readout=True,
        readout_format=f".{digits}f", continuous_update=False,
        style={"description_width": "initial"}, layout=widgets.Layout(width="90%"),
    )
