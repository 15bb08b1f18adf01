"""docs/architecture.md matches the code: every module is on the page, and the imports keep the layers.

The page's module map gives each module (or package, for its ``__init__.py``) a layer; the rules
below are the page's "which module may import which", checked on every ``import`` statement of
``coursekit/`` (parsed with ``ast``, so lazy imports inside functions count too).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "coursekit"
PAGE = ROOT / "docs" / "architecture.md"

RANK = {"foundation": 0, "data": 1, "models": 1, "lessons": 1, "training": 2, "plotting": 3, "checks": 3, "cli": 4}
FORBIDDEN = {  # (importer's layer, imported layer): the page's rules 2-5, on top of "downwards only"
    ("lessons", "data"), ("lessons", "training"), ("lessons", "plotting"),
    ("models", "data"), ("models", "lessons"), ("models", "training"),
    ("data", "models"), ("data", "lessons"),
    ("plotting", "training"), ("plotting", "checks"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the package (a package is its __init__.py)."""
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _page_rows() -> dict[str, str]:
    """Module map rows of the page: ``path`` (relative to coursekit/, packages end in /) -> layer."""
    rows = {}
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`([^`]+)`\s*\|\s*([a-z]+)\s*\|", line)
        if m and m.group(2) in RANK:
            rows[m.group(1)] = m.group(2)
    return rows


def _page_key(name: str, path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    if rel.name == "__init__.py" and rel.parent != Path("."):
        return rel.parent.as_posix() + "/"
    return rel.as_posix()


def _layer(name: str, modules: dict[str, Path], rows: dict[str, str]) -> str:
    return rows[_page_key(name, modules[name])]


def _imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for each coursekit import of one module."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, None, node.lineno) for a in node.names if a.name.split(".")[0] == "coursekit"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "coursekit":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((sub, None, node.lineno) if sub in modules else (target, alias.name, node.lineno))
    return found


def _edges():
    modules = _modules()
    for name, path in modules.items():
        for target, imported, line in _imports(name, path, modules):
            while target not in modules:  # `import coursekit.a.b` names a module; attributes fall back
                target = target.rsplit(".", 1)[0]
            yield name, target, imported, f"{path.relative_to(ROOT)}:{line}"


def test_every_module_is_on_the_page_and_every_row_exists():
    modules, rows = _modules(), _page_rows()
    keys = {_page_key(n, p) for n, p in modules.items()}
    missing = sorted(keys - set(rows))
    assert not missing, f"docs/architecture.md's module map lacks {missing}: add a row (module | layer | idea)"
    stale = sorted(set(rows) - keys)
    assert not stale, f"docs/architecture.md lists modules that do not exist: {stale}"


def test_paths_named_in_the_notebook_map_exist():
    text = PAGE.read_text(encoding="utf-8")
    table = [line for line in text.split("## Layers")[0].splitlines() if line.startswith("|")]
    named = {p for line in table for p in re.findall(r"`([a-z_/]+(?:\.py|/))`", line)}
    assert named, "the notebook -> module map names no modules"
    missing = sorted(p for p in named if not (PACKAGE / p).exists())
    assert not missing, f"the notebook -> module map names modules that do not exist: {missing}"
    notebooks = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert notebooks <= set(re.findall(r"^\| `(\d\d_[a-z0-9_]+)`", text, flags=re.M)), "a notebook has no row"


def test_imports_go_downwards_and_keep_the_layer_rules():
    modules, rows = _modules(), _page_rows()
    broken = []
    for importer, target, _, where in _edges():
        if importer == target or target == "coursekit":
            continue
        a, b = _layer(importer, modules, rows), _layer(target, modules, rows)
        if RANK[b] > RANK[a] or (a, b) in FORBIDDEN or (a == "foundation" and b != "foundation"):
            broken.append(f"{where}: {importer} ({a}) imports {target} ({b})")
    assert not broken, "layer rules of docs/architecture.md broken:\n" + "\n".join(broken)


def _fake_repo(tmp_path, monkeypatch, source: str) -> None:
    """A three-module package whose lesson.py holds ``source``, with its page."""
    fake_root = tmp_path / "repo"
    (fake_root / "coursekit").mkdir(parents=True, exist_ok=True)
    (fake_root / "docs").mkdir(exist_ok=True)
    (fake_root / "coursekit" / "__init__.py").write_text("")
    (fake_root / "coursekit" / "distances.py").write_text("def safe_sqrt(x):\n    return x\n")
    (fake_root / "coursekit" / "training.py").write_text("def fit():\n    pass\n")
    (fake_root / "coursekit" / "lesson.py").write_text(source)
    (fake_root / "docs" / "architecture.md").write_text(
        "| `__init__.py` | foundation | x |\n| `distances.py` | lessons | x |\n"
        "| `training.py` | training | x |\n| `lesson.py` | lessons | x |\n")
    this = sys.modules[__name__]
    monkeypatch.setattr(this, "ROOT", fake_root)
    monkeypatch.setattr(this, "PACKAGE", fake_root / "coursekit")
    monkeypatch.setattr(this, "PAGE", fake_root / "docs" / "architecture.md")
    test_every_module_is_on_the_page_and_every_row_exists()


def test_a_lesson_importing_training_is_reported(tmp_path, monkeypatch):
    _fake_repo(tmp_path, monkeypatch, "from coursekit.distances import safe_sqrt\n")
    test_imports_go_downwards_and_keep_the_layer_rules()  # lessons -> lessons is fine
    _fake_repo(tmp_path, monkeypatch, "def f():\n    from coursekit.training import fit\n")
    with pytest.raises(AssertionError, match=r"lesson.py:2: coursekit.lesson \(lessons\) imports coursekit.training"):
        test_imports_go_downwards_and_keep_the_layer_rules()


def test_a_module_missing_from_the_page_is_reported(tmp_path, monkeypatch):
    _fake_repo(tmp_path, monkeypatch, "")
    (tmp_path / "repo" / "coursekit" / "new_idea.py").write_text("")
    with pytest.raises(AssertionError, match=r"module map lacks \['new_idea.py'\]"):
        test_every_module_is_on_the_page_and_every_row_exists()


def test_no_module_imports_another_modules_private_name():
    broken = set()
    for importer, target, imported, where in _edges():
        owner = target.rsplit(".", 1)[0]  # a private module is its package's business
        if target.rsplit(".", 1)[-1].startswith("_") and not (importer == owner or importer.startswith(owner + ".")):
            broken.add(f"{where}: {importer} imports the private module {target}")
        if imported and imported.startswith("_") and target != importer:
            broken.add(f"{where}: {importer} imports {target}.{imported}")
    assert not broken, "private names cross module borders:\n" + "\n".join(sorted(broken))


def test_a_private_import_is_reported(tmp_path, monkeypatch):
    _fake_repo(tmp_path, monkeypatch, "from coursekit.distances import _hidden\n")
    with pytest.raises(AssertionError, match=r"coursekit.lesson imports coursekit.distances._hidden"):
        test_no_module_imports_another_modules_private_name()
