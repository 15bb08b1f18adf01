"""coursekit.training.loop: fit (steps, budgets, evaluation, history, devices, progress bars), TrainingBudget, Run."""

import warnings
from collections import namedtuple

import pytest
import torch
from torch import nn

from coursekit.training import loop
from coursekit.training.budget import TrainingBudget
from coursekit.training.loop import History, Run, fit, to_device


def _data(n_batches=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    w = torch.tensor([[2.0], [-1.0]])
    xs = [torch.randn(8, 2, generator=g) for _ in range(n_batches)]
    return [(x, x @ w + 0.5) for x in xs]


def _mse(model, batch):
    x, y = batch
    return nn.functional.mse_loss(model(x), y)


def _model(seed=0):
    torch.manual_seed(seed)
    return nn.Linear(2, 1)


def test_losses_match_a_hand_written_sgd_loop():
    data = _data()
    m1, m2 = _model(), _model()
    hist = fit(m1, data, _mse, torch.optim.SGD(m1.parameters(), lr=0.1), n_epochs=2, progress=False)
    opt = torch.optim.SGD(m2.parameters(), lr=0.1)
    ref = []
    for _ in range(2):
        for batch in data:
            loss = _mse(m2, batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            ref.append(loss.item())
    assert hist.step == list(range(1, 11))
    assert hist.loss == pytest.approx(ref, rel=1e-6)
    torch.testing.assert_close(m1.weight, m2.weight)
    assert hist.seconds > 0


def test_learns_a_linear_map():
    model = _model()
    hist = fit(model, _data(20), _mse, torch.optim.Adam(model.parameters(), lr=0.05), n_epochs=10, progress=False)
    assert hist.loss[-1] < 1e-2 < hist.loss[0]
    torch.testing.assert_close(model.weight.detach(), torch.tensor([[2.0, -1.0]]), atol=0.1, rtol=0)


def test_max_steps_and_max_seconds_stop_early():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    assert fit(model, _data(), _mse, opt, n_epochs=3, budget=TrainingBudget(max_steps=7),
               progress=False).step == list(range(1, 8))


class _FakeClock:
    """time.perf_counter that advances by `tick` seconds per call: a deterministic wall clock."""

    def __init__(self, tick):
        self.t, self.tick = 0.0, tick

    def __call__(self):
        self.t += self.tick
        return self.t


def test_max_seconds_stops_after_the_step_that_spends_it(monkeypatch):
    # fit reads the clock once at the start and once after every step: with 1 s per read,
    # n s have elapsed after step n, so a 3.5 s budget is spent after step 4 (4 s >= 3.5 s)
    monkeypatch.setattr(loop.time, "perf_counter", _FakeClock(1.0))
    model = _model()
    hist = fit(model, _data(), _mse, torch.optim.SGD(model.parameters(), lr=0.01), n_epochs=10,
               budget=TrainingBudget(max_seconds=3.5), progress=False)
    assert hist.step == [1, 2, 3, 4]
    # whichever limit comes first: 2 steps < 3.5 s
    hist = fit(model, _data(), _mse, torch.optim.SGD(model.parameters(), lr=0.01), n_epochs=10,
               budget=TrainingBudget(max_steps=2, max_seconds=3.5), progress=False)
    assert hist.step == [1, 2]


def test_run_reports_steps_and_seconds():
    h = History(step=[1, 2, 3], loss=[1.0, 0.5, 0.2], seconds=2.5)
    run = Run(nn.Linear(1, 1), h, {"acc": 0.9})
    assert run.steps == 3 and run.seconds == 2.5 and run.info == {}
    assert Run(nn.Linear(1, 1), History()).steps == 0


def _bar_text(capsys, **kwargs):
    model = _model()
    fit(model, _data(3), _mse, torch.optim.SGD(model.parameters(), lr=0.01), progress=True, desc="demo", **kwargs)
    return capsys.readouterr().err


def test_progress_bar_shows_the_budget_that_binds(capsys):
    # steps bind: steps of the total, no huge total
    err = _bar_text(capsys, n_epochs=2)
    assert "demo" in err and "/6" in err
    # time budget: seconds of max_seconds, the step count in the postfix, never a billion steps
    err = _bar_text(capsys, n_epochs=2, budget=TrainingBudget(max_seconds=900))
    assert "/900 s" in err and "step 6/6" in err and "1000000000" not in err
    err = _bar_text(capsys, n_epochs=1, budget=TrainingBudget(max_steps=2))
    assert "2/2" in err


def test_metrics_scheduler_and_history_continuation():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    def step(m, batch):
        return _mse(m, batch), {"lr": opt.param_groups[0]["lr"], "n": torch.tensor(len(batch[0]))}

    hist = fit(model, _data(3), step, opt, scheduler=sched, progress=False)
    assert hist.metrics["lr"] == [1.0, 0.5, 0.25] and hist.metrics["n"] == [8.0, 8.0, 8.0]
    more = fit(model, _data(2), step, opt, history=hist, progress=False)
    assert more is hist and hist.step == [1, 2, 3, 4, 5] and len(hist.metrics["lr"]) == 5


def test_eval_runs_every_k_steps_in_eval_mode_without_grad_and_once_at_the_end():
    model = nn.Sequential(nn.Linear(2, 1), nn.Dropout(0.5))
    seen = []

    def eval_fn(m):
        seen.append((m.training, torch.is_grad_enabled()))
        return {"w": m[0].weight.sum().item()}

    hist = fit(model, _data(5), _mse, torch.optim.SGD(model.parameters(), lr=0.01),
               eval_fn=eval_fn, eval_every=2, progress=False)
    assert hist.eval_step == [2, 4, 5]
    assert seen == [(False, False)] * 3 and model.training
    assert len(hist.eval_metrics["w"]) == 3
    hist = fit(model, _data(4), _mse, torch.optim.SGD(model.parameters(), lr=0.01),
               eval_fn=eval_fn, eval_every=2, progress=False)
    assert hist.eval_step == [2, 4]  # the last step was just evaluated: not twice
    hist = fit(model, _data(3), _mse, torch.optim.SGD(model.parameters(), lr=0.01), n_epochs=2,
               eval_fn=eval_fn, progress=False)
    assert hist.eval_step == [3, 6]  # default: at the end of every epoch


def test_as_dict_round_trip():
    h = History(step=[1], loss=[0.5], metrics={"a": [1.0]}, eval_step=[1], eval_metrics={"b": [2.0]}, seconds=1.5,
                cpu_seconds=1.0)
    assert History(**h.as_dict()) == h
    h.record(2, torch.tensor(0.25), a=torch.tensor(3.0))
    h.record_eval(2, b=1)
    assert h.step == [1, 2] and h.loss == [0.5, 0.25] and h.metrics == {"a": [1.0, 3.0]}
    assert h.eval_step == [1, 2] and h.eval_metrics == {"b": [2.0, 1.0]}


def test_batches_reach_step_fn_on_the_device_nested():
    Pair = namedtuple("Pair", "x y")
    batch = {"a": [torch.zeros(2, dtype=torch.float64), (torch.ones(1), "keep")], "p": Pair(torch.ones(2), 3)}
    moved = to_device(batch, "meta")
    assert moved["a"][0].device.type == "meta" and moved["a"][0].dtype == torch.float64
    assert isinstance(moved["a"][1], tuple) and moved["a"][1][1] == "keep"
    assert isinstance(moved["p"], Pair) and moved["p"].x.device.type == "meta" and moved["p"].y == 3

    devices = []

    def step(m, b):
        devices.append(b[0].device)
        return _mse(m, b)

    model = _model()
    fit(model, _data(2), step, torch.optim.SGD(model.parameters(), lr=0.1), device="cpu", progress=False)
    assert devices == [torch.device("cpu")] * 2


def _fit(**kwargs):
    model = _model()
    args = {"model": model, "batches": _data(2), "step_fn": _mse,
            "optimizer": torch.optim.SGD(model.parameters(), lr=0.1), "progress": False}
    return fit(**(args | kwargs))


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"model": lambda x: x}, TypeError, r"model must be an nn.Module, got function"),
        ({"optimizer": "sgd"}, TypeError, r"optimizer must be a torch.optim.Optimizer, got str"),
        ({"step_fn": 3}, TypeError, r"step_fn must be callable"),
        ({"n_epochs": 0}, ValueError, r"n_epochs must be an int >= 1, got 0"),
        ({"n_epochs": 1.5}, TypeError, r"n_epochs must be an int >= 1, got float 1.5"),
        ({"n_epochs": True}, TypeError, r"n_epochs must be an int >= 1, got bool True"),
        ({"budget": 10}, TypeError, r"budget must be a TrainingBudget or None, got int 10"),
        ({"eval_every": 0}, ValueError, r"eval_every must be an int >= 1, got 0"),
        ({"device": 0}, TypeError, r"device must be a device name"),
        ({"history": {}}, TypeError, r"history must be a History or None, got dict"),
        ({"batches": []}, ValueError, r"batches yielded no batch"),
        ({"step_fn": lambda m, b: 1.0}, TypeError, r"step_fn must return a scalar loss tensor .* got float"),
        ({"step_fn": lambda m, b: (m(b[0]) - b[1]).pow(2)}, ValueError, r"scalar loss, got shape \(8, 1\)"),
        ({"step_fn": lambda m, b: m(b[0]).sum() * float("nan")}, FloatingPointError, r"loss became nan at step 1"),
    ],
)
def test_rejects_bad_input(kwargs, err, match):
    with pytest.raises(err, match=match):
        _fit(**kwargs)


def test_history_records_a_loss_that_still_requires_grad_without_warning():
    w = torch.tensor(2.0, requires_grad=True)
    h = History()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns when float() meets a tensor that requires grad
        h.record(1, w * 3, fraction=w / 4)
        h.record_eval(1, accuracy=w - 1.5)
    assert h.loss == [6.0] and h.metrics == {"fraction": [0.5]} and h.eval_metrics == {"accuracy": [0.5]}
