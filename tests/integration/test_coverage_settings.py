"""A repository's own coverage settings never change Forager's per-test coverage map."""

from __future__ import annotations

import pytest

from forager.containers import Sandbox
from forager.images.pipeline import build_one
from forager.tasks import coverage_map

pytestmark = pytest.mark.docker

# parallel = true makes `coverage run` write suffixed data files; source_pkgs and a data_file of
# its own move what is measured and where it goes. Forager must read none of it.
PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "covlib"
version = "0.1"

[tool.coverage.run]
parallel = true
source_pkgs = ["covlib"]
data_file = ".coverage-of-the-repo"
branch = true
"""


def _repo(root):
    (root / "covlib").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "covlib" / "__init__.py").write_text(
        "def double(x):\n    return 2 * x\n\n\ndef halve(x):\n    return x / 2\n")
    (root / "tests" / "test_covlib.py").write_text(
        "from covlib import double, halve\n\n\ndef test_double():\n    assert double(2) == 4\n\n\n"
        "def test_halve():\n    assert halve(4) == 2\n")
    (root.parent / "covlib.toml").write_text('[source]\npath = "covlib"\n[test]\npaths = ["tests"]\n')
    return root.parent / "covlib.toml"


def test_repository_coverage_settings_do_not_empty_the_map(tmp_path, base_image, monkeypatch):
    monkeypatch.setenv("FORAGER_HOME", str(tmp_path / "home"))  # no cached map from another run
    recipe = _repo(tmp_path / "covlib")
    outcome = build_one(recipe, tmp_path / "images")
    assert outcome.status == "built", outcome.message
    m = outcome.manifest
    with Sandbox.start(m.image_tag, kind="test") as box:
        cmap = coverage_map.collect(box, m)
        leftovers = box.exec("ls -a /testbed").output
    assert cmap.tests_for("covlib/__init__.py", 1, 2) == {"tests/test_covlib.py::test_double"}
    assert cmap.tests_for("covlib/__init__.py", 5, 6) == {"tests/test_covlib.py::test_halve"}
    assert ".coverage-of-the-repo" not in leftovers
