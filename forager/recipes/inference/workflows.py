"""GitHub Actions workflows: the Python versions of setup-python, and the run: lines that install
packages, run the tests, install apt packages, or run one of the repository's own scripts to
prepare the tests (e.g. compile translation catalogues) in a job that then runs the tests."""

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
        job_ev = Evidence()
        for step in job.get("steps", []) or []:
            if not isinstance(step, dict):
                continue
            where = f"{path} job {job_name}"
            if "setup-python" in str(step.get("uses", "")):
                for v in _versions(step.get("with", {}) or {}, matrix):
                    if v not in [f.value for f in ev.workflow_pythons + job_ev.workflow_pythons]:
                        job_ev.workflow_pythons.append(Fact(value=v, origin=where))
            run = step.get("run")
            if isinstance(run, str):
                _read_run(run, where, job_ev, prepares=not _NOT_PREPARE_STEP.search(str(step.get("name", ""))))
        if not job_ev.runs_tests:
            job_ev.workflow_prepares = []  # a script of a job that tests nothing is not a test's preparation
        ev = ev.merge(job_ev)
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


def _read_run(run: str, where: str, ev: Evidence, prepares: bool = True) -> None:
    for line in _logical_lines(run):
        for part in re.split(r"\s*(?:&&|;)\s*", line):
            words = part.split()
            if not words:
                continue
            if _RUNNER.search(part) or _is_test_run(words):
                ev.runs_tests = True  # even with values the workflow fills in: the job tests
            if "${{" in part:
                continue  # a value the workflow fills in; not reproducible here
            if _is_pip_install(words):
                ev.workflow_installs.append(Fact(value=part, origin=where))
            elif _is_test_run(words):
                ev.workflow_tests.append(Fact(value=part, origin=where))
            elif prepares and not ev.runs_tests and _is_repo_script(words):
                ev.workflow_prepares.append(Fact(value=part, origin=where))
            m = _APT.search(part)
            if m:
                for pkg in m.group("args").split():
                    if not pkg.startswith("-") and pkg not in [f.value for f in ev.apt]:
                        ev.apt.append(Fact(value=pkg, origin=where))


# Test runners other than pytest and unittest: a job that calls one tests the project.
_RUNNER = re.compile(r"(^|\s)(tox|nox|hatch\s+(run|test)|make\s+(test|check))(\s|$)")
_SCRIPT = re.compile(r"^(\./)?[\w.-]+(/[\w.-]+)*\.(sh|py)$")
# Scripts that publish, check style, build documentation or measure: none prepares a test run.
_NOT_PREPARE = re.compile(r"release|publish|deploy|upload|docs?\b|lint|bench|coverage|codecov|changelog|format|mypy|"
                          r"typecheck|check[_-]?(manifest|version)|install|setup", re.I)


# A step named for checking or publishing something (e.g. "Check spec file is up to date") prepares nothing.
_NOT_PREPARE_STEP = re.compile(r"check|verify|up.to.date|lint|docs?\b|release|publish|upload|deploy|coverage|bench", re.I)


def _is_repo_script(words: list[str]) -> bool:
    """`scripts/x.sh`, `./x.sh`, `bash scripts/x.sh`, `python tools/x.py`: a file of the repository
    (checked against the tree later), run with no shell tricks."""
    if words[0] in ("bash", "sh", "python", "python3") and len(words) > 1:
        words = words[1:]
    return bool(_SCRIPT.match(words[0])) and not _NOT_PREPARE.search(words[0]) \
        and not any(c in " ".join(words) for c in "$`|><")


def _is_pip_install(words: list[str]) -> bool:
    s = " ".join(words)
    return bool(re.search(r"(^|\s)(python3?\s+-m\s+)?(pip|uv\s+pip)\s+install\b", s)) and "--upgrade pip" not in s \
        and not re.search(r"install\s+(-U\s+|--upgrade\s+)?(pip|setuptools|wheel|tox|nox|build|twine)(\s|$)", s)


def _is_test_run(words: list[str]) -> bool:
    s = " ".join(words)
    return bool(re.search(r"(^|\s)(python3?\s+-m\s+)?(pytest|py\.test)(\s|$)", s)) or "unittest" in s
