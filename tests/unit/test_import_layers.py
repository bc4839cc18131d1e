"""Imports run one way: a module never imports a package above its own layer.

Records sit at the bottom; then Docker plumbing and the work runner; then the stages in
pipeline order. A new package must be placed in LAYERS, or this test fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "forager"

# Lowest first. A module may import its own package and anything in its layer or below.
LAYERS = [
    # helpers: the in-container scripts (forager/images/helpers) import nothing of Forager, so
    # host code may share their rules (e.g. which files grading protects).
    {"__init__", "errors", "paths", "hashing", "jsonio", "progress", "tables", "helpers"},
    {"records"},
    {"engine", "disk", "containers", "channel", "gc", "work"},
    {"testsuite"},
    {"images"},
    {"recipes"},
    {"tasks"},
    {"agent"},
    {"repair"},
    {"harvest"},
    {"export"},
    {"cluster"},
    {"serve"},
    {"demo", "cli"},
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}


def _unit(path: Path, root: Path) -> str:
    """The package (or top-level module) a file belongs to: forager/tasks/x.py -> tasks."""
    rel = path.relative_to(root)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imported_units(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names] if node.module == "forager" else [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[:3] == ["forager", "images", "helpers"]:
                found.add("helpers")
            elif parts[0] == "forager" and len(parts) > 1:
                found.add(parts[1])
    return found


def upward_imports(root: Path = PACKAGE) -> list[str]:
    bad = []
    for path in sorted(root.rglob("*.py")):
        if "helpers" in path.relative_to(root).parts:
            assert not _imported_units(ast.parse(path.read_text(), str(path))), f"{path}: a helper imports Forager"
            continue
        unit = _unit(path, root)
        assert unit in LAYER, f"{path}: package '{unit}' is not placed in LAYERS"
        for target in _imported_units(ast.parse(path.read_text(), str(path))):
            if target != unit and LAYER.get(target, -1) > LAYER[unit]:
                bad.append(f"{path.relative_to(root.parent)} ({unit}) imports {target}")
    return bad


def test_no_module_imports_upward():
    assert upward_imports() == []


def test_the_check_sees_an_upward_import(tmp_path):
    (tmp_path / "forager" / "records").mkdir(parents=True)
    (tmp_path / "forager" / "agent").mkdir()
    (tmp_path / "forager" / "records" / "task.py").write_text("def f():\n    from forager.harvest import episode\n")
    (tmp_path / "forager" / "agent" / "loop.py").write_text("import forager.records.task\nfrom forager import tasks\n")
    assert upward_imports(tmp_path / "forager") == ["forager/records/task.py (records) imports harvest"]
