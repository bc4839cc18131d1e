"""Validation: run the whole suite N times with no network; keep what is stable, flag the flaky."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from forager.containers import Sandbox
from forager.records.manifest import RunSummary
from forager.records.recipe import Recipe
from forager.records.status import Status
from forager.testsuite.run import SuiteRun, list_plugins, run_tests


@dataclass
class SuiteVerdict:
    baseline: dict[str, Status]
    flaky: list[str]
    runs: list[RunSummary]
    reject_reason: str | None
    python_version: str
    packages: dict[str, str]
    pytest_plugins: list[str] | None = None

    @property
    def suite_duration(self) -> float:
        return sum(r.duration for r in self.runs) / max(1, len(self.runs))


def summarize(run: SuiteRun) -> RunSummary:
    c = Counter(s.value for s in run.statuses.values())
    return RunSummary(passed=c["passed"], failed=c["failed"], error=c["error"], skipped=c["skipped"],
                      duration=round(run.duration, 3), exit_code=run.exit_code, timed_out=run.timed_out)


def split_flaky(runs: list[SuiteRun]) -> tuple[dict[str, Status], list[str]]:
    """Tests with one status in every run form the baseline; any change (or absence) is flaky."""
    all_ids = set().union(*(r.statuses for r in runs)) if runs else set()
    baseline, flaky = {}, []
    for tid in sorted(all_ids):
        seen = {r.statuses.get(tid) for r in runs}
        if len(seen) == 1 and None not in seen:
            baseline[tid] = seen.pop()
        else:
            flaky.append(tid)
    return baseline, flaky


SUITE_TIMEOUT = "the test suite did not finish within"
PYTEST_INTERNAL_ERROR = 3


def _progress(output: str) -> str:
    """'; 1582 tests collected, about 17% run' from pytest's output, so a timeout says how far off it was."""
    collected = re.findall(r"collected (\d+) items?", output)
    percent = re.findall(r"\[\s*(\d+)%\]", output)
    text = f"{collected[-1]} tests collected" if collected else ""
    if percent:
        text += f"{', ' if text else ''}about {percent[-1]}% run"
    return f"; {text}" if text else ""


def reject_reason(recipe: Recipe, runs: list[SuiteRun], baseline: dict[str, Status]) -> str | None:
    timed = [i for i, r in enumerate(runs) if r.timed_out]
    if timed:
        return f"{SUITE_TIMEOUT} {recipe.test.timeout} s (run {timed[0] + 1}{_progress(runs[timed[0]].output_tail)})"
    crashed = [i for i, r in enumerate(runs) if recipe.test.framework == "pytest" and r.exit_code == PYTEST_INTERNAL_ERROR]
    if crashed:
        # pytest stops at an internal error and reports only the tests before it: a partial count
        # would pass for a whole baseline.
        return f"pytest stopped with an internal error in run {crashed[0] + 1} (exit 3); only the tests before it ran"
    if not any(r.junit_ok for r in runs):
        last = runs[-1] if runs else None
        hint = f" (exit {last.exit_code}{', timed out' if last and last.timed_out else ''})" if last else ""
        return f"the test suite could not be collected or produced no JUnit XML{hint}"
    total = sum(1 for s in baseline.values() if s != Status.skipped)
    passed = sum(1 for s in baseline.values() if s == Status.passed)
    v = recipe.validation
    if passed < v.min_passed:
        return f"only {passed} stable passing tests (at least {v.min_passed} needed)"
    if total and passed / total < v.min_pass_ratio:
        return f"only {passed} of {total} stable tests pass (at least {v.min_pass_ratio:.0%} needed)"
    return None


def _packages(box: Sandbox) -> dict[str, str]:
    out = box.exec("pip list --format=freeze 2>/dev/null", timeout=60).output
    pkgs = {}
    for line in out.splitlines():
        name, sep, ver = line.partition("==")
        if sep:
            pkgs[name] = ver
    return pkgs


def validate_image(image: str, recipe: Recipe, log_path: Path) -> SuiteVerdict:
    """Run the suite recipe.validation.runs times in one container with no network."""
    runs: list[SuiteRun] = []
    with Sandbox.start(image, kind="validate") as box, log_path.open("w") as log:
        python = box.exec("python --version", timeout=30).output.strip().removeprefix("Python ")
        # Recorded from the unchanged tree: every later run (mutants, grading) names these.
        plugins = list_plugins(box, recipe.test) if recipe.test.framework == "pytest" else None
        log.write(f"=== pytest plugins: {plugins}\n")
        for i in range(recipe.validation.runs):
            run = run_tests(box, recipe.test, plugins=plugins)
            runs.append(run)
            s = summarize(run)
            log.write(f"=== run {i + 1}: {s.model_dump_json()}\n{run.output_tail}\n")
            log.flush()
            if run.timed_out:  # another run would time out too: the image is rejected either way
                log.write(f"=== the suite did not finish within {recipe.test.timeout} s; no further runs\n")
                break
        packages = _packages(box)
    baseline, flaky = split_flaky(runs)
    return SuiteVerdict(baseline, flaky, [summarize(r) for r in runs], reject_reason(recipe, runs, baseline),
                        python, packages, plugins)
