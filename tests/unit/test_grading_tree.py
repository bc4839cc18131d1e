"""The grading rules that need no container: what is protected, what a snapshot diff removes
or puts back, which patch names GNU patch may see, how a recipe command becomes isolated."""

from __future__ import annotations

from forager.harvest.patchpaths import touched_paths, unsafe_paths
from forager.images.helpers.forager_tree import is_protected, module_name, plan
from forager.records.recipe import TestSpec
from forager.testsuite.frameworks import FRAMEWORKS, isolated_pytest

F = lambda ctime=1: ["f", 0o100644, 10, 1, ctime, 7]  # noqa: E731
D = ["d", 0o40755]


def test_protected_paths():
    for p in ["conftest.py", "src/pkg/conftest.py", "tests/data/x.json", ".gitignore", "setup.cfg", "tox.ini",
              "sitecustomize.py", "lib/usercustomize.py", "x.pth", "evil.dist-info/entry_points.txt",
              "minilib.egg-info/PKG-INFO", ".git/config", "setup.py", "pyproject.toml"]:
        assert is_protected(p), p
    for p in ["minilib/stats.py", "README.md", "src/pkg/core.py", "docs/conf.py"]:
        assert not is_protected(p), p


def test_module_names():
    assert module_name("pytest.py", False) == "pytest"
    assert module_name("_speed.cpython-311-x86_64-linux-gnu.so", False) == "_speed"
    assert module_name("pluggy", True) == "pluggy"
    assert module_name("json", False) is None and module_name("my-dir", True) is None


def test_plan_removes_added_protected_and_shadowing_and_restores_changed():
    start = {"tests": D, "tests/test_a.py": F(), "minilib": D, "minilib/__init__.py": F(), "minilib/a.py": F(),
             ".gitignore": F(), ".git": D, ".git/HEAD": F()}
    now = dict(start)
    now.update({"tests/test_a.py": F(2), "minilib/a.py": F(2), "conftest.py": F(), "pytest.py": F(),
                "x.dist-info": D, "x.dist-info/entry_points.txt": F(), "minilib/json.py": F(), "helper.py": F()})
    del now[".gitignore"]
    remove, restore, git = plan(start, now, {"pytest", "json"})
    # minilib/json.py is inside a package (not a sys.path root): not shadowing; helper.py shadows nothing.
    assert sorted(remove) == ["conftest.py", "pytest.py", "x.dist-info"]
    assert sorted(restore) == [".gitignore", "tests/test_a.py"]
    assert git == []


def test_plan_sees_git_changes_and_type_changes():
    start = {".git": D, ".git/config": F(), "tests": D, "tests/test_a.py": F()}
    now = {".git": D, ".git/config": F(5), "tests": ["l", 0o120777, 3, 1, 1, 9]}
    remove, restore, git = plan(start, now, set())
    assert git == [".git/config"]
    assert restore == ["tests/test_a.py"]


def test_patch_names():
    patch = ("diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n-a\n+b\n"
             "--- /dev/null\n+++ b/.git/hooks/pre-commit\n--- a/../etc/passwd\n+++ /abs/path\n")
    assert touched_paths(patch)[:3] == ["x.py", "x.py", "x.py"]
    assert unsafe_paths(patch) == [".git/hooks/pre-commit", "../etc/passwd", "/abs/path"]


def test_isolated_pytest_commands():
    assert isolated_pytest("python -m pytest -x") == ("", "-x")
    assert isolated_pytest("DJANGO_SETTINGS_MODULE=s python3 -m pytest") == ("DJANGO_SETTINGS_MODULE=s", "")
    assert isolated_pytest("pytest -q tests") == ("", "-q tests")
    assert isolated_pytest("tox -e py") is None
    cmd = FRAMEWORKS["pytest"].command(TestSpec(), "/tmp/j.xml", None, plugins=["xdist"], canary=("a", "b"))
    assert "forager_pytest.py" in cmd and "PYTEST_DISABLE_PLUGIN_AUTOLOAD=1" in cmd and "-p xdist" in cmd
    assert "-m pytest" not in cmd and "--forager-canary=a,b" in cmd
    legacy = FRAMEWORKS["pytest"].command(TestSpec(command="tox -e py"), "/tmp/j.xml", None, plugins=[])
    assert "tox -e py" in legacy and "forager_pytest.py" not in legacy
