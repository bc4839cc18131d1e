"""One adapter per test framework: the shell command that runs tests and writes JUnit XML."""

from __future__ import annotations

import shlex
import xml.etree.ElementTree as ET
from typing import Callable, Protocol

from forager.containers import HELPERS as HELPERS_DIR
from forager.records.recipe import TestSpec
from forager.testsuite import junit


class Framework(Protocol):
    name: str
    id_of: Callable[[ET.Element], str]

    def command(self, spec: TestSpec, junit_path: str, ids_file: str | None, first_file: str | None = None,
                plugins: list[str] | None = None, canary: tuple[str, str] | None = None) -> str: ...

    def canary_ids(self, canary: tuple[str, str]) -> tuple[str, str]: ...

    def coverage_command(self, spec: TestSpec, junit_path: str, data_file: str) -> str: ...


# Helpers on PYTHONPATH make Forager's pytest plugins importable.
WITH_HELPERS = f"PYTHONPATH={HELPERS_DIR}${{PYTHONPATH:+:$PYTHONPATH}}"


def _coverage_run(data_file: str) -> str:
    # Only /testbed is measured, with Forager's settings alone (never the repository's).
    return (f"{WITH_HELPERS} COVERAGE_RCFILE={HELPERS_DIR}/coveragerc python -m coverage run "
            f"--rcfile={HELPERS_DIR}/coveragerc --data-file={shlex.quote(data_file)} --include='/testbed/*'")


def _selection(paths: list[str], ids_file: str | None) -> tuple[str, str]:
    """(prelude, arguments): test ids come from a file so any number of them fits."""
    if ids_file:
        return f"mapfile -t _ids < {shlex.quote(ids_file)}; ", '"${_ids[@]}"'
    return "", " ".join(shlex.quote(p) for p in paths)


def code_reads_path(data_file: str) -> str:
    """Where forager_cov writes which tests read which functions' code (pytest only); not
    DATA_FILE.*, which coverage_map.py merges as coverage data."""
    return f"{data_file.rsplit('/', 1)[0]}/code-reads.json" if "/" in data_file else "code-reads.json"


LAUNCHER = f"{HELPERS_DIR}/forager_pytest.py"
_PYTHONS = ("python", "python3")


def isolated_pytest(command: str) -> tuple[str, str] | None:
    """(environment assignments, pytest options) when the recipe's command is a plain pytest
    call (`[VAR=x ...] python -m pytest OPTS` or `[VAR=x ...] pytest OPTS`), else None."""
    words = shlex.split(command)
    env = []
    while words and "=" in words[0] and words[0].split("=", 1)[0].isidentifier():
        env.append(words.pop(0))
    if len(words) >= 3 and (words[0] in _PYTHONS or words[0].startswith("python3.")) and words[1:3] == ["-m", "pytest"]:
        opts = words[3:]
    elif words[:1] in (["pytest"], ["py.test"]):
        opts = words[1:]
    else:
        return None
    return " ".join(shlex.quote(w) for w in env), " ".join(shlex.quote(w) for w in opts)


def pytest_runner(spec: TestSpec, plugins: list[str] | None) -> str:
    """The isolated pytest command: Forager's launcher (the working directory last on sys.path),
    plugin autoload off and each plugin recorded from the unchanged tree named with -p.
    A recipe command that is not a plain pytest call runs as written (not isolated)."""
    parsed = isolated_pytest(spec.command)
    if parsed is None or plugins is None:
        return f"{WITH_HELPERS} {spec.command}"
    env, opts = parsed
    named = " ".join(f"-p {shlex.quote(p)}" for p in plugins)
    return f"{WITH_HELPERS} PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 {env} python {LAUNCHER} {opts} {named}"


class Pytest:
    name = "pytest"
    id_of = staticmethod(junit.pytest_node_id)

    supports_first = True

    def command(self, spec: TestSpec, junit_path: str, ids_file: str | None, first_file: str | None = None,
                plugins: list[str] | None = None, canary: tuple[str, str] | None = None) -> str:
        prelude, args = _selection(spec.paths, ids_file)
        # xunit1 keeps the `file` attribute that node ids are rebuilt from; no cache so
        # runs do not influence each other through .pytest_cache.
        opts = f"-p no:cacheprovider -p forager_nodeid -o junit_family=xunit1 --junitxml={shlex.quote(junit_path)}"
        if first_file:
            opts += f" -p forager_first --forager-first={shlex.quote(first_file)}"
        if canary:
            opts += f" -p forager_canary --forager-canary={shlex.quote(','.join(canary))}"
        return f"{prelude}{pytest_runner(spec, plugins)} {opts} {args}"

    def canary_ids(self, canary: tuple[str, str]) -> tuple[str, str]:
        return canary

    def coverage_command(self, spec: TestSpec, junit_path: str, data_file: str) -> str:
        _, args = _selection(spec.paths, None)
        opts = (f"-p no:cacheprovider -p forager_cov -p forager_nodeid -o junit_family=xunit1 "
                f"--junitxml={shlex.quote(junit_path)}")
        reads = shlex.quote(code_reads_path(data_file))
        return f"FORAGER_CODE_READS={reads} {_coverage_run(data_file)} -m pytest {pytest_options(spec.command)} {opts} {args}"


def pytest_options(command: str) -> str:
    """The options a recipe put after its pytest runner ('python -m pytest -x' -> '-x')."""
    words = shlex.split(command)
    for i, w in enumerate(words):
        if w == "pytest" or w.endswith("/pytest"):
            return " ".join(shlex.quote(x) for x in words[i + 1:])
    return ""


class Unittest:
    name = "unittest"
    id_of = staticmethod(junit.dotted_id)

    supports_first = False

    def command(self, spec: TestSpec, junit_path: str, ids_file: str | None, first_file: str | None = None,
                plugins: list[str] | None = None, canary: tuple[str, str] | None = None) -> str:
        prelude, args = _selection(spec.paths, ids_file)
        runner = f"python {HELPERS_DIR}/unittest_junit.py --junit {shlex.quote(junit_path)}"
        if canary:
            runner += f" --canary {shlex.quote(','.join(canary))}"
        return f"{prelude}{runner} {args}"

    def canary_ids(self, canary: tuple[str, str]) -> tuple[str, str]:
        return f"forager_canary.Canary.{canary[0]}", f"forager_canary.Canary.{canary[1]}"

    def coverage_command(self, spec: TestSpec, junit_path: str, data_file: str) -> str:
        _, args = _selection(spec.paths, None)
        return (f"{_coverage_run(data_file)} {HELPERS_DIR}/unittest_junit.py "
                f"--junit {shlex.quote(junit_path)} {args}")


FRAMEWORKS: dict[str, Framework] = {"pytest": Pytest(), "unittest": Unittest()}
