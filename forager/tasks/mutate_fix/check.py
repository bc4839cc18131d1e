"""Check one mutant in a warm container: covering tests first, then the whole suite."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from forager.containers import Sandbox
from forager.records.manifest import Manifest
from forager.tasks.mutate_fix.candidates import MutantCandidate
from forager.testsuite.frameworks import FRAMEWORKS
from forager.testsuite.run import SuiteRun, run_tests
from forager.testsuite.warm_pytest import WarmPytest

CheckOutcome = Literal["kept", "survived", "hung", "no-fail-to-pass", "suite-error"]
# How a mutant was judged: in the warm pytest server (a fork of the collected session, or a
# fresh session forked there), or in new test processes started by docker exec.
Runner = Literal["fork", "session", "process"]


@dataclass
class Check:
    outcome: CheckOutcome
    fail_to_pass: list[str] = field(default_factory=list)
    pass_to_pass: list[str] = field(default_factory=list)
    seconds: float = 0.0
    runner: Runner = "process"


def mutant_timeout(m: Manifest) -> float:
    """A mutant may slow the suite a little; an infinite loop must not stall the batch."""
    return min(m.recipe.test.timeout, max(30.0, 5 * m.suite_duration + 10))


def restore(box: Sandbox) -> None:
    # Back to the image's clean tree: tracked files as committed, nothing the tests left behind.
    box.exec("git checkout -q -- . && git clean -fdq", timeout=120)


def check(box: Sandbox, m: Manifest, cand: MutantCandidate, warm: WarmPytest | None = None) -> Check:
    """Judge one mutant: in a fork of the warm pytest server when it can, else in fresh runs."""
    if warm is not None:
        res = warm.run(cand.mutant.file, cand.mutant.mutated, list(cand.covering), mutant_timeout(m))
        if not isinstance(res, str):
            run, mode = res
            return judge(run, cand, m, run.duration, runner=mode)
    return check_fresh(box, m, cand)


def check_fresh(box: Sandbox, m: Manifest, cand: MutantCandidate) -> Check:
    """The mutant written into the tree, the tests in new processes, the tree restored."""
    mu, spec, limit = cand.mutant, m.recipe.test, mutant_timeout(m)
    box.write_file(f"/testbed/{mu.file}", mu.mutated.encode(), make_parent=False)
    try:
        if FRAMEWORKS[spec.framework].supports_first:
            # One run: covering tests first, the rest only when one of them did not pass.
            full = run_tests(box, spec, None, timeout=limit, first=list(cand.covering), plugins=m.pytest_plugins)
            return judge(full, cand, m, full.duration)
        quick = run_tests(box, spec, list(cand.covering), timeout=limit, plugins=m.pytest_plugins)
        if quick.timed_out or not quick.junit_ok or _all_passed(quick, cand):
            return judge(quick, cand, m, quick.duration)
        full = run_tests(box, spec, None, timeout=limit, plugins=m.pytest_plugins)
        return judge(full, cand, m, quick.duration + full.duration)
    finally:
        restore(box)


def _all_passed(run: SuiteRun, cand: MutantCandidate) -> bool:
    return all(run.statuses.get(t) == "passed" for t in cand.covering)


def judge(run: SuiteRun, cand: MutantCandidate, m: Manifest, seconds: float, runner: Runner = "process") -> Check:
    """The outcome of a run that put the covering tests first and went on only if one did not pass."""
    if run.timed_out:
        return Check("hung", seconds=seconds, runner=runner)
    if not run.junit_ok:
        # The runner itself broke (no JUnit, or none with a test): never evidence of a bug.
        return Check("suite-error", seconds=seconds, runner=runner)
    if _all_passed(run, cand):
        return Check("survived", seconds=seconds, runner=runner)
    stable_pass = m.passing()
    # A test that did not run did not pass: absent counts as failing.
    f2p = sorted(t for t in stable_pass if run.statuses.get(t) != "passed")
    p2p = sorted(t for t in stable_pass if run.statuses.get(t) == "passed")
    if not f2p:
        return Check("no-fail-to-pass", seconds=seconds, runner=runner)
    return Check("kept", f2p, p2p, seconds, runner)
