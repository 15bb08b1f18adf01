"""coursekit.training.cached: a Run trained once, then loaded by its explicit parameters."""

import pytest
import torch
from torch import nn

from coursekit.training import History, Run
from coursekit.training.cached import cached_run


def _trainer(calls, value=1.0):
    def train():
        calls.append(1)
        model = nn.Linear(2, 1)
        nn.init.constant_(model.weight, value)
        hist = History()
        hist.record(1, 0.5, acc=0.25)
        return Run(model, hist, {"auc": 0.75}, {"data": "demo", "vocab": object()})

    return train


def test_trains_once_then_loads_weights_history_and_metrics(tmp_path):
    calls = []
    first = cached_run("demo", {"lr": 0.1, "x": torch.arange(3)}, _trainer(calls), lambda: nn.Linear(2, 1),
                       cache_dir=tmp_path)
    assert not first.info["from_cache"] and first.info["vocab"] is not None and calls == [1]
    again = cached_run("demo", {"x": torch.arange(3), "lr": 0.1}, _trainer(calls), lambda: nn.Linear(2, 1),
                       cache_dir=tmp_path)
    assert again.info["from_cache"] and calls == [1] and not again.model.training
    assert torch.equal(again.model.weight, first.model.weight)
    assert again.history == first.history and again.metrics == {"auc": 0.75}
    assert again.info["data"] == "demo" and "vocab" not in again.info  # only JSON-able facts are stored
    assert again.info["path"] == first.info["path"]
    # other parameters, or retrain=True: trained again
    cached_run("demo", {"lr": 0.2, "x": torch.arange(3)}, _trainer(calls), lambda: nn.Linear(2, 1), cache_dir=tmp_path)
    cached_run("demo", {"lr": 0.1, "x": torch.arange(3)}, _trainer(calls, 2.0), lambda: nn.Linear(2, 1),
               cache_dir=tmp_path, retrain=True)
    assert calls == [1, 1, 1]
    loaded = cached_run("demo", {"lr": 0.1, "x": torch.arange(3)}, _trainer(calls), lambda: nn.Linear(2, 1),
                        cache_dir=tmp_path)
    assert loaded.model.weight.eq(2.0).all() and calls == [1, 1, 1]


def test_bad_input(tmp_path):
    with pytest.raises(TypeError, match="train and new_model must be callables"):
        cached_run("demo", {}, None, lambda: nn.Linear(1, 1), cache_dir=tmp_path)
    with pytest.raises(TypeError, match=r"train\(\) must return a Run, got tuple"):
        cached_run("demo", {}, lambda: (nn.Linear(1, 1), History()), lambda: nn.Linear(1, 1), cache_dir=tmp_path)
    with pytest.raises(TypeError, match="cache key parameters must be"):
        cached_run("demo", {"f": print}, _trainer([]), lambda: nn.Linear(2, 1), cache_dir=tmp_path)
