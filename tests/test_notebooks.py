"""Every course notebook follows the conventions in notebooks/README.md.

nbval executes the notebooks themselves (see pyproject.toml); these tests check what nbval does
not: committed outputs, exercises followed by checks, slide metadata, the first cell, and that the
learners' versions stop at the first exercise.
"""

import re
from pathlib import Path

import pytest
from nbclient.exceptions import CellExecutionError

from coursekit import authoring

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]
MIN_EXERCISES = 2


def test_the_course_has_notebooks():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found"
    assert NOTEBOOKS[0].name == "00_welcome.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs_except_checked_cells(path):
    nb = authoring.read_notebook(path)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or authoring.is_checked_cell(cell):
            continue
        assert not cell.outputs, f"{path.name} cell {i} carries outputs but is not marked {authoring.CHECK_MARK}"
        assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_checked_cells_have_outputs_to_compare(path):
    nb = authoring.read_notebook(path)
    for i, cell in enumerate(nb.cells):
        if authoring.is_checked_cell(cell):
            assert cell.source.lstrip().startswith(authoring.CHECK_MARK), f"{path.name} cell {i}: the mark must be the first line"
            assert cell.outputs, f"{path.name} cell {i} is marked {authoring.CHECK_MARK} but has no stored output"
            assert cell.execution_count is not None, f"{path.name} cell {i}: nbval needs the execution count of a checked cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_exercise_is_followed_by_a_check(path):
    nb = authoring.read_notebook(path)
    regions = authoring.exercise_regions(nb)
    assert len(regions) >= MIN_EXERCISES, f"{path.name} has {len(regions)} exercise(s), expected >= {MIN_EXERCISES}"
    for region in regions:
        following = [c for c in nb.cells[region.cell + 1:] if c.cell_type == "code"]
        assert following, f"{path.name}: exercise in cell {region.cell} is the last code cell"
        assert re.search(r"\bcheck_\w+\(", following[0].source), (
            f"{path.name}: the code cell after the exercise in cell {region.cell} does not call a check_* function"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_first_code_cell_sets_up_autoreload_and_seed(path):
    nb = authoring.read_notebook(path)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "%autoreload 2" in first.source, f"{path.name}: first code cell must enable autoreload"
    assert "seed_everything(" in first.source, f"{path.name}: first code cell must seed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_cells_carry_slide_metadata(path):
    nb = authoring.read_notebook(path)
    missing = [i for i, c in enumerate(nb.cells) if "slide_type" not in c.metadata.get("slideshow", {})]
    assert not missing, f"{path.name}: cells {missing} have no metadata.slideshow.slide_type"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.lstrip().startswith("# "), (
        f"{path.name}: the first cell must be a markdown title"
    )


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.stem != "00_welcome"],
                         ids=[i for i in IDS if i != "00_welcome"])
def test_student_version_stops_at_the_first_exercise(path):
    nb = authoring.read_notebook(path)
    regions = authoring.exercise_regions(nb)
    first = regions[0].cell
    check_cell = next(i for i in range(first + 1, len(nb.cells)) if nb.cells[i].cell_type == "code")
    student = authoring.make_student_notebook(nb)
    student.cells = student.cells[: check_cell + 1]  # nothing after the first check needs to run
    with pytest.raises(CellExecutionError) as info:
        authoring.execute_notebook(student, cwd=path.parent, quick=True, timeout=600)
    message = str(info.value)
    assert "NotImplementedError" in message or "not implemented yet" in message, message[-2000:]
