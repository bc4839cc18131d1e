"""Recipe inference for real: small repositories built in the test, each with one way of declaring
how it installs and tests, inferred by the CLI, built and validated in real containers."""

from __future__ import annotations

import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from forager.records.recipe import Recipe
from tests.conftest import forager

pytestmark = pytest.mark.docker

LIB = "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n"
TESTS = "".join(f"\n\ndef test_add_{i}():\n    assert add({i}, 1) == {i + 1}\n" for i in range(22))
PYTEST_TESTS = "from calcpkg import add, mul\n" + TESTS + "\n\ndef test_mul():\n    assert mul(2, 3) == 6\n"
SETUPTOOLS = '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'


def _repo(root: Path, files: dict[str, str], date: str = "2026-06-01T12:00:00+00:00") -> Path:
    for rel, text in {"calcpkg/__init__.py": LIB, **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date, "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for cmd in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-qm", "snapshot"]):
        subprocess.run(cmd, cwd=root, env=env, check=True)
    return root


def _infer(tmp_path: Path, repo: Path) -> tuple[Recipe, str, object]:
    out = tmp_path / "recipes"
    res = forager("recipe", "infer", str(repo), "-o", str(out), "--images-dir", str(tmp_path / "images"),
                  env={"FORAGER_HOME": str(tmp_path / "home")})
    assert res.returncode == 0, res.stderr[-3000:]
    path = out / f"{repo.name}.toml"
    text = path.read_text()
    recipe = Recipe.model_validate(tomllib.loads(text))
    from forager.records.manifest import load
    manifest = load(tmp_path / "images" / f"{recipe.name}.json")
    assert manifest.status == "ok" and len(manifest.passing()) >= 20, manifest.reject_reason
    return recipe, text, manifest


CASES = {
    "setuppy": {"setup.py": "from setuptools import setup\nsetup(name='calcpkg', version='1.0', packages=['calcpkg'],\n"
                            "      extras_require={'test': ['pytest']})\n", "tests/test_calc.py": PYTEST_TESTS},
    "extra": {"pyproject.toml": SETUPTOOLS + '[project]\nname = "calcpkg"\nversion = "1.0"\n'
                                '[project.optional-dependencies]\ntest = ["pytest", "freezegun"]\n',
              "tests/test_calc.py": "import freezegun\n" + PYTEST_TESTS},
    "groups": {"pyproject.toml": SETUPTOOLS + '[project]\nname = "calcpkg"\nversion = "1.0"\n'
                                 '[dependency-groups]\ntest = ["pytest", {include-group = "extra"}]\nextra = ["tomli-w"]\n',
               "tests/test_calc.py": "import tomli_w\n" + PYTEST_TESTS},
    "tox": {"setup.py": "from setuptools import setup\nsetup(name='calcpkg', version='1.0', packages=['calcpkg'])\n",
            "tox.ini": "[testenv]\ndeps =\n    pytest\n    six\nsetenv =\n    CALC_MODE = strict\ncommands = pytest tests\n",
            "tests/test_calc.py": "import os, six\n" + PYTEST_TESTS + "\n\ndef test_env():\n    assert os.environ['CALC_MODE'] == 'strict'\n"},
    "unittest": {"setup.py": "from setuptools import setup\nsetup(name='calcpkg', version='1.0', packages=['calcpkg'])\n",
                 "tests/__init__.py": "",
                 "tests/test_calc.py": "import unittest\nfrom calcpkg import add\n\n\nclass T(unittest.TestCase):\n" +
                 "".join(f"    def test_{i}(self):\n        self.assertEqual(add({i}, 1), {i + 1})\n\n" for i in range(22))},
    # unittest tests in a folder that is not a package (typing_extensions' src/): the unittest runner
    # cannot import them, so a fixer runs the same tests under pytest
    "unittest-src": {"setup.py": "from setuptools import setup\nsetup(name='calcpkg', version='1.0', packages=['calcpkg'])\n",
                     "src/test_calc.py": "import unittest\nfrom calcpkg import add\n\n\nclass T(unittest.TestCase):\n" +
                     "".join(f"    def test_{i}(self):\n        self.assertEqual(add({i}, 1), {i + 1})\n\n" for i in range(22))},
    "requirements": {"setup.py": "from setuptools import setup\nsetup(name='calcpkg', version='1.0', packages=['calcpkg'])\n",
                     "requirements-test.txt": "pytest\nattrs\n", "tests/test_calc.py": "import attr\n" + PYTEST_TESTS},
    "workflow": {"setup.py": "from setuptools import setup\nsetup(name='calcpkg', version='1.0', packages=['calcpkg'])\n",
                 ".github/workflows/ci.yml": "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
                 "      - uses: actions/setup-python@v5\n        with:\n          python-version: '3.11'\n"
                 "      - run: pip install -e . && pip install pytest iniconfig toolz\n      - run: pytest tests\n",
                 "tests/test_calc.py": "import toolz\n" + PYTEST_TESTS},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_inferred_recipe_validates(case, tmp_path, base_image):
    recipe, text, manifest = _infer(tmp_path, _repo(tmp_path / f"calc-{case}", CASES[case]))
    assert "Inferred by `forager recipe infer`" in text and "where each choice came from" in text
    if case == "unittest":
        assert recipe.test.framework == "unittest"
    if case == "unittest-src":
        assert recipe.test.framework == "pytest" and "fixer: the unittest runner did not load" in text
    if case == "tox":
        assert recipe.env.get("CALC_MODE") == "strict"
    assert recipe.source.commit and len(recipe.source.commit) == 40


def test_old_commit_gets_the_releases_of_its_time(tmp_path, base_image):
    # packaging 22.0 (December 2022) removed LegacyVersion: only the release of the commit's time has it.
    files = {"pyproject.toml": SETUPTOOLS + '[project]\nname = "calcpkg"\nversion = "1.0"\ndependencies = ["packaging"]\n'
                               '[project.optional-dependencies]\ntest = ["pytest"]\n',
             "tests/test_calc.py": "from packaging.version import LegacyVersion\n" + PYTEST_TESTS +
             "\n\ndef test_legacy():\n    assert str(LegacyVersion('foo')) == 'foo'\n"}
    recipe, _, manifest = _infer(tmp_path, _repo(tmp_path / "calc-old", files, date="2022-06-01T12:00:00+00:00"))
    assert recipe.env["UV_EXCLUDE_NEWER"] == "2022-06-08T12:00:00Z"  # the commit's date and 7 days
    assert manifest.packages["packaging"].startswith("21.")
    assert "tests/test_calc.py::test_legacy" in manifest.passing()


@pytest.mark.parametrize("python,requires", [("3.9", ">=3.8,<3.10"), ("3.13", ">=3.12")])
def test_python_version_from_requires_python(python, requires, tmp_path, base_image):
    files = {"pyproject.toml": SETUPTOOLS + f'[project]\nname = "calcpkg"\nversion = "1.0"\nrequires-python = "{requires}"\n'
                               '[project.optional-dependencies]\ntest = ["pytest"]\n',
             "tests/test_calc.py": PYTEST_TESTS}
    recipe, _, manifest = _infer(tmp_path, _repo(tmp_path / f"calc-py{python.replace('.', '')}", files))
    assert recipe.python == python and manifest.python_version.startswith(python)


def test_bad_sources_are_one_line_each_and_the_others_go_on(tmp_path, base_image):
    good = _repo(tmp_path / "calc-good", CASES["setuppy"])
    notgit = tmp_path / "plain"
    notgit.mkdir()
    res = forager("recipe", "infer", str(notgit), env={"FORAGER_HOME": str(tmp_path / "home")})
    assert res.returncode == 2 and "is a directory but not a git repository" in res.stderr
    listing = tmp_path / "repos.txt"
    listing.write_text(f"# two sources\n{good}\nfile:///nonexistent/repo.git@{'a' * 40}\n")
    res = forager("recipe", "infer", str(listing), "-o", str(tmp_path / "out"), "--images-dir", str(tmp_path / "images"),
                  env={"FORAGER_HOME": str(tmp_path / "home")})
    assert res.returncode == 1, res.stderr[-2000:]
    assert "cannot clone" in res.stderr and (tmp_path / "out" / "calc-good.toml").is_file()


GEN_RECIPE = """python = "3.11"
install = ["pip install -e .", "pip install pytest", "python scripts/gen.py"]
[test]
paths = ["tests"]
"""


def test_repair_agent_proposes_validated_recipes_and_never_edits_the_source(tmp_path, base_image, monkeypatch):
    """The heuristics cannot know that a script must generate a module; a scripted policy (a policy,
    like the oracle, not a server mock) plays the repair agent in a real build container."""
    from forager.jsonio import read_lines
    from forager.recipes.infer import infer_one
    from forager.recipes.sources import parse_source
    from forager.records.trajectory import Trajectory
    from forager.repair.agent import RepairSettings, repair
    from tests.integration.scripted import ScriptedPolicy, bash

    monkeypatch.setenv("FORAGER_HOME", str(tmp_path / "home"))
    files = {"setup.py": "from setuptools import setup\nsetup(name='calcpkg', version='1.0', packages=['calcpkg'])\n",
             ".gitignore": "calcpkg/_generated.py\n",
             "scripts/gen.py": "open('calcpkg/_generated.py', 'w').write('VALUE = 42\\n')\n",
             "tests/test_calc.py": "from calcpkg._generated import VALUE\n" + PYTEST_TESTS +
             "\n\ndef test_value():\n    assert VALUE == 42\n"}
    repo = _repo(tmp_path / "calc-repair", files)
    tamper = GEN_RECIPE.replace('"python scripts/gen.py"]', '"python scripts/gen.py", "sed -i \'s/a + b/a - b/\' calcpkg/__init__.py"]')
    turns = [bash("cat /testbed/scripts/gen.py; ls /testbed"),
             f"A recipe.\n<tool: create>\n/tmp/tamper.toml\n{tamper}</tool>", "Try it.\n<tool: submit>\n/tmp/tamper.toml\n</tool>",
             f"Without editing.\n<tool: create>\n/tmp/recipe.toml\n{GEN_RECIPE}</tool>",
             "Submitting.\n<tool: submit>\n/tmp/recipe.toml\n</tool>", "The recipe validates."]
    log = tmp_path / "repair.jsonl"

    def repairer(src, best, failure, validate):
        assert "tests" in failure or "ModuleNotFoundError" in failure or "passing" in failure
        return repair(src, best, failure, validate, ScriptedPolicy(turns), log, RepairSettings(max_steps=8))

    result = infer_one(parse_source(str(repo)), tmp_path / "recipes", tmp_path / "images", repairer=repairer)
    labels = [(a.label, a.status, a.passed) for a in result.attempts]
    repaired = [a for a in result.attempts if a.label == "repair agent"]
    assert len(repaired) == 2, labels
    assert repaired[0].status == "failed" and "changed tracked files" in repaired[0].log_tail
    assert repaired[1].passed == 24, labels
    assert result.winner is not None and "python scripts/gen.py" in result.winner.install
    assert not any("sed -i" in line for line in result.winner.install)
    (traj,) = list(read_lines(log, Trajectory))
    assert traj.variant == "recipe-repair" and traj.reward == 1.0 and traj.exit_status == "submitted"
    assert [t.tool.name for t in traj.turns if t.tool.name] == ["bash", "create", "submit", "create", "submit"]
    assert any("changed tracked files" in m.content for m in traj.messages)  # the agent saw why
