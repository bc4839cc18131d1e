"""Fixers read what the logs say and change only the recipe."""

from __future__ import annotations

from forager.recipes.attempt import Attempt
from forager.recipes.fixers import fix
from forager.recipes.inference.candidates import Candidate
from forager.records.recipe import Recipe, Source, TestSpec


def _cand(**changes) -> Candidate:
    recipe = Recipe(name="demo", source=Source(github="o/demo", commit="a" * 40), install=["pip install -e ."],
                    env={"UV_EXCLUDE_NEWER": "2024-01-08T00:00:00Z"}, test=TestSpec(paths=["tests"]))
    return Candidate("packaging metadata", recipe.model_copy(update=changes), ["python 3.11"])


def _fix(cand: Candidate, log: str) -> Candidate | None:
    return fix(cand, Attempt(label=cand.label, recipe_hash="x", status="built", stage="collected", reason=log))


def test_missing_module_installs_its_distribution():
    got = _fix(_cand(), "E   ModuleNotFoundError: No module named 'yaml'\nE   ModuleNotFoundError: No module named 'demo.sub'")
    assert got.recipe.install[-1].endswith("pyyaml") and "demo" not in got.recipe.install[-1]
    assert any("ModuleNotFoundError" in p for p in got.provenance)


def test_unknown_option_installs_its_plugin_or_turns_addopts_off():
    got = _fix(_cand(), "pytest: error: unrecognized arguments: --cov=demo --cov-report=xml")
    assert got.recipe.install[-1].endswith("pytest-cov")
    got = _fix(_cand(), "pytest: error: unrecognized arguments: --strange-option")
    assert got.recipe.test.command.endswith("-o addopts=")


def test_uncollectable_files_are_ignored_up_to_a_cap():
    log = ("_______ ERROR collecting tests/test_a.py _______\nImportError while importing test module\n"
           "ERROR collecting tests/test_b.py\n")
    got = _fix(_cand(), log)
    assert "--ignore=tests/test_a.py --ignore=tests/test_b.py" in got.recipe.test.command
    many = "".join(f"ERROR collecting tests/test_{i}.py\n" for i in range(9))
    assert _fix(_cand(), many) is None


def test_release_after_the_cut_off_moves_it_then_drops_it():
    log = "hint: `botocore` was filtered by `exclude-newer` to only include packages uploaded before ..."
    later = _fix(_cand(), log)
    assert later.recipe.env["UV_EXCLUDE_NEWER"] == "2024-04-07T00:00:00Z"
    assert "UV_EXCLUDE_NEWER" not in _fix(later, log).recipe.env


def test_nothing_to_fix_is_none():
    assert _fix(_cand(), "all good") is None


def test_unfetchable_git_requirement_comes_from_the_index():
    cand = _cand(install=["pip install -q uv", "uv pip install --python python --reinstall -r dev-requirements.txt"])
    log = ("\x1b[91merror: Failed to download and build `quart @ git+https://github.com/pallets/quart@5f9d`\n"
           "  cause: Git operation failed\n")
    got = _fix(cand, log)
    assert "grep -v -i -E '^(quart) *@' dev-requirements.txt > /tmp/forager-requirements-1.txt" in got.recipe.install[1]
    assert got.recipe.install[-1].endswith(" quart")
