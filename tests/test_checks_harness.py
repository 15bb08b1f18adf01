"""The exercise-check machinery: comparison, diagnosis of known mistakes, messages."""

import numpy as np
import pytest
import torch

from coursekit.checks import Case, CheckFailed, Mistake, compare, rel_error, run_check


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
    (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]), "relative error"),
    (torch.tensor([True, False]), torch.tensor([True, True]), "differs in 1 of 2"),
    (torch.tensor([1, 0]), torch.tensor([True, False]), "dtype"),
    ((1.0, 2.0), (1.0,), "should have 1 items"),
    (3.0, (3.0,), "should be a tuple"),
    ("a", "b", "is 'a', expected 'b'"),
    (torch.tensor([float("nan")]), torch.tensor([1.0]), "NaN"),
    ([1.0, torch.ones(2)], [1.0, torch.zeros(2)], "output[1]"),
])
def test_compare_explains_differences(got, expected, fragment):
    msg = compare(got, expected)
    assert msg is not None and fragment in msg


def test_compare_accepts_equal_values_within_tolerance():
    assert compare(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-9])) is None
    assert compare((torch.ones(2), 0.5), (torch.ones(2), 0.5)) is None
    assert compare(np.float64(2.0), 2.0) is None


def test_run_check_passes_and_reports(capsys):
    assert run_check("square", _square, _square, CASES) == 2
    assert "square: all 2 cases pass." in capsys.readouterr().out


def test_run_check_names_the_case_and_the_likely_mistake():
    def wrong(x):
        return 2 * x

    with pytest.raises(CheckFailed, match=r"case 'vector' fails(.|\n)*Likely mistake: doubled, not squared"):
        run_check("square", wrong, _square, CASES, mistakes=[Mistake(lambda x: x + x, "doubled, not squared")])


def test_run_check_without_a_matching_mistake_gives_no_hint():
    with pytest.raises(CheckFailed) as info:
        run_check("square", lambda x: x ** 3, _square, CASES, mistakes=[Mistake(lambda x: x + x, "doubled")])
    assert "Likely mistake" not in str(info.value)


def test_run_check_reports_not_implemented_and_exceptions():
    def todo(x):
        raise NotImplementedError("Exercise: write the body of square here.")

    with pytest.raises(CheckFailed, match="not implemented yet"):
        run_check("square", todo, _square, CASES)
    with pytest.raises(CheckFailed, match="case 'vector' raised ZeroDivisionError"):
        run_check("square", lambda x: 1 / 0, _square, CASES)


def test_run_check_protects_inputs_from_in_place_changes():
    def in_place(x):
        x.mul_(x)
        return x

    run_check("square", in_place, _square, CASES)  # the reference still sees the original input


def test_run_check_bad_arguments():
    with pytest.raises(TypeError, match="expected a function"):
        run_check("square", None, _square, CASES)
    with pytest.raises(ValueError, match="at least one case"):
        run_check("square", _square, _square, [])
