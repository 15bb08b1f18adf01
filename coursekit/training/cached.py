"""Train once, then load: a :class:`~coursekit.training.loop.Run` cached by its explicit parameters.

The weights and the training history go into one :mod:`coursekit.cache` file whose name is a
hash of ``params``, the values that decide the result (settings, seed, the training images).
Running the same cell again loads the file instead of training; any change of ``params`` trains
anew. A damaged file is reported once and retrained.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from torch import nn

from .. import cache
from ..validation import describe
from .loop import History, Run

__all__ = ["cached_run"]


def cached_run(
    kind: str,
    params: Mapping[str, Any],
    train: Callable[[], Run],
    new_model: Callable[[], nn.Module],
    *,
    cache_dir: str | os.PathLike | None = None,
    retrain: bool = False,
) -> Run:
    """Return ``train()``'s result, from the cache when the same ``params`` were trained before.

    Parameters
    ----------
    kind : str
        The cache folder, e.g. ``"face_embedding"``.
    params : mapping
        Every explicit value that decides the trained weights (see ``coursekit.cache.cache_key``:
        numbers, strings, tensors such as the training images...). Never the device.
    train : callable
        ``train() -> Run``; called only when there is no usable cache.
    new_model : callable
        ``new_model() -> nn.Module`` with the architecture ``train`` returns, to load weights into.
    cache_dir : path, optional
        Default ``config.cache_dir()``.
    retrain : bool
        Train and overwrite even when a cache exists.

    Returns
    -------
    Run
        ``model`` in eval mode (on the CPU when loaded, where ``train`` left it otherwise),
        ``history`` and ``metrics`` (the stored ones when loaded); ``info`` adds ``from_cache``
        and ``path``.
    """
    if not callable(train) or not callable(new_model):
        raise TypeError(f"train and new_model must be callables, got {describe(train)} and {describe(new_model)}")
    path = cache.cache_path(kind, params, cache_dir=cache_dir)
    trained: list[Run] = []

    def build():
        run = train()
        if not isinstance(run, Run):
            raise TypeError(f"train() must return a Run, got {describe(run)}")
        trained.append(run)
        info = {k: v for k, v in run.info.items() if isinstance(v, (str, int, float, bool, type(None)))}
        return run.model.state_dict(), {"history": run.history.as_dict(), "metrics": run.metrics, "info": info}

    state, meta, from_cache = cache.load_or_build(path, build, rebuild=retrain)
    if trained:
        run = trained[0]
        run.model.eval()
    else:
        model = new_model()
        model.load_state_dict(state)
        run = Run(model.eval(), History(**meta["history"]), dict(meta["metrics"]), dict(meta["info"]))
    run.info.update(from_cache=from_cache, path=str(path))
    return run
