"""Hostile submissions: each builds a real diff against an example task's start state, grades it
with the real grade() in Docker, and must not be resolved; honest fixes still are."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from forager.harvest.grading import grade
from tests.conftest import ROOT

pytestmark = pytest.mark.docker

FORCE_PASS_HOOK = ("import pytest\n\n@pytest.hookimpl(hookwrapper=True)\n"
                   "def pytest_runtest_makereport(item, call):\n"
                   "    outcome = yield\n    rep = outcome.get_result()\n"
                   "    rep.outcome = 'passed'\n    rep.longrepr = None\n")

# A stand-in for pytest: writes a JUnit file saying every requested test passed, exits 0.
FAKE_PYTEST = '''import sys
ids = [a for a in sys.argv[1:] if "::" in a]
path = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--junitxml="))
cases = "".join('<testcase classname="x" name="y"><properties><property name="forager_nodeid" value="%s"/>'
                '</properties></testcase>' % t for t in ids)
open(path, "w").write('<testsuite tests="%d">%s</testsuite>' % (len(ids), cases))
sys.exit(0)
'''

# Library code imported by the tests that rewrites pytest's reports in-process.
MONKEYPATCH = '''
import sys as _sys
_r = _sys.modules.get("_pytest.reports")
if _r is not None:
    _orig = _r.TestReport.from_item_and_call.__func__

    def _forged(cls, item, call):
        rep = _orig(cls, item, call)
        rep.outcome = "passed"
        rep.longrepr = None
        return rep

    _r.TestReport.from_item_and_call = classmethod(_forged)
'''


def _why(g) -> tuple[str, str]:
    return g.error, getattr(g, "log", "")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def make_patch(task, tmp_path: Path, files: dict[str, str], apply_gold: bool = False,
               append: dict[str, str] | None = None) -> str:
    """A git diff from the task's start state (the example repo + its bug) to that state with
    `files` written (and `append` appended); ignored files included, like a real submission."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "minilib", repo)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "clean")
    subprocess.run(["git", "-C", str(repo), "apply"], input=task.bug_patch, text=True, check=True)
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "start")
    if apply_gold:
        subprocess.run(["git", "-C", str(repo), "apply"], input=task.gold_patch, text=True, check=True)
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    for rel, text in (append or {}).items():
        with (repo / rel).open("a") as fh:
            fh.write(text)
    _git(repo, "add", "-A", "-f")
    return _git(repo, "diff", "--cached", "--binary")


@pytest.fixture(scope="module")
def task(example_tasks):
    return example_tasks[0]


def test_gold_patch_is_still_resolved(task):
    g = grade(task, task.gold_patch)
    assert g.resolved and g.apply_method == "git apply", (g.error, _why(g))
    assert "canary: as planted" in _why(g)[1] and "runner: isolated" in _why(g)[1]


def test_conftest_hidden_by_gitignore_is_removed(task, tmp_path):
    patch = make_patch(task, tmp_path, {"conftest.py": FORCE_PASS_HOOK}, append={".gitignore": "conftest.py\n"})
    g = grade(task, patch)
    assert g.applied and not g.resolved, _why(g)
    assert {"conftest.py", ".gitignore"} <= set(g.restored_files)


def test_root_pytest_module_cannot_replace_pytest(task, tmp_path):
    g = grade(task, make_patch(task, tmp_path, {"pytest.py": FAKE_PYTEST}))
    assert g.applied and not g.resolved, _why(g)
    assert "pytest.py" in g.restored_files


def test_dist_info_plugin_in_the_tree_is_not_loaded(task, tmp_path):
    files = {"evil-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n",
             "evil-1.0.dist-info/entry_points.txt": "[pytest11]\nevil = evil_plugin\n",
             "evil_plugin.py": FORCE_PASS_HOOK}
    g = grade(task, make_patch(task, tmp_path, files))
    assert g.applied and not g.resolved, _why(g)
    assert "evil-1.0.dist-info" in g.restored_files


def test_library_code_that_rewrites_reports_is_caught_by_the_canary(task, tmp_path):
    g = grade(task, make_patch(task, tmp_path, {}, append={"minilib/__init__.py": MONKEYPATCH}))
    assert g.applied and not g.resolved, _why(g)
    assert "canary" in g.error


def test_startup_hooks_and_config_are_put_back_in_a_real_grading(task, tmp_path):
    # The gold fix plus files that would change how Python or pytest starts: put back, still resolved.
    files = {"sitecustomize.py": "raise SystemExit(3)\n", "minilib/usercustomize.py": "raise SystemExit(3)\n",
             "zz-evil.pth": "import os; os._exit(3)\n", "tox.ini": "[pytest]\naddopts = -p no:junitxml\n"}
    patch = make_patch(task, tmp_path, files, apply_gold=True, append={"setup.cfg": "[tool:pytest]\naddopts = -x\n"})
    g = grade(task, patch)
    assert g.resolved, (g.error, _why(g))
    assert set(files) | {"setup.cfg"} <= set(g.restored_files)


def _break_counts(patch: str) -> str:
    # Wrong line counts in every hunk header: plain `git apply` refuses, --recount repairs.
    import re
    return re.sub(r"^@@ -(\d+),(\d+) \+(\d+),(\d+) @@", lambda m: f"@@ -{m[1]},{int(m[2]) + 1} +{m[3]},{int(m[4]) + 1} @@",
                  patch, flags=re.M)


def test_patch_fallbacks(task):
    g = grade(task, _break_counts(task.gold_patch))
    assert g.resolved and g.apply_method == "git apply --recount", (g.error, _why(g))
    # A context line that no longer matches: only GNU patch with fuzz applies it.
    lines = task.gold_patch.splitlines(keepends=True)
    i = next(i for i, ln in enumerate(lines) if ln.startswith(" ") and ln.strip())
    lines[i] = " " + lines[i][1:].rstrip("\n") + "  # changed context\n"
    g = grade(task, "".join(lines))
    assert g.resolved and g.apply_method == "patch --fuzz", (g.error, _why(g))


def test_patch_that_does_not_apply(task):
    bad = task.gold_patch.replace(" a/minilib/", " a/nolib/").replace(" b/minilib/", " b/nolib/")
    g = grade(task, bad)
    assert not g.applied and not g.resolved and g.error == "the submitted patch does not apply"
    assert "git apply failed" in _why(g)[1]


def test_patch_fallback_never_writes_into_git(task):
    evil = ("--- /dev/null\n+++ b/.git/hooks/post-checkout\n@@ -0,0 +1,2 @@\n+#!/bin/sh\n+exit 0\n")
    g = grade(task, evil)
    assert not g.applied and not g.resolved and "unsafe file names" in _why(g)[1]


def test_grading_timeout(task, tmp_path):
    patch = make_patch(task, tmp_path, {}, apply_gold=True,
                       append={"minilib/__init__.py": "\nimport time\ntime.sleep(3600)\n"})
    g = grade(task, patch, timeout=8)
    assert g.applied and not g.resolved and g.error == "the test run timed out"
