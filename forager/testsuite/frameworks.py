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

    def command(self, spec: TestSpec, junit_path: str, ids_file: str | None, first_file: str | None = None) -> str: ...

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


class Pytest:
    name = "pytest"
    id_of = staticmethod(junit.pytest_node_id)

    supports_first = True

    def command(self, spec: TestSpec, junit_path: str, ids_file: str | None, first_file: str | None = None) -> str:
        prelude, args = _selection(spec.paths, ids_file)
        # xunit1 keeps the `file` attribute that node ids are rebuilt from; no cache so
        # runs do not influence each other through .pytest_cache.
        opts = f"-p no:cacheprovider -p forager_nodeid -o junit_family=xunit1 --junitxml={shlex.quote(junit_path)}"
        if first_file:
            opts += f" -p forager_first --forager-first={shlex.quote(first_file)}"
        return f"{prelude}{WITH_HELPERS} {spec.command} {opts} {args}"

    def coverage_command(self, spec: TestSpec, junit_path: str, data_file: str) -> str:
        _, args = _selection(spec.paths, None)
        opts = (f"-p no:cacheprovider -p forager_cov -p forager_nodeid -o junit_family=xunit1 "
                f"--junitxml={shlex.quote(junit_path)}")
        return f"{_coverage_run(data_file)} -m pytest {pytest_options(spec.command)} {opts} {args}"


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

    def command(self, spec: TestSpec, junit_path: str, ids_file: str | None, first_file: str | None = None) -> str:
        prelude, args = _selection(spec.paths, ids_file)
        runner = f"python {HELPERS_DIR}/unittest_junit.py --junit {shlex.quote(junit_path)}"
        return f"{prelude}{runner} {args}"

    def coverage_command(self, spec: TestSpec, junit_path: str, data_file: str) -> str:
        _, args = _selection(spec.paths, None)
        return (f"{_coverage_run(data_file)} {HELPERS_DIR}/unittest_junit.py "
                f"--junit {shlex.quote(junit_path)} {args}")


FRAMEWORKS: dict[str, Framework] = {"pytest": Pytest(), "unittest": Unittest()}
