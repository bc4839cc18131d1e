"""Validate one issue-fix candidate in a container whose /testbed holds the full history.

At the base commit (the fix's parent): apply the test patch, run the tests it touches (a
quick reject when they all pass), then the whole suite twice; apply the gold patch and run
the whole suite twice more. FAIL_TO_PASS are the tests that pass in both runs with the fix
and pass in neither run without it (a test that did not run did not pass); PASS_TO_PASS pass
in all four. Tests whose result differs between the two runs of one state, and the image's
flaky tests, are in neither set.
"""

from __future__ import annotations

import fnmatch
import shlex
import time
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from forager.containers import Sandbox
from forager.records.manifest import Manifest
from forager.records.status import Status
from forager.tasks.issue_fix.candidate import FixCandidate
from forager.tasks.issue_fix.start_state import checkout_base
from forager.testsuite.run import SuiteRun, run_tests

RUNS_PER_STATE = 2
WORK = "/tmp/forager-issue-fix"
TEST_MODULE_PATTERNS = ("test_*.py", "*_test.py", "tests.py")


@dataclass
class FixVerdict:
    outcome: str  # kept, or why not (a short slug)
    reason: str = ""
    fail_to_pass: list[str] = field(default_factory=list)
    pass_to_pass: list[str] = field(default_factory=list)
    seconds: float = 0.0
    environment_suspect: bool = False  # the suite could not run at the base: the environment may not fit
    failing_output: str = ""  # the test run's output at the base with the test patch (what a user would see)


def suite_timeout(m: Manifest) -> float:
    return float(min(m.recipe.test.timeout, max(60.0, 5 * m.suite_duration + 30)))


def classify(before: list[SuiteRun], after: list[SuiteRun], flaky: set[str]) -> tuple[list[str], list[str]]:
    """(FAIL_TO_PASS, PASS_TO_PASS) from runs without and with the fix."""
    def passed(run: SuiteRun, t: str) -> bool:
        return run.statuses.get(t) == Status.passed

    ids = set().union(*(r.statuses for r in before + after)) - flaky
    f2p, p2p = [], []
    for t in sorted(ids):
        if not all(passed(r, t) for r in after):
            continue
        if all(passed(r, t) for r in before):
            p2p.append(t)
        elif not any(passed(r, t) for r in before):
            f2p.append(t)
    return f2p, p2p


def quick_targets(cand: FixCandidate, framework: str) -> list[str]:
    """Test modules the test patch touches, as the runner takes them."""
    files = [f for f in cand.test_files
             if any(fnmatch.fnmatch(PurePosixPath(f).name, p) for p in TEST_MODULE_PATTERNS)]
    if framework == "unittest":
        return [f[:-3].replace("/", ".") for f in files]
    return files


def checkout(box: Sandbox, commit: str):
    return box.exec(checkout_base(commit, keep_build_output=False), timeout=300)


def apply_patch(box: Sandbox, patch: str, name: str):
    path = f"{WORK}/{name}.patch"
    box.write_file(path, patch.encode())
    return box.exec(f"git apply --whitespace=nowarn {path}", timeout=120)


def _existing(box: Sandbox, files: list[str]) -> list[str]:
    if not files:
        return []
    script = "; ".join(f"[ -f {shlex.quote(f)} ] && echo {shlex.quote(f)}" for f in files) + "; true"
    return [ln for ln in box.exec(script, timeout=60).output.splitlines() if ln]


def _tail(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return (lines[-1] if lines else "no output")[:300]


def check(box: Sandbox, m: Manifest, cand: FixCandidate) -> FixVerdict:
    t0 = time.monotonic()
    try:
        v = _check(box, m, cand)
    finally:
        box.exec(f"git reset -q --hard && git clean -fdq; rm -rf {WORK}", timeout=300)
    v.seconds = time.monotonic() - t0
    return v


def _check(box: Sandbox, m: Manifest, cand: FixCandidate) -> FixVerdict:
    spec, limit, flaky = m.recipe.test, suite_timeout(m), set(m.flaky)
    res = checkout(box, cand.parent)
    if res.exit_code != 0:
        return FixVerdict("base-missing", f"cannot check out {cand.parent[:12]}: {_tail(res.output)}")
    res = apply_patch(box, cand.test_patch, "test")
    if res.exit_code != 0:
        return FixVerdict("test-patch-does-not-apply", _tail(res.output))

    if spec.framework == "pytest":
        targets = _existing(box, quick_targets(cand, spec.framework))
    else:
        targets = quick_targets(cand, spec.framework)
    if targets:
        quick = run_tests(box, spec.model_copy(update={"paths": targets}), None, timeout=limit,
                          plugins=m.pytest_plugins)
        if quick.timed_out:
            return FixVerdict("hung", "the touched tests timed out at the base commit")
        if quick.junit_ok and quick.statuses and all(s == Status.passed for s in quick.statuses.values()):
            return FixVerdict("no-fail-to-pass", "the tests in the test patch already pass at the base commit")

    before, problem = _runs(box, spec, limit, "at the base commit with the test patch", m.pytest_plugins)
    if problem:
        problem.environment_suspect = problem.outcome == "suite-broken"
        return problem

    res = apply_patch(box, cand.gold_patch, "gold")
    if res.exit_code != 0:
        return FixVerdict("gold-patch-does-not-apply", _tail(res.output))
    after, problem = _runs(box, spec, limit, "with the fix", m.pytest_plugins)
    if problem:
        return problem

    f2p, p2p = classify(before, after, flaky)
    if not f2p:
        return FixVerdict("no-fail-to-pass", "no test fails without the fix and passes with it", pass_to_pass=p2p)
    return FixVerdict("kept", "", f2p, p2p, failing_output=before[0].output_tail)


def _runs(box: Sandbox, spec, limit: float, state: str,
          plugins: list[str] | None) -> tuple[list[SuiteRun], FixVerdict | None]:
    """The whole suite RUNS_PER_STATE times in one state, or the FixVerdict that ends the check."""
    runs = [run_tests(box, spec, None, timeout=limit, plugins=plugins) for _ in range(RUNS_PER_STATE)]
    if any(r.timed_out for r in runs):
        return runs, FixVerdict("hung", f"the suite timed out {state}")
    bad = next((r for r in runs if not r.junit_ok), None)
    if bad is not None:
        return runs, FixVerdict("suite-broken", f"the suite did not run {state} (exit {bad.exit_code}): "
                                             f"{_tail(bad.output_tail)}")
    return runs, None
