"""The authoring tools on small hand-made notebooks: student build, output stripping, slides.

The sub-commands that use them are tested in tests/cli/."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from coursekit import authoring
from tests.sample_notebooks import SOLUTION, exercise_notebook


def test_exercise_regions_finds_function_and_lines():
    regions = authoring.exercise_regions(exercise_notebook())
    assert regions == [authoring.ExerciseRegion(cell=2, begin_line=2, end_line=6, function="double")]


@pytest.mark.parametrize(("source", "message"), [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "never opened"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
    ("x = 1  ### BEGIN SOLUTION\n", "not alone on its line"),
])
def test_unbalanced_markers_are_rejected(source, message):
    nb = new_notebook(cells=[new_code_cell(source)])
    with pytest.raises(ValueError, match=message):
        authoring.exercise_regions(nb)


def test_student_source_keeps_hints_and_raises():
    out = authoring.student_source(SOLUTION)
    assert "### BEGIN SOLUTION" not in out and "y = x + x" not in out
    assert "    # HINT: multiply by two" in out
    assert '    raise NotImplementedError("Exercise: write the body of double here.")' in out
    assert out.splitlines()[:2] == SOLUTION.splitlines()[:2]  # the signature and docstring stay
    with pytest.raises(NotImplementedError):
        namespace = {}
        exec(out, namespace)
        namespace["double"](1)


def test_student_source_handles_several_regions_and_no_function():
    src = "a = 1\n### BEGIN SOLUTION\nb = 2\n### END SOLUTION\nc = 3\n### BEGIN SOLUTION\nd = 4\n### END SOLUTION"
    out = authoring.student_source(src)
    assert out.count("NotImplementedError") == 2
    assert "write your code here" in out
    assert out.splitlines()[0] == "a = 1" and "c = 3" in out


def test_make_student_notebook_clears_everything_and_leaves_the_source_alone():
    nb = exercise_notebook()
    before = nbformat.writes(nb)
    student = authoring.make_student_notebook(nb)
    assert nbformat.writes(nb) == before
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")
    assert "NotImplementedError" in student.cells[2].source
    assert [c.source for i, c in enumerate(student.cells) if i not in (2, 5)] == [
        c.source for i, c in enumerate(nb.cells) if i not in (2, 5)]
    assert student.cells[5].source == "print(double(2))"  # the nbval mark is CI's, not the learner's
    assert student.metadata["coursekit"]["student"] is True


def test_student_placeholder_is_what_the_checks_call_not_implemented():
    from coursekit.checks import PLACEHOLDER_PREFIX, Case, CheckFailed, run_check

    namespace = {}
    exec(authoring.make_student_notebook(exercise_notebook()).cells[2].source, namespace)
    with pytest.raises(CheckFailed, match="double: not implemented yet"):
        run_check("double", namespace["double"], lambda x: 2 * x, [Case("three", (3,))])
    assert PLACEHOLDER_PREFIX in authoring.student_source(SOLUTION)


def test_strip_outputs_keeps_only_checked_cells():
    stripped = authoring.strip_outputs(exercise_notebook())
    kept = [i for i, c in enumerate(stripped.cells) if c.cell_type == "code" and c.outputs]
    assert kept == [5]
    assert stripped.cells[0].execution_count is None


def test_annotate_slides_from_headings():
    nb = authoring.annotate_slides(exercise_notebook())
    types = [c.metadata["slideshow"]["slide_type"] for c in nb.cells]
    assert types == ["skip", "slide", "-", "-", "subslide", "-"]
    nb.cells[1].metadata["slideshow"]["slide_type"] = "fragment"
    assert authoring.annotate_slides(nb).cells[1].metadata["slideshow"]["slide_type"] == "fragment"
    assert authoring.annotate_slides(nb, overwrite=True).cells[1].metadata["slideshow"]["slide_type"] == "slide"


def test_read_notebook_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        authoring.read_notebook(tmp_path / "missing.ipynb")
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not a valid notebook"):
        authoring.read_notebook(bad)


def test_student_build_of_the_course_leaves_no_solution_or_ci_marks():
    from pathlib import Path

    for path in sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb")):
        student = authoring.make_student_notebook(authoring.read_notebook(path))
        for i, cell in enumerate(student.cells):
            assert authoring.CHECK_MARK not in cell.source, f"{path.name} cell {i}"
            if cell.cell_type == "code":
                assert authoring.BEGIN not in cell.source and authoring.END not in cell.source, f"{path.name} cell {i}"
            else:  # prose never asks the learner to write between markers that the build removed
                assert "goes between `### BEGIN SOLUTION`" not in cell.source, f"{path.name} cell {i}"
