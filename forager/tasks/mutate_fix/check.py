"""Check one mutant in a warm container: covering tests first, then the whole suite, or only
the tests that can change (see docs/mutate-speed.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from forager.containers import Sandbox
from forager.errors import ForagerError
from forager.records.manifest import Manifest
from forager.tasks.mutate_fix.candidates import MutantCandidate
from forager.testsuite.frameworks import FRAMEWORKS
from forager.testsuite.run import SuiteRun, run_tests
from forager.testsuite.warm_pytest import Unconfirmed, WarmPytest

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
    covering_only: bool = False  # a fork that ran only the tests that can change; the rest kept the baseline
    why: str = ""  # why not covering-only (the server's reason), when it is not


def mutant_timeout(m: Manifest) -> float:
    """A mutant may slow the suite a little; an infinite loop must not stall the batch."""
    return min(m.recipe.test.timeout, max(30.0, 5 * m.suite_duration + 10))


def covering_timeout(m: Manifest, cand: MutantCandidate) -> float | None:
    """The limit for a run of the covering tests alone, from their time in the coverage run
    (itself slower than a plain run); None when unknown. A mutant that only makes them slow
    past it is judged hung, never kept: the limit can lose a task, not make a wrong one."""
    if cand.covering_seconds is None:
        return None
    return min(mutant_timeout(m), max(20.0, 5 * cand.covering_seconds + 10))


def restore(box: Sandbox) -> None:
    # Back to the image's clean tree: tracked files as committed, nothing the tests left behind.
    box.exec("git checkout -q -- . && git clean -fdq", timeout=120)


def check(box: Sandbox, m: Manifest, cand: MutantCandidate, warm: WarmPytest | None = None,
          covering_only: bool = True) -> Check:
    """Judge one mutant: in a fork of the warm pytest server when it can, else in fresh runs.
    With `covering_only`, a fork where the server proves that only the mutated function's body
    changed, and that it ran neither at import nor at collection, runs only the tests that can
    change; every other baseline-passing test keeps its baseline result."""
    if warm is None:
        return check_fresh(box, m, cand)
    try:
        result = _check_in_server(m, cand, warm, covering_only)
    except Unconfirmed as exc:
        # The fork is no judge of a test this mutant fails, and neither is a run that reorders
        # the suite (such a test fails alone, out of its order): the whole suite in its own order.
        result = check_fresh(box, m, cand, reorder=False)
        result.why = f"{exc.tests[0]} does not pass in a fork unchanged"
        return result
    if result is None:
        result = check_fresh(box, m, cand)
    result.why = result.why or ("" if result.covering_only else warm.last_reason)
    return result


def _check_in_server(m: Manifest, cand: MutantCandidate, warm: WarmPytest, covering_only: bool) -> Check | None:
    """The check in a fork; None when the server says this change needs new processes. Raises
    Unconfirmed when a test the mutant fails does not pass in a fork of the unchanged suite either."""
    mu = cand.mutant
    if covering_only:
        readers = None if cand.signature_readers is None else list(cand.signature_readers)
        res = warm.run_covering(mu.file, mu.mutated, list(cand.covering), mutant_timeout(m), mu.function,
                                (mu.start_line, mu.end_line), covering_timeout(m, cand), readers)
    else:
        res = warm.run(mu.file, mu.mutated, list(cand.covering), mutant_timeout(m))
    if isinstance(res, str):
        return None
    run, mode = res[0], res[1]
    only = res[2] if len(res) > 2 else None
    result = judge(run, cand, m, run.duration, runner="session" if mode == "session" else "fork", only=only)
    # A fresh session judges as the baseline's fresh runs did; only a fork's failures need
    # confirming (they could come from the fork, not the mutant).
    if result.outcome == "kept" and mode != "session":
        if seen := warm.unreliable & set(result.fail_to_pass):
            raise Unconfirmed(sorted(seen))
        warm.confirm(result.fail_to_pass, mutant_timeout(m))
    return result


class VerifyMismatch(ForagerError):
    """A covering-only check disagreed with the whole suite on the same mutant."""


def verify(box: Sandbox, m: Manifest, cand: MutantCandidate, result: Check, warm: WarmPytest | None) -> Check:
    """The whole suite on a mutant judged from its covering tests; raises VerifyMismatch on
    any difference in outcome, FAIL_TO_PASS or PASS_TO_PASS."""
    full = check(box, m, cand, warm, covering_only=False)
    if (full.outcome, full.fail_to_pass, full.pass_to_pass) != (result.outcome, result.fail_to_pass,
                                                                 result.pass_to_pass):
        only_full = sorted(set(full.fail_to_pass) - set(result.fail_to_pass))
        only_cov = sorted(set(result.fail_to_pass) - set(full.fail_to_pass))
        raise VerifyMismatch(
            f"--verify-sample: mutant {cand.key} ({cand.mutant.operator} in {cand.mutant.file}:"
            f"{cand.mutant.function}) judged {result.outcome} from its covering tests but "
            f"{full.outcome} by the whole suite ({full.runner}); FAIL_TO_PASS only in the whole suite: "
            f"{only_full[:5]}, only from the covering tests: {only_cov[:5]}")
    return full


def check_fresh(box: Sandbox, m: Manifest, cand: MutantCandidate, reorder: bool = True) -> Check:
    """The mutant written into the tree, the tests in new processes, the tree restored. `reorder`:
    the covering tests first (else the whole suite in its own order, one run)."""
    mu, spec, limit = cand.mutant, m.recipe.test, mutant_timeout(m)
    box.write_file(f"/testbed/{mu.file}", mu.mutated.encode(), make_parent=False)
    try:
        if not reorder:
            full = run_tests(box, spec, None, timeout=limit, plugins=m.pytest_plugins)
            return judge(full, cand, m, full.duration)
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


def judge(run: SuiteRun, cand: MutantCandidate, m: Manifest, seconds: float, runner: Runner = "process",
          only: frozenset[str] | None = None) -> Check:
    """The outcome of a run that put the covering tests first and went on only if one did not pass.
    `only`: the run was limited to these tests; every other test ran the baseline's code, so it
    keeps its baseline result (a stable pass)."""
    if run.timed_out:
        return Check("hung", seconds=seconds, runner=runner, covering_only=only is not None)
    if not run.junit_ok:
        # The runner itself broke (no JUnit, or none with a test): never evidence of a bug.
        return Check("suite-error", seconds=seconds, runner=runner, covering_only=only is not None)
    if _all_passed(run, cand):
        return Check("survived", seconds=seconds, runner=runner, covering_only=only is not None)
    stable_pass = m.passing()
    # A test that did not run did not pass: absent counts as failing. Outside `only`, the
    # baseline's result stands (the run was limited to the tests whose code changed).
    passed = lambda t: run.statuses.get(t) == "passed" or (only is not None and t not in only)  # noqa: E731
    f2p = sorted(t for t in stable_pass if not passed(t))
    p2p = sorted(t for t in stable_pass if passed(t))
    if not f2p:
        return Check("no-fail-to-pass", seconds=seconds, runner=runner, covering_only=only is not None)
    return Check("kept", f2p, p2p, seconds, runner, covering_only=only is not None)
