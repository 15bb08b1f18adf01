"""The authoring tools on small hand-made notebooks: student build, output stripping, slides, CLI."""

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from coursekit import authoring
from coursekit.cli import main

SOLUTION = """def double(x):
    \"\"\"Return 2x.\"\"\"
    ### BEGIN SOLUTION
    # HINT: multiply by two
    y = x + x
    return y
    ### END SOLUTION
"""


def _nb():
    nb = new_notebook(cells=[
        new_code_cell("%load_ext autoreload\n%autoreload 2\nimport math"),
        new_markdown_cell("# Doubling\nTwice a number."),
        new_code_cell(SOLUTION),
        new_code_cell("assert double(3) == 6\nprint('ok')"),
        new_markdown_cell("### A detail"),
        new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(double(2))"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [new_output("stream", name="stdout", text="x\n")]
            cell.execution_count = 1
    return nb


def test_exercise_regions_finds_function_and_lines():
    regions = authoring.exercise_regions(_nb())
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
    nb = _nb()
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
    exec(authoring.make_student_notebook(_nb()).cells[2].source, namespace)
    with pytest.raises(CheckFailed, match="double: not implemented yet"):
        run_check("double", namespace["double"], lambda x: 2 * x, [Case("three", (3,))])
    assert PLACEHOLDER_PREFIX in authoring.student_source(SOLUTION)


def test_strip_outputs_keeps_only_checked_cells():
    stripped = authoring.strip_outputs(_nb())
    kept = [i for i, c in enumerate(stripped.cells) if c.cell_type == "code" and c.outputs]
    assert kept == [5]
    assert stripped.cells[0].execution_count is None


def test_annotate_slides_from_headings():
    nb = authoring.annotate_slides(_nb())
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


def test_cli_student_writes_learner_versions(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(_nb(), src / "01_double.ipynb")
    assert main(["student", str(src), "-o", str(tmp_path / "student")]) == 0
    assert "1 exercise(s)" in capsys.readouterr().out
    student = nbformat.read(tmp_path / "student" / "01_double.ipynb", as_version=4)
    assert "NotImplementedError" in student.cells[2].source
    with pytest.raises(ValueError, match="refusing to overwrite"):
        main(["student", str(src), "-o", str(src)])
    with pytest.raises(FileNotFoundError, match="neither a notebook"):
        main(["student", str(tmp_path / "nope"), "-o", str(tmp_path / "x")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="holds no .ipynb"):
        main(["student", str(tmp_path / "empty"), "-o", str(tmp_path / "x")])


def test_cli_run_and_slides_export(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(authoring.strip_outputs(_nb()), src / "01_double.ipynb")
    assert main(["run", "--quick", str(src), "-o", str(tmp_path / "html"), "--figures", str(tmp_path / "fig")]) == 0
    out = capsys.readouterr().out
    assert "[1/1] 01_double.ipynb (quick mode)" in out and "total" in out
    html = (tmp_path / "html" / "01_double.html").read_text()
    assert "Doubling" in html and "<html" in html.lower()
    assert main(["slides", str(src / "01_double.ipynb"), "-o", str(tmp_path / "slides")]) == 0
    deck = (tmp_path / "slides" / "01_double.slides.html").read_text()
    assert "reveal" in deck.lower() and "Doubling" in deck


def test_cli_run_reports_a_failing_notebook(tmp_path, capsys):
    nb = new_notebook(cells=[new_code_cell("raise RuntimeError('boom')")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "bad.ipynb")
    assert main(["run", "--quick", str(tmp_path / "bad.ipynb"), "-o", str(tmp_path / "html")]) == 1
    assert "FAILED" in capsys.readouterr().out


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
