"""Check one mutant in a warm container: covering tests first, then the whole suite."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from forager.containers import Sandbox
from forager.images.manifest import Manifest
from forager.tasks.mutate_fix.candidates import Candidate
from forager.testsuite.frameworks import FRAMEWORKS
from forager.testsuite.run import run_tests

Outcome = Literal["kept", "survived", "hung", "no-fail-to-pass", "suite-error"]


@dataclass
class Check:
    outcome: Outcome
    fail_to_pass: list[str] = field(default_factory=list)
    pass_to_pass: list[str] = field(default_factory=list)
    seconds: float = 0.0


def mutant_timeout(m: Manifest) -> float:
    """A mutant may slow the suite a little; an infinite loop must not stall the batch."""
    return min(m.recipe.test.timeout, max(30.0, 5 * m.suite_duration + 10))


def restore(box: Sandbox) -> None:
    # Back to the image's clean tree: tracked files as committed, nothing the tests left behind.
    box.exec("git checkout -q -- . && git clean -fdq", timeout=120)


def check(box: Sandbox, m: Manifest, cand: Candidate) -> Check:
    mu, spec, limit = cand.mutant, m.recipe.test, mutant_timeout(m)
    stable_pass = set(m.passing())
    box.write_file(f"/testbed/{mu.file}", mu.mutated.encode(), make_parent=False)
    try:
        if FRAMEWORKS[spec.framework].supports_first:
            # One run: covering tests first, the rest only when one of them failed.
            full = run_tests(box, spec, None, timeout=limit, first=list(cand.covering))
            seconds = full.duration
            if not full.timed_out and all(full.statuses.get(t) == "passed" for t in cand.covering):
                return Check("survived", seconds=seconds)
        else:
            quick = run_tests(box, spec, list(cand.covering), timeout=limit)
            seconds = quick.duration
            if quick.timed_out:
                return Check("hung", seconds=seconds)
            if not quick.junit_ok:
                return Check("suite-error", seconds=seconds)
            if all(quick.statuses.get(t) == "passed" for t in cand.covering):
                return Check("survived", seconds=seconds)
            full = run_tests(box, spec, None, timeout=limit)
            seconds += full.duration
        if full.timed_out:
            return Check("hung", seconds=seconds)
        if not full.junit_ok:
            # The runner itself broke (no JUnit, or none with a test): never evidence of a bug.
            return Check("suite-error", seconds=seconds)
        # A test that did not run did not pass: absent counts as failing.
        f2p = sorted(t for t in stable_pass if full.statuses.get(t) != "passed")
        p2p = sorted(t for t in stable_pass if full.statuses.get(t) == "passed")
        if not f2p:
            return Check("no-fail-to-pass", seconds=seconds)
        return Check("kept", f2p, p2p, seconds)
    finally:
        restore(box)
