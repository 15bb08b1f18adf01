"""The install files agree with each other, and the code base is lint-clean."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_dependencies_have_lower_bounds_only():
    deps = _pyproject()["project"]["dependencies"]
    for extra in _pyproject()["project"]["optional-dependencies"].values():
        deps = deps + [d for d in extra if not d.startswith("coursekit[")]  # extras of extras
    for dep in deps:
        dep = dep.split(";")[0]  # an environment marker may compare versions
        assert "==" not in dep and "<" not in dep, f"pin or upper bound in {dep!r}: lower bounds only"
        assert ">=" in dep, f"{dep!r} has no lower bound"


def test_environment_yml_installs_the_project_and_lists_nothing_twice():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    conda = [d for d in deps if isinstance(d, str)]
    pip = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    assert pip == ["-e .[test]"], f"environment.yml must only pip-install the project with its test extra, got {pip}"
    names = {re.split(r"[<>=\[ ;]", d)[0].lower() for d in _pyproject()["project"]["dependencies"]}
    conda_names = {re.split(r"[<>= ]", d)[0].lower() for d in conda}
    # dlib comes from conda-forge (the align extra's dlib-bin has no wheel on some platforms)
    assert conda_names == {"python", "pip", "dlib"}, f"environment.yml lists {conda_names - {'python', 'pip', 'dlib'}}: they belong in pyproject.toml"
    assert not (conda_names & names)
    extras = _pyproject()["project"]["optional-dependencies"]
    assert [d.split(">=")[0] for d in extras["align"]] == ["dlib-bin"]
    assert extras["dev"] == ["coursekit[test,align]"], "dev = the tests plus the dlib paths"
    assert not any(d.startswith("dlib") for d in extras["test"]), "the conda route must not pip-install dlib-bin"
    py = next(d for d in conda if d.startswith("python"))
    assert py.replace(" ", "") == "python" + _pyproject()["project"]["requires-python"]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    test_block = next(b for b in blocks if "pytest" in b)
    command = test_block.strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci
    assert command in [line.strip() for line in ci.splitlines()]


def test_pytest_runs_notebooks_through_nbval():
    opts = _pyproject()["tool"]["pytest"]["ini_options"]
    assert "notebooks" in opts["testpaths"] and "tests" in opts["testpaths"]
    assert "--nbval-lax" in opts["addopts"]


def test_pytest_runs_the_docstring_examples():
    opts = _pyproject()["tool"]["pytest"]["ini_options"]
    assert "coursekit" in opts["testpaths"] and "--doctest-modules" in opts["addopts"].split()


@pytest.mark.skipif(shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(),
                    reason="ruff not installed")
def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
