"""``python -m coursekit student``: the learners' versions of the notebooks."""

import nbformat
import pytest

from coursekit.cli import main
from tests.sample_notebooks import exercise_notebook


def test_cli_student_writes_learner_versions(tmp_path, capsys):
    src = tmp_path / "src"
    src.mkdir()
    nbformat.write(exercise_notebook(), src / "01_double.ipynb")
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
