"""``python -m coursekit start``: learner notebooks in the learner's own workspace, never overwritten."""

from __future__ import annotations

import nbformat
import pytest

from coursekit.authoring import BEGIN, END, exercise_regions
from coursekit.cli import main
from coursekit.cli.start import COURSE_NOTEBOOKS, default_workspace, start_workspace


def _solution_notebook(path, answer="return 2 * x"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A notebook"),
                nbformat.v4.new_code_cell(f"def f(x):\n    {BEGIN}\n    # HINT: double it\n    {answer}\n    {END}")]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="solved output\n")]
    nb.cells[1].execution_count = 3
    nbformat.write(nb, path)


@pytest.fixture
def course(tmp_path):
    src = tmp_path / "course" / "notebooks"
    src.mkdir(parents=True)
    _solution_notebook(src / "00_a.ipynb")
    _solution_notebook(src / "01_b.ipynb")
    return src


def test_writes_learner_versions_of_the_real_course(tmp_path):
    result = start_workspace(tmp_path / "work")
    names = sorted(p.name for p in COURSE_NOTEBOOKS.glob("*.ipynb"))
    assert [p.name for p in result.written] == names and len(names) >= 8
    assert result.kept == [] and result.not_added == []
    for p in result.written:
        nb = nbformat.read(p, as_version=4)
        assert exercise_regions(nb) == [], p.name  # no solution is left in
        assert any("NotImplementedError" in c.source for c in nb.cells if c.cell_type == "code"), p.name
        assert all(not c.outputs and c.execution_count is None for c in nb.cells if c.cell_type == "code"), p.name
        assert nb.metadata["coursekit"]["student"] is True
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == names  # nothing else is needed


def test_never_overwrites_a_learners_file(course, tmp_path):
    ws = tmp_path / "work"
    start_workspace(ws, course)
    mine = ws / "00_a.ipynb"
    mine.write_text("my own work, not even a notebook any more")
    for update in (False, True):
        result = start_workspace(ws, course, update=update)
        assert result.written == [] and sorted(p.name for p in result.kept) == ["00_a.ipynb", "01_b.ipynb"]
        assert mine.read_text() == "my own work, not even a notebook any more"


def test_new_course_notebooks_are_added_only_with_update(course, tmp_path, capsys):
    ws = tmp_path / "work"
    start_workspace(ws, course)
    _solution_notebook(course / "02_c.ipynb")
    assert main(["start", str(ws), "--from", str(course)]) == 0
    out = capsys.readouterr().out
    assert not (ws / "02_c.ipynb").exists()
    assert "kept  00_a.ipynb" in out and "new in the course, not added: 02_c.ipynb (add it with --update)" in out
    assert main(["start", str(ws), "--from", str(course), "--update"]) == 0
    out = capsys.readouterr().out
    assert "wrote 02_c.ipynb" in out and "kept  01_b.ipynb" in out
    assert "raise NotImplementedError" in nbformat.read(ws / "02_c.ipynb", as_version=4).cells[1].source


def test_refuses_a_workspace_inside_the_solutions(course, tmp_path, capsys):
    for inside in (course, course / "mine", course / "a" / "b"):
        with pytest.raises(ValueError, match="outside the course's notebooks folder"):
            start_workspace(inside, course)
    assert sorted(p.name for p in course.iterdir()) == ["00_a.ipynb", "01_b.ipynb"]  # nothing written there
    assert main(["start", str(course / "mine"), "--from", str(course)]) == 2
    assert "outside the course's notebooks folder" in capsys.readouterr().err
    with pytest.raises(ValueError, match="outside the course's notebooks folder"):
        start_workspace(COURSE_NOTEBOOKS / "work", COURSE_NOTEBOOKS)  # the real checkout's default source


def test_bad_arguments(course, tmp_path):
    with pytest.raises(TypeError, match="workspace must be a str or path, got int"):
        start_workspace(3, course)
    with pytest.raises(TypeError, match="update must be a bool, got str"):
        start_workspace(tmp_path / "w", course, update="yes")
    with pytest.raises(FileNotFoundError, match="course notebooks were not found"):
        start_workspace(tmp_path / "w", tmp_path / "nowhere")
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        start_workspace(tmp_path / "file", course)


def test_output_says_how_to_open_it_and_where_the_solutions_are(course, tmp_path, capsys):
    ws = tmp_path / "my work"
    assert main(["start", str(ws), "--from", str(course)]) == 0
    out = capsys.readouterr().out
    assert f'jupyter lab "{ws}"' in out  # quoted: the path has a space
    assert f"Solutions, for when you are stuck: {course}" in out
    assert "Run All stops at\nthe first unfinished exercise" in out
    assert "wrote 00_a.ipynb" in out and "wrote 01_b.ipynb" in out


def test_default_workspace_is_in_home_outside_the_checkout(monkeypatch, tmp_path, capsys, course):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_workspace() == tmp_path / "home" / "coursekit-work"
    assert COURSE_NOTEBOOKS.parent not in default_workspace().parents
    assert main(["start", "--from", str(course)]) == 0
    assert (tmp_path / "home" / "coursekit-work" / "00_a.ipynb").is_file()
    assert "jupyter lab ~/coursekit-work" in capsys.readouterr().out


def test_a_workspace_inside_the_checkout_gets_a_note(course, capsys):
    (course.parent / ".git").mkdir()  # the course folder is a git checkout
    assert main(["start", str(course.parent / "mine"), "--from", str(course)]) == 0
    out = capsys.readouterr().out
    assert "is inside the course's git checkout" in out and "wrote 00_a.ipynb" in out
    assert main(["start", str(course.parent.parent / "elsewhere"), "--from", str(course)]) == 0
    assert "git checkout" not in capsys.readouterr().out
