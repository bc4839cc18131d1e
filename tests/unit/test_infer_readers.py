"""Recipe inference readers: each file kind read into Evidence, without running anything."""

from __future__ import annotations

from forager.recipes.inference.evidence import Evidence, Fact
from forager.recipes.inference.pyproject import poetry_version, read_pyproject
from forager.recipes.inference.python_version import choose_python
from forager.recipes.inference.requirements import requirement_files_for_tests
from forager.recipes.inference.setup_files import read_setup_cfg, read_setup_py
from forager.recipes.inference.tox_nox import read_noxfile, read_tox_ini
from forager.recipes.inference.workflows import read_workflow

PYPROJECT = """
[build-system]
requires = ["hatchling", "hatch-vcs"]
build-backend = "hatchling.build"

[project]
name = "demo"
dynamic = ["version"]
requires-python = ">=3.9"
dependencies = ["attrs>=21"]
classifiers = ["Programming Language :: Python :: 3.10", "Programming Language :: Python :: 3.12"]

[project.optional-dependencies]
test = ["pytest>=7", "freezegun"]
docs = ["sphinx"]

[dependency-groups]
lint = ["ruff"]
test = ["pytest-mock", {include-group = "lint"}]

[tool.pytest.ini_options]
addopts = "--cov=demo -n auto"
testpaths = ["tests"]
asyncio_mode = "auto"
"""


def test_pyproject_pep621_extras_groups_pytest_and_scm():
    ev = read_pyproject(PYPROJECT)
    assert ev.requires_python.value == ">=3.9"
    assert ev.classifier_pythons == ["3.10", "3.12"]
    assert [d.value for d in ev.dependencies] == ["attrs>=21"]
    assert ev.extras["test"] == ["pytest>=7", "freezegun"]
    assert ev.groups["test"] == ["pytest-mock", "ruff"]  # include-group expanded
    assert ev.pytest.testpaths == ["tests"] and ev.pytest.addopts == ["--cov=demo", "-n", "auto"]
    assert {"pytest-cov", "pytest-xdist", "pytest-asyncio"} <= set(ev.pytest.required_plugins)
    assert ev.scm_version and "hatch-vcs" in ev.scm_version.value


def test_poetry_sections_become_plain_requirements():
    ev = read_pyproject('[tool.poetry.dependencies]\npython = "^3.8"\nrequests = "^2.28"\n'
                        '[tool.poetry.group.test.dependencies]\npytest = "~7.2"\nlocal = {path = "../x"}\n')
    assert [d.value for d in ev.dependencies] == ["requests>=2.28,<3"]
    assert ev.groups["test"] == ["pytest>=7.2,<7.3"]
    assert poetry_version("^0.3.1") == ">=0.3.1,<0.4" and poetry_version("*") == "" and poetry_version("1.0") == "==1.0"


def test_setup_cfg_options_and_tool_pytest():
    ev = read_setup_cfg("[options]\npython_requires = >=3.8\ninstall_requires =\n    six\n    attrs; python_version<'4'\n"
                        "[options.extras_require]\ntesting =\n    pytest\n    hypothesis\n"
                        "[tool:pytest]\naddopts = --timeout=30\n")
    assert ev.requires_python.value == ">=3.8"
    assert [d.value for d in ev.dependencies] == ["six", "attrs; python_version<'4'"]
    assert ev.extras == {"testing": ["pytest", "hypothesis"]}
    assert ev.pytest.required_plugins == ["pytest-timeout"]


def test_setup_py_is_read_as_a_syntax_tree_never_run():
    src = ("import os\nos.system('touch /tmp/should-not-run')\nTESTS = ['pytest', 'mock']\nREQS = ['click'] + ['six']\n"
           "setup(name='x', python_requires='>=3.7', install_requires=REQS, tests_require=TESTS,\n"
           "      extras_require={'dev': TESTS + ['tox']}, setup_requires=['setuptools_scm'])\n")
    ev = read_setup_py(src)
    assert [d.value for d in ev.dependencies] == ["click", "six"]
    assert ev.groups == {"tests_require": ["pytest", "mock"]} and ev.extras == {"dev": ["pytest", "mock", "tox"]}
    assert ev.requires_python.value == ">=3.7" and ev.scm_version is not None
    assert read_setup_py("def broken(:\n") == Evidence()


def test_tox_ini_deps_commands_setenv_and_factors():
    ev = read_tox_ini("[tox]\nenvlist = py38,py39\n[testenv]\ndeps =\n    pytest\n    py38: mock\n    -rrequirements-test.txt\n"
                      "extras = test\nsetenv =\n    PYTHONHASHSEED = 0\n    HOME = {envtmpdir}\ncommands = pytest {posargs} tests\n")
    assert [d.value for d in ev.tox_deps] == ["pytest", "mock", "-rrequirements-test.txt"]
    assert ev.tox_setenv == {"PYTHONHASHSEED": "0"} and ev.tox_extras == ["test"]
    assert [c.value for c in ev.tox_commands] == ["pytest {posargs} tests"]


def test_noxfile_literal_installs():
    ev = read_noxfile("import nox\n@nox.session\ndef tests(session):\n    session.install('-e', '.[test]')\n"
                      "    session.install(*DEPS)\n    session.run('pytest')\n")
    assert [f.value for f in ev.nox_installs] == ["-e .[test]"]


def test_requirement_files_for_tests_first():
    files = ["requirements.txt", "requirements-dev.txt", "requirements/test.txt", "docs/requirements.txt", "setup.py"]
    assert requirement_files_for_tests(files) == ["requirements/test.txt", "requirements-dev.txt"]
    assert requirement_files_for_tests(["test_requirements.txt", "requirements.txt"]) == ["test_requirements.txt"]


WORKFLOW = """
on: [push]
jobs:
  test:
    strategy:
      matrix:
        python-version: ["3.9", "3.11", "pypy-3.10"]
    steps:
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python-version }}
      - run: |
          sudo apt-get install -y libxml2-dev gettext
          python -m pip install --upgrade pip
          pip install -e .[test] && pip install coverage
      - run: python -m pytest -x tests
      - run: pip install ${{ matrix.extra }}
"""


def test_workflow_versions_installs_tests_and_apt():
    ev = read_workflow(WORKFLOW, ".github/workflows/ci.yml")
    assert [f.value for f in ev.workflow_pythons] == ["3.9", "3.11", "3.10"]
    assert [f.value for f in ev.workflow_installs] == ["pip install -e .[test]", "pip install coverage"]
    assert [f.value for f in ev.workflow_tests] == ["python -m pytest -x tests"]
    assert [f.value for f in ev.apt] == ["libxml2-dev", "gettext"]


def test_python_choice_prefers_311_else_the_nearest_allowed():
    assert choose_python(Evidence()).value == "3.11"
    old = Evidence(requires_python=Fact(value=">=3.6,<3.11", origin="setup.py"))
    assert choose_python(old).value == "3.9"
    new = Evidence(requires_python=Fact(value=">=3.12", origin="pyproject.toml"))
    assert choose_python(new).value == "3.13"
    assert "requires-python" in choose_python(old).origin


def test_evidence_merge_keeps_values_filled_in_place():
    from forager.recipes.inference.tree import READERS
    ev = Evidence().merge(READERS["tox.ini"]("[testenv]\nsetenv =\n    MODE = strict\n", "tox.ini"))
    assert ev.tox_setenv == {"MODE": "strict"}


def test_test_folders_are_folders():
    from forager.recipes.inference.tree import find_test_dirs
    assert find_test_dirs(["src/test_typing_extensions.py", "src/typing_extensions.py"]) == ["src"]
    assert find_test_dirs(["src/pkg/tests/test_a.py", "src/pkg/tests/test_b.py", "tests/test_c.py"]) == ["src/pkg", "tests"]


def _candidates(files: list[str], workflow: str | None = None):
    from forager.recipes.inference.candidates import candidates
    from forager.records.recipe import Source
    ev = Evidence(files=files, requirement_files=requirement_files_for_tests(files))
    if workflow:
        ev = ev.merge(read_workflow(workflow, ".github/workflows/ci.yml"))
    return candidates(ev, Source(github="o/demo", commit="a" * 40), "demo", False)


def test_the_project_is_installed_again_last_without_dependencies():
    from forager.recipes.inference.candidates import SELF_LAST
    cands = _candidates(["demo/__init__.py", "tests/test_a.py"], WORKFLOW)
    by = {c.label: c.recipe.install for c in cands}
    assert by["packaging metadata, editable"][-1] == f"{SELF_LAST} -e ."
    assert by["packaging metadata"][-1] == f"{SELF_LAST} ."
    assert by["CI workflow"][-1] == f"{SELF_LAST} -e ."  # its steps install `-e .[test]`
    assert any("installed again last" in p for p in cands[0].provenance)


def test_top_level_requirements_txt_when_nothing_else_names_test_tools():
    with_txt = _candidates(["requirements.txt", "tests/test_a.py"])[0].recipe.install
    assert "uv pip install --python python --reinstall -r requirements.txt" in with_txt
    both = _candidates(["requirements.txt", "requirements-test.txt", "tests/test_a.py"])[0].recipe.install
    assert not any(line.endswith("-r requirements.txt") for line in both)


PREPARING_WORKFLOW = """
jobs:
  test:
    steps:
      - run: sudo apt install gettext
      - name: Generate translation binaries
        run: scripts/generate-translation-binaries.sh
      - run: ./scripts/upload-coverage.sh
      - run: uvx --python ${{ matrix.python-version }} --with tox-uv tox -e py
      - run: scripts/after-tests.sh
  docs:
    steps:
      - run: bash scripts/build-site.sh
"""


def test_workflow_preparation_scripts_of_a_testing_job_run_after_the_install():
    from forager.recipes.inference.candidates import PREPARE_FAILED, add_install, prepare_lines
    ev = read_workflow(PREPARING_WORKFLOW, ".github/workflows/test.yml")
    # Before the tests, in the job that tests; not the upload, not after the tests, not the docs job's.
    assert [f.value for f in ev.workflow_prepares] == ["scripts/generate-translation-binaries.sh"]
    assert prepare_lines(ev) == []  # not in the tree
    ev.files = ["scripts/generate-translation-binaries.sh"]
    (line,) = prepare_lines(ev)
    assert line.startswith("{ scripts/generate-translation-binaries.sh; } ||") and PREPARE_FAILED in line
    install = ["pip install -q uv", "uv pip install --python python --reinstall --no-deps -e .", line]
    assert add_install(install, "X") == [install[0], "X", install[1], line]  # before the reinstall, still


def test_a_failed_preparation_script_is_left_out():
    from forager.recipes.attempt import Attempt
    from forager.recipes.fixers import fix
    from forager.recipes.inference.candidates import PREPARE_FAILED, Candidate
    from forager.records.recipe import Recipe, Source
    recipe = Recipe(name="p", source=Source(github="o/p", commit="a" * 40), python="3.11",
                    install=["pip install -e .", f"{{ s.sh; }} || {{ echo '{PREPARE_FAILED} s.sh' >&2; exit 1; }}"])
    attempt = Attempt(label="x", recipe_hash="h", status="failed", stage="parsed", reason=f"{PREPARE_FAILED} s.sh")
    fixed = fix(Candidate("x", recipe, []), attempt)
    assert fixed.recipe.install == ["pip install -e ."] and "preparation script" in fixed.provenance[-1]


def test_checking_steps_and_wrappers_of_ci_machines_prepare_nothing():
    from forager.recipes.inference.candidates import prepare_lines
    wf = PREPARING_WORKFLOW.replace("Generate translation binaries", "Check spec file is up to date")
    assert read_workflow(wf, "t.yml").workflow_prepares == []
    ev = read_workflow(PREPARING_WORKFLOW.replace("scripts/generate-translation-binaries.sh",
                                                  "./ci/retry.sh venv/bin/python update.py"), "t.yml")
    ev.files = ["ci/retry.sh", "update.py"]
    assert [f.value for f in ev.workflow_prepares] == ["./ci/retry.sh venv/bin/python update.py"]
    assert prepare_lines(ev) == []  # venv/bin/python is a CI machine's, not the tree's
