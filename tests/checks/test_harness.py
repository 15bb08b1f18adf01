"""The exercise-check machinery: kinds, comparison, diagnosis on every case, messages, rendering."""

import numpy as np
import pytest
import torch

from coursekit.authoring import student_source
from coursekit.checks import (
    PLACEHOLDER_PREFIX,
    Case,
    CheckFailed,
    Grad,
    Mistake,
    compare,
    rel_error,
    run_check,
)


def _square(x):
    return x * x


CASES = [Case("vector", (torch.tensor([1.0, -2.0, 3.0]),)), Case("zero", (torch.zeros(2),))]


def test_rel_error_hand_computed():
    assert rel_error(1.0, 1.0) == 0.0
    assert rel_error(np.array([1.0, 3.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert rel_error(torch.zeros(3), torch.zeros(3)) == 0.0
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.zeros(2), np.zeros(3))


@pytest.mark.parametrize(("got", "expected", "fragment"), [
    (torch.ones(2, 3), torch.ones(3, 2), "has shape (2, 3), expected (3, 2)"),
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]), "output[1] is 2, expected 2.5 (1 of 2 entries differ)"),
    (torch.tensor([True, False]), torch.tensor([True, True]), "output[1] is False, expected True"),
    (torch.tensor([1, 0]), torch.tensor([True, False]), "dtype torch.int64, expected torch.bool"),
    (torch.tensor([[1, 2], [3, 5]]), torch.tensor([[1, 2], [3, 4]]), "output[1, 1] is 5, expected 4"),
    (torch.tensor([1.0]), torch.tensor([1]), "indices are integers"),
    (torch.tensor([1.0], dtype=torch.float32), torch.tensor([1.0], dtype=torch.float64), "dtype=x.dtype"),
    (torch.tensor([1], dtype=torch.int16), torch.tensor([1], dtype=torch.uint8), "keep the images uint8"),
    ((1.0, 2.0), (1.0,), "should have 1 items"),
    (3.0, (3.0,), "should be a tuple"),
    ("a", "b", "is 'a', expected 'b'"),
    (3, "b", "should be a name (a str) or None"),
    (torch.tensor([float("nan")]), torch.tensor([1.0]), "output[0] is NaN"),
    ([1.0, torch.ones(2)], [1.0, torch.zeros(2)], "output[1][0]"),
    (np.ones(2), torch.ones(2), "numpy array"),
    (1.5, torch.tensor(1.5), "Python float"),
    (torch.max(torch.ones(2, 3), dim=1), torch.ones(2), "take .values"),
    (2.5, 2, "use floor division //"),
    (torch.tensor([1.0]), 1.0, None),
    (np.float64(2.0), 2.0, None),
    (torch.tensor(True), True, None),
    ("yes", True, "should be True or False"),
    (torch.empty(2, device="meta"), torch.zeros(2), "output is on meta, expected cpu"),
])
def test_compare_explains_differences(got, expected, fragment):
    msg = compare(got, expected)
    if fragment is None:
        assert msg is None
    else:
        assert msg is not None and fragment in msg, msg


def test_compare_tolerance_fits_dtype_and_scale():
    assert compare(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-9])) is None
    assert compare(torch.tensor([1.0, 2.0 + 1e-5]), torch.tensor([1.0, 2.0])) is None  # float32: 1e-4
    assert compare(torch.tensor([1.0, 2.0 + 1e-5], dtype=torch.float64),
                   torch.tensor([1.0, 2.0], dtype=torch.float64)) is not None  # float64: 1e-6
    # an entry that is rounding error next to large ones is judged on the scale of the output
    assert compare(torch.tensor([1000.0, 1e-5], dtype=torch.float64),
                   torch.tensor([1000.0, 0.0], dtype=torch.float64)) is None
    # a degenerate case: only "within atol, no NaN"
    assert compare(torch.tensor([3e-4]), torch.tensor([1e-9]), atol=1e-3) is None
    assert "NaN" in compare(torch.tensor([float("nan")]), torch.tensor([0.0]), atol=1e-3)


def test_run_check_passes_prints_one_line_and_returns_none(capsys):
    assert run_check("square", _square, _square, CASES, verified="x·x elementwise") is None
    assert capsys.readouterr().out == "square: 2 cases pass — x·x elementwise\n"


def test_hint_only_when_the_mistake_reproduces_every_case():
    def wrong(x):
        return 2 * x  # equals x·x on the second case (zeros) and differs on the first

    mistakes = [Mistake(lambda x: x + x, "doubled, not squared")]
    with pytest.raises(CheckFailed, match=r"case 'vector' fails(.|\n)*Likely mistake: doubled, not squared"):
        run_check("square", wrong, _square, CASES, mistakes=mistakes)

    def partly(x):  # 2x on the first case only: no single mistake explains it
        return 2 * x if x.numel() == 3 else x + 1

    with pytest.raises(CheckFailed) as info:
        run_check("square", partly, _square, CASES, mistakes=mistakes)
    assert "Likely mistake" not in str(info.value)


def test_hints_are_not_listed_in_the_rendered_failure():
    with pytest.raises(CheckFailed) as info:
        run_check("square", lambda x: x ** 3, _square, CASES,
                  mistakes=[Mistake(lambda x: x + x, "doubled"), Mistake(lambda x: x, "unchanged")])
    lines = info.value._render_traceback_()
    assert lines == str(info.value).splitlines()
    assert not any("doubled" in ln or "unchanged" in ln for ln in lines)


def test_not_implemented_only_for_the_placeholder_itself():
    namespace = {}
    exec(student_source("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION"), namespace)
    with pytest.raises(CheckFailed, match="not implemented yet") as info:
        run_check("square", namespace["square"], _square, CASES)
    assert info.value.learner_error is None

    def torch_not_implemented(x):
        raise NotImplementedError("Subtraction, the `-` operator, with a bool tensor is not supported")

    with pytest.raises(CheckFailed) as info:
        run_check("square", torch_not_implemented, _square, CASES)
    assert "not implemented yet" not in str(info.value)
    assert "raised NotImplementedError: Subtraction" in str(info.value)
    assert isinstance(info.value.learner_error, NotImplementedError)


def test_placeholder_prefix_matches_the_student_build():
    assert f'"{PLACEHOLDER_PREFIX} the body of f here."' in student_source(
        "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION")


def test_learner_exception_keeps_the_learners_traceback_without_the_checks_frames():
    def learner(x):
        return helper(x)

    def helper(x):
        return 1 / 0

    with pytest.raises(CheckFailed, match="case 'vector': your function raised ZeroDivisionError") as info:
        run_check("square", learner, _square, CASES)
    lines = info.value._render_traceback_()
    text = "\n".join(lines)
    assert "in learner" in text and "in helper" in text and "return 1 / 0" in text
    assert "coursekit/checks/_harness.py" not in text and "in run_check" not in text
    assert lines[-1].startswith("square: case 'vector'")


def test_in_place_modification_of_an_input_is_reported():
    def in_place(x):
        x.mul_(x)
        return x

    with pytest.raises(CheckFailed, match="changed its input `x` in place"):
        run_check("square", in_place, _square, CASES)


def test_an_exception_while_comparing_becomes_a_check_failure():
    class Weird:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("cannot")

    with pytest.raises(CheckFailed, match="case 'vector' fails"):
        run_check("name", lambda x: Weird(), lambda x: 1.0, CASES)


def test_grad_checks_that_the_result_carries_a_gradient():
    def item(x):
        return (x * x).sum().item()

    def detached(x):
        return (x * x).sum().detach()

    def ref(x):
        return (x * x).sum()

    run_check("sumsq", lambda x: (x ** 2).sum(), ref, CASES, grad=Grad(wrt=(0,)), verbose=False)
    with pytest.raises(CheckFailed, match="Python float"):
        run_check("sumsq", item, ref, CASES, grad=Grad(wrt=(0,)))
    with pytest.raises(CheckFailed, match="does not carry a gradient"):
        run_check("sumsq", detached, ref, CASES, grad=Grad(wrt=(0,)))
    with pytest.raises(CheckFailed, match="d the result / d x"):  # same value, wrong gradient
        run_check("sumsq", lambda x: (x * x.detach()).sum(), ref, CASES, grad=Grad(wrt=(0,)))


def test_probes_run_after_the_cases():
    with pytest.raises(CheckFailed, match="square: probe says no"):
        run_check("square", _square, _square, CASES, probes=[lambda fn: "probe says no"])


def test_run_check_bad_arguments():
    with pytest.raises(TypeError, match="expected a function"):
        run_check("square", None, _square, CASES)
    with pytest.raises(ValueError, match="at least one case"):
        run_check("square", _square, _square, [])


def test_rendered_learner_traceback_skips_torch_internals():
    def learner(x):
        return 1 - (x > 0)  # torch refuses `-` on a bool tensor

    with pytest.raises(CheckFailed) as info:
        run_check("square", learner, _square, CASES)
    text = "\n".join(info.value._render_traceback_())
    assert "return 1 - (x > 0)" in text and "torch/_tensor.py" not in text
    assert "not implemented yet" not in text


def test_messages_end_with_one_full_stop():
    with pytest.raises(CheckFailed) as info:
        run_check("sumsq", lambda x: (x * x).sum().sqrt() ** 2, lambda x: (x * x).sum(), CASES,
                  grad=Grad(wrt=(0,)), nan_hint="clamp before the sqrt.")
    assert "Likely mistake: clamp before the sqrt." in str(info.value) and ".." not in str(info.value)
