"""ThreadTuner: picks the faster thread count from timed steps, measures again, restores."""

import pytest
import torch

from coursekit.training import TrainingBudget, fit
from coursekit.training.threads import ThreadTuner


class FakeSteps:
    """A clock and a step whose duration depends on torch's thread count: ``cost[threads]``."""

    def __init__(self, cost):
        self.cost, self.now = cost, 0.0

    def clock(self):
        return self.now

    def step(self, tuner):
        self.now += self.cost[torch.get_num_threads()]
        tuner.step_done()


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize(("cost", "best"), [({1: 0.14, 2: 0.084}, 2), ({1: 0.14, 2: 0.23}, 1)])
def test_picks_the_candidate_with_the_shorter_steps_and_restores(two_threads, cost, best):
    steps = FakeSteps(cost)
    with ThreadTuner(probe_steps=3, every=60.0, clock=steps.clock) as tuner:
        assert tuner.candidates == [1, 2]
        for _ in range(8):  # (1 untimed + 3 timed) per candidate
            steps.step(tuner)
        assert [n for _, n in tuner.chosen] == [best]
        assert torch.get_num_threads() == best
        for _ in range(5):
            steps.step(tuner)
            assert torch.get_num_threads() == best  # keeps the choice between rounds
    assert torch.get_num_threads() == 2


def test_measures_again_when_the_load_changes(two_threads):
    steps = FakeSteps({1: 0.14, 2: 0.084})  # idle machine: two threads win
    with ThreadTuner(probe_steps=2, every=10.0, clock=steps.clock) as tuner:
        while len(tuner.chosen) < 1:
            steps.step(tuner)
        assert tuner.chosen[-1][1] == 2
        steps.cost = {1: 0.14, 2: 0.5}  # another program took a core
        while len(tuner.chosen) < 2:
            steps.step(tuner)
        assert tuner.chosen[-1][1] == 1
        assert tuner.chosen[1][0] - tuner.chosen[0][0] >= 10.0  # not before `every` seconds


def test_the_step_after_a_switch_is_not_timed(two_threads):
    steps = FakeSteps({1: 0.1, 2: 0.2})
    tuner = ThreadTuner(candidates=[1, 2], probe_steps=1, clock=steps.clock)
    steps.step(tuner)  # the count in use (2) first: no switch, timed: 0.2
    assert torch.get_num_threads() == 1
    steps.now += 0.15  # the switch to 1 thread costs something: 0.25 s, not timed (else 2 would win)
    steps.step(tuner)
    steps.step(tuner)
    assert [n for _, n in tuner.chosen] == [1]
    tuner.close()


def test_a_hopeless_candidate_is_dropped_after_one_step_and_confirmed_choices_wait_longer():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        steps = FakeSteps({1: 0.1, 2: 5.0})  # two threads on a busy machine: 50x slower
        tuner = ThreadTuner(candidates=[1, 2], probe_steps=3, every=10.0, clock=steps.clock)
        n = 0
        while not tuner.chosen:
            steps.step(tuner)
            n += 1
        assert n == 4 and tuner.chosen[-1][1] == 1  # 3 steps with 1 thread, then a single one with 2
        while len(tuner.chosen) < 3:
            steps.step(tuner)
        gaps = [b[0] - a[0] for a, b in zip(tuner.chosen, tuner.chosen[1:], strict=False)]
        assert 10.0 <= gaps[0] < 16 and 20.0 <= gaps[1] < 26  # `every`, then twice that once the choice held
        tuner.close()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_one_candidate_does_nothing(two_threads):
    steps = FakeSteps({2: 0.1})
    with ThreadTuner(candidates=[2], clock=steps.clock) as tuner:
        for _ in range(10):
            steps.step(tuner)
    assert tuner.chosen == [] and torch.get_num_threads() == 2


def test_fit_with_auto_threads_trains_and_restores_the_thread_count(two_threads):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    x = torch.randn(16, 3)
    batches = [(x, x.sum(1, keepdim=True))] * 40
    hist = fit(model, batches, lambda m, b: ((m(b[0]) - b[1]) ** 2).mean(), torch.optim.SGD(model.parameters(), 0.1),
               budget=TrainingBudget(max_steps=40), device="cpu", progress=False, threads="auto")
    assert hist.loss[-1] < hist.loss[0] / 10
    assert torch.get_num_threads() == 2
    with pytest.raises(ValueError, match="threads must be None or 'auto', got 'all'"):
        fit(model, batches, lambda m, b: m(b[0]).sum(), torch.optim.SGD(model.parameters(), 0.1), threads="all")


def test_bad_arguments():
    with pytest.raises(TypeError, match="candidates must be a non-empty sequence"):
        ThreadTuner(candidates=[])
    with pytest.raises(TypeError, match="candidates must be a non-empty sequence"):
        ThreadTuner(candidates=2)
    with pytest.raises(ValueError, match="each candidate must be an int >= 1"):
        ThreadTuner(candidates=[0, 2])
    with pytest.raises(ValueError, match="probe_steps must be an int >= 1"):
        ThreadTuner(probe_steps=0)
    with pytest.raises(ValueError, match="every must be a positive number of seconds, got -1"):
        ThreadTuner(every=-1)
