"""GitHub Actions workflows: the Python versions of setup-python, and the run: lines that install
packages, run the tests or install apt packages."""

from __future__ import annotations

import re

import yaml

from forager.recipes.inference.evidence import Evidence, Fact

_APT = re.compile(r"apt(?:-get)?\s+install\s+(?P<args>[^\n;&|]+)")
_PY = re.compile(r"^3\.\d{1,2}$")


def read_workflow(text: str, path: str) -> Evidence:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return Evidence()
    ev = Evidence()
    jobs = data.get("jobs", {}) if isinstance(data, dict) else {}
    for job_name, job in (jobs.items() if isinstance(jobs, dict) else []):
        if not isinstance(job, dict):
            continue
        matrix = _matrix(job)
        for step in job.get("steps", []) or []:
            if not isinstance(step, dict):
                continue
            where = f"{path} job {job_name}"
            if "setup-python" in str(step.get("uses", "")):
                for v in _versions(step.get("with", {}) or {}, matrix):
                    if v not in [f.value for f in ev.workflow_pythons]:
                        ev.workflow_pythons.append(Fact(value=v, origin=where))
            run = step.get("run")
            if isinstance(run, str):
                _read_run(run, where, ev)
    return ev


def _matrix(job: dict) -> dict:
    strategy = job.get("strategy", {})
    matrix = strategy.get("matrix", {}) if isinstance(strategy, dict) else {}
    return matrix if isinstance(matrix, dict) else {}


def _versions(with_: dict, matrix: dict) -> list[str]:
    raw = with_.get("python-version", "")
    values: list = []
    m = re.fullmatch(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}", str(raw).strip())
    if m:
        values = matrix.get(m.group(1), []) or []
        for inc in matrix.get("include", []) or []:
            if isinstance(inc, dict) and m.group(1) in inc:
                values.append(inc[m.group(1)])
    else:
        values = [raw]
    out = []
    for v in values if isinstance(values, list) else [values]:
        v = str(v).strip().removeprefix("pypy").removeprefix("-")
        v = ".".join(v.split(".")[:2])
        if _PY.match(v) and v not in out:
            out.append(v)
    return out


def _logical_lines(run: str) -> list[str]:
    return [ln.strip() for ln in run.replace("\\\n", " ").splitlines() if ln.strip() and not ln.strip().startswith("#")]


def _read_run(run: str, where: str, ev: Evidence) -> None:
    for line in _logical_lines(run):
        for part in re.split(r"\s*(?:&&|;)\s*", line):
            words = part.split()
            if not words:
                continue
            if "${{" in part:
                continue  # a value the workflow fills in; not reproducible here
            if _is_pip_install(words):
                ev.workflow_installs.append(Fact(value=part, origin=where))
            elif _is_test_run(words):
                ev.workflow_tests.append(Fact(value=part, origin=where))
            m = _APT.search(part)
            if m:
                for pkg in m.group("args").split():
                    if not pkg.startswith("-") and pkg not in [f.value for f in ev.apt]:
                        ev.apt.append(Fact(value=pkg, origin=where))


def _is_pip_install(words: list[str]) -> bool:
    s = " ".join(words)
    return bool(re.search(r"(^|\s)(python3?\s+-m\s+)?(pip|uv\s+pip)\s+install\b", s)) and "--upgrade pip" not in s \
        and not re.search(r"install\s+(-U\s+|--upgrade\s+)?(pip|setuptools|wheel|tox|nox|build|twine)(\s|$)", s)


def _is_test_run(words: list[str]) -> bool:
    s = " ".join(words)
    return bool(re.search(r"(^|\s)(python3?\s+-m\s+)?(pytest|py\.test)(\s|$)", s)) or "unittest" in s
