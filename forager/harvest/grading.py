"""Grading in a fresh container: start state, submitted patch, original tests, FAIL_TO_PASS + PASS_TO_PASS.

Nothing the submission changes can decide the result: test files, conftest files, test
configuration and start-up hooks are put back (new ones deleted) before the tests run, and
the results come from JUnit XML at a fresh path outside /testbed plus the runner's exit code.
"""

from __future__ import annotations

import shlex
import time

from forager.containers import Limits, Sandbox
from forager.records.task import Task
from forager.records.trajectory import Grading, TestResult
from forager.tasks.variants import variant_of
from forager.testsuite.run import run_tests
from forager.testsuite.testfiles import is_protected

PATCH = "/tmp/.forager-grade/submission.patch"
APPLY_METHODS = [
    ("git apply", "git apply --whitespace=nowarn {p}"),
    ("git apply --recount", "git apply --whitespace=nowarn --recount --ignore-whitespace {p}"),
    ("patch --fuzz", "patch --batch --forward -p1 --fuzz=3 -i {p}"),
]


def _apply(box: Sandbox, patch: str) -> str | None:
    box.write_file(PATCH, patch.encode())
    for name, cmd in APPLY_METHODS:
        if box.exec(cmd.format(p=PATCH), timeout=120).exit_code == 0:
            return name
        box.exec("git checkout -q -- . && git clean -fdq -e '*.orig'", timeout=60) if name.startswith("patch") else None
    return None


def _changed_paths(box: Sandbox) -> list[tuple[str, bool]]:
    """(path, tracked) for every file that differs from HEAD, untracked ones included."""
    out = box.exec("git status --porcelain=v1 -z --untracked-files=all", timeout=60).output
    items = []
    for entry in filter(None, out.split("\0")):
        code, path = entry[:2], entry[3:]
        items.append((path, code != "??"))
    return items


def _restore_protected(box: Sandbox) -> list[str]:
    restored = []
    for path, tracked in _changed_paths(box):
        if not is_protected(path):
            continue
        q = shlex.quote(path)
        box.exec(f"git checkout -q HEAD -- {q} 2>/dev/null || rm -f {q}" if tracked else f"rm -f {q}", timeout=60)
        restored.append(path)
    return restored


def grade(task: Task, patch: str | None, timeout: float | None = None) -> Grading:
    t0 = time.monotonic()
    if not patch:
        not_run = lambda ids: [TestResult(test=t, status="not-run") for t in ids]  # noqa: E731
        return Grading(resolved=False, applied=False, error="no patch was submitted",
                       fail_to_pass=not_run(task.FAIL_TO_PASS), pass_to_pass=not_run(task.PASS_TO_PASS))
    with Sandbox.start(task.image, kind="grade", limits=Limits(memory="4g", cpus=1.0, pids=512),
                       labels={"forager.instance": task.instance_id}) as box:
        variant = variant_of(task.variant)
        if err := variant.grading_state(box, task):
            return Grading(resolved=False, applied=False, error=err, duration=time.monotonic() - t0)
        method = _apply(box, patch)
        if method is None:
            return Grading(resolved=False, applied=False, error="the submitted patch does not apply",
                           duration=time.monotonic() - t0)
        restored = _restore_protected(box)
        if err := variant.grading_tests(box, task):
            return Grading(resolved=False, applied=True, apply_method=method, restored_files=restored, error=err,
                           duration=round(time.monotonic() - t0, 3))
        wanted = task.FAIL_TO_PASS + task.PASS_TO_PASS
        run = run_tests(box, task.test_spec, wanted, timeout=timeout or task.test_spec.timeout)
    f2p = [TestResult(test=t, status=run.statuses.get(t, "missing")) for t in task.FAIL_TO_PASS]
    p2p = [TestResult(test=t, status=run.statuses.get(t, "missing")) for t in task.PASS_TO_PASS]
    all_pass = all(r.status == "passed" for r in (*f2p, *p2p))
    return Grading(resolved=all_pass and run.exit_code == 0 and not run.timed_out, applied=True,
                   apply_method=method, restored_files=restored, fail_to_pass=f2p, pass_to_pass=p2p,
                   exit_code=run.exit_code, error="the test run timed out" if run.timed_out else "",
                   duration=round(time.monotonic() - t0, 3))
