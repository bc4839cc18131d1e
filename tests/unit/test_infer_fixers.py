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


def test_every_git_requirement_comes_from_the_index_in_one_change():
    cand = _cand(install=["pip install -q uv", "uv pip install --python python --reinstall -r dev-requirements.txt",
                          "uv pip install --python python --reinstall 'hypercorn @ git+https://github.com/u/hypercorn@x' trio"])
    log = "\x1b[91merror: Failed to download and build `Quart @ git+https://github.com/pallets/quart@5f9d`\n"
    got = _fix(cand, log)
    line = got.recipe.install[1]
    assert line.startswith("sed -E") and "-r .forager-requirements-1.txt && rm -f .forager-requirements-1.txt" in line
    assert got.recipe.install[2] == "uv pip install --python python --reinstall hypercorn trio"
    assert any("every git requirement" in p for p in got.provenance)


def test_the_git_requirement_rewrite_keeps_names(tmp_path):
    import subprocess

    from forager.recipes.fixers import _VCS_SED
    req = tmp_path / "dev.txt"
    req.write_text("h2==4.1.0\nQuart @ git+https://github.com/pallets/quart@5f9d\nhypercorn[trio] @ git+https://x/h@b\n"
                   "-e git+https://github.com/o/p.git@main#egg=pkgname\n-r other.txt\n")
    out = subprocess.run(f"{_VCS_SED} {req}", shell=True, capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["h2==4.1.0", "Quart", "hypercorn[trio]", "pkgname", "-r other.txt"]


def test_unavailable_apt_packages_are_left_out():
    cand = _cand(apt=["python-is-python2", "libxml2-dev"])
    got = _fix(cand, "E: Package 'python-is-python2' has no installation candidate\n")
    assert got.recipe.apt == ["libxml2-dev"]
    assert _fix(cand, "E: Unable to locate package libxml2-dev").recipe.apt == ["python-is-python2"]


def test_a_unittest_suite_the_runner_cannot_load_runs_under_pytest():
    cand = _cand(test=TestSpec(framework="unittest", paths=["src"]))
    got = _fix(cand, "ImportError: Failed to import test module: src/test_x")
    assert got.recipe.test.framework == "pytest" and got.recipe.test.paths == ["src"]
    assert got.recipe.install[-1].endswith(" pytest")


def test_fixer_installs_go_before_the_final_reinstall_of_the_project():
    from forager.recipes.inference.candidates import SELF_LAST
    cand = _cand(install=["pip install -q uv", "uv pip install --python python --reinstall -e .", f"{SELF_LAST} -e ."])
    got = _fix(cand, "E   ModuleNotFoundError: No module named 'yaml'")
    assert got.recipe.install[-2].endswith("pyyaml") and got.recipe.install[-1] == f"{SELF_LAST} -e ."


def test_a_plugin_that_crashes_the_session_is_uninstalled(tmp_path):
    import subprocess
    import sys
    log = ("=== pytest plugins: ['anyio', 'memray', 'timeout']\nINTERNALERROR> Plugin: memray_manager, Hook: "
           "pytest_runtest_makereport\nINTERNALERROR> AttributeError: 'Config' object has no attribute 'cache'\n")
    got = _fix(_cand(), log)
    line = got.recipe.install[-1]
    assert line.endswith("| xargs -r uv pip uninstall --python python") and "'memray'" in line
    assert _fix(got, log) is None  # once only
    # the look-up itself names the distribution of an installed plugin (pytest's own pytest11 plugins here: none
    # is called memray, so nothing is printed)
    script = line.split(" | ")[0].replace("python -c", f"{sys.executable} -c", 1)
    assert subprocess.run(script, shell=True, capture_output=True, text=True, check=True).stdout.strip() == ""


def test_a_crash_while_formatting_a_traceback_turns_to_native_tracebacks():
    log = "INTERNALERROR>   File \"/usr/lib/python3.11/ast.py\", line 50, in parse\n" \
          "INTERNALERROR> SystemError: AST constructor recursion depth mismatch (before=117, after=170)\n"
    got = _fix(_cand(), log)
    assert got.recipe.test.command.endswith(" --tb=native")
    assert _fix(got, log) is None


def test_a_crash_reading_frame_positions_turns_to_line_tracebacks():
    # pydantic-settings on Debian's 3.11.2, as the validation log printed it
    log = ("INTERNALERROR>   File \"/usr/lib/python3.11/traceback.py\", line 416, in _extract_from_extended_frame_gen\n"
           "INTERNALERROR>     for f, (lineno, end_lineno, colno, end_colno) in frame_gen:\n"
           "INTERNALERROR> RuntimeError: generator raised StopIteration\n")
    got = _fix(_cand(), log)
    assert got.recipe.test.command.endswith(" --tb=line") and "--tb=native" not in got.recipe.test.command
    assert _fix(got, log) is None
    native = _fix(_cand(), "INTERNALERROR> SystemError: AST constructor recursion depth mismatch (before=1, after=2)\n")
    assert _fix(native, log).recipe.test.command.count("--tb=") == 1  # native, then line: one style only


def test_an_uncollectable_file_is_found_from_the_short_summary_too():
    log = ("ERROR tests/unit/test_build_c_ext.py - KeyError: 'headers'\n"
           "ERROR tests/test_x.py::test_y - RuntimeError\n")
    got = _fix(_cand(), log)
    assert got.recipe.test.command.endswith(" --ignore=tests/unit/test_build_c_ext.py")
