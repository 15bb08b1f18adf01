"""coursekit.training.budget: TrainingBudget, the cosine schedule over it, the progress bar."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from coursekit.training.budget import BudgetBar, CosineByBudget, TrainingBudget


def _model():
    torch.manual_seed(0)
    return nn.Linear(2, 1)


def test_budget_and_cosine_schedule():
    b = TrainingBudget(max_steps=10, max_seconds=100)
    assert b.fraction_spent(5, 10.0) == 0.5 and b.fraction_spent(1, 80.0) == 0.8 and b.fraction_spent(20, 0) == 1.0
    assert not b.is_spent(9, 99.0) and b.is_spent(10, 0.0) and b.is_spent(0, 100.0)
    assert TrainingBudget(max_steps=np.int64(3)).max_steps == 3
    with pytest.raises(ValueError, match="needs max_steps, max_seconds or both"):
        TrainingBudget()
    with pytest.raises(ValueError, match="max_seconds must be > 0, got 0"):
        TrainingBudget(max_seconds=0)
    with pytest.raises(ValueError, match="max_steps must be an int >= 1, got 0"):
        TrainingBudget(max_steps=0)
    with pytest.raises(TypeError, match="max_steps must be an int >= 1, got float 2.5"):
        TrainingBudget(max_steps=2.5)
    with pytest.raises(ValueError, match="max_seconds must be a finite number, got nan"):
        TrainingBudget(max_seconds=float("nan"))
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    sched = CosineByBudget(opt, 1.0, TrainingBudget(max_steps=4))
    lrs = []
    for _ in range(4):
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    ref = [0.5 * (1 + math.cos(math.pi * t / 4)) for t in range(1, 5)]  # torch's CosineAnnealingLR(T_max=4)
    assert lrs == pytest.approx(ref, abs=1e-12)


def test_budget_bar_counts_seconds_for_a_time_budget_and_steps_otherwise(capsys):
    bar = BudgetBar(3, 60.0, "demo", True)
    for step, seconds in ((1, 10.0), (2, 20.0), (3, 75.0)):
        bar.update(step, seconds, 0.5)
    assert bar.bar.n == 60.0 and bar.bar.total == 60.0  # capped at the budget
    bar.close()
    err = capsys.readouterr().err
    assert "60/60 s" in err and "step 3/3" in err
    bar = BudgetBar(4, None, "demo", True)
    for step in (1, 2):
        bar.update(step, 0.1 * step, 0.5)
    assert bar.bar.n == 2 and bar.bar.total == 4
    bar.close()
    assert "2/4" in capsys.readouterr().err
    quiet = BudgetBar(None, None, "demo", False)
    quiet.update(1, 0.1, 0.5)
    quiet.close()
    assert capsys.readouterr().err == ""
