"""Grading in a fresh container: start state, submitted patch, original tests, FAIL_TO_PASS + PASS_TO_PASS.

The submission is treated as hostile (docs/grading.md has the guarantees):
1. Before the patch, forager_tree.py records every entry of /testbed (ignored files and .git
   included, through lstat, never through git or .gitignore) and keeps a copy of every
   protected file; the pytest plugins are listed from this unchanged tree.
2. After the patch, everything protected (tests, conftest, test and packaging configuration,
   .gitignore, start-up hooks, install metadata) is put back or removed, and so is any new
   top-level module that shadows an installed one; a change inside .git fails the grading.
3. The tests run isolated (forager_pytest.py: the working directory is not first on sys.path,
   plugin autoload off, the recorded plugins named), with two canary tests of random names,
   one that must pass and one that must fail: a run where the failing one passes is forged.
Results come from JUnit XML at a fresh path outside /testbed plus the runner's exit code.
"""

from __future__ import annotations

import json
import secrets
import time

from forager.containers import HELPERS, PYTHON, Limits, Sandbox
from forager.errors import ForagerError
from forager.harvest.patchpaths import unsafe_paths
from forager.records.task import Task
from forager.records.trajectory import Grading, TestResult
from forager.tasks.variants import variant_of
from forager.testsuite.run import parse_plugins, plugins_command, run_tests

WORK = "/tmp/.forager-grade"
PATCH = f"{WORK}/submission.patch"
TREE = f"{PYTHON} {HELPERS}/forager_tree.py"
APPLY_METHODS = [
    ("git apply", "git apply --whitespace=nowarn {p}"),
    ("git apply --recount", "git apply --whitespace=nowarn --recount --ignore-whitespace {p}"),
    # -u: unified hunks only (never an ed script, which GNU patch would pipe to a shell).
    ("patch --fuzz", "patch --batch --forward -u -p1 --fuzz=3 --no-backup-if-mismatch -r - -i {p}"),
]
LOG_CHARS = 3000


def _snapshot(box: Sandbox, spec) -> tuple[str | None, list[str] | None]:
    """(error, plugins): one exec records the tree, the importable names and the plugins."""
    # Module names come from the test runner's Python (the repository's), run from / so
    # nothing in /testbed is on its path; the snapshot itself runs with Forager's Python.
    listing = plugins_command(spec)
    res = box.exec(f"test -f {HELPERS}/forager_tree.py || {{ echo 'the image predates the Forager grading helpers: "
                   f"rebuild it with forager build-images'; exit 3; }}\n"
                   f"mkdir -p {WORK} && (cd / && python {HELPERS}/forager_tree.py names > {WORK}/names.json) "
                   f"&& {TREE} snapshot /testbed {WORK}" + (f" && {listing}" if listing else ""), timeout=600)
    if res.exit_code != 0:
        return f"cannot snapshot the start state: {res.output.strip()[-300:]}", None
    try:
        return None, (parse_plugins(res.output) if listing else None)
    except ForagerError as exc:
        return str(exc), None


APPLY_FAILED = 97


def _apply_and_restore(box: Sandbox, patch: str, notes: list[str]) -> tuple[str | None, dict]:
    """(method or None, the put-back report): each attempt and the put-back in one exec."""
    box.write_file(PATCH, patch.encode())
    for name, cmd in APPLY_METHODS:
        if name.startswith("patch"):
            # GNU patch checks names less strictly than git apply: only clean names reach it.
            bad = unsafe_paths(patch)
            if bad:
                notes.append(f"patch fallback refused: unsafe file names {bad[:3]}")
                return None, {}
        # git apply is all or nothing; patch is last, so a failed attempt needs no undo.
        res = box.exec(f"{cmd.format(p=PATCH)} || exit {APPLY_FAILED}\n"
                       f"{TREE} restore /testbed {WORK} {WORK}/names.json", timeout=600)
        if res.exit_code == APPLY_FAILED:
            notes.append(f"{name} failed: {res.output.strip()[-200:]}")
            continue
        try:
            return name, json.loads(res.output.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return name, {"error": f"cannot restore the protected files: {res.output.strip()[-300:]}"}
    return None, {}


def _log(notes: list[str], tail: str = "") -> str:
    text = "\n".join(notes) + (f"\n--- test output (tail) ---\n{tail}" if tail else "")
    return text[-LOG_CHARS:]


def grade(task: Task, patch: str | None, timeout: float | None = None) -> Grading:
    t0 = time.monotonic()
    not_run = lambda ids: [TestResult(test=t, status="not-run") for t in ids]  # noqa: E731

    def fail(error: str, notes: list[str], applied: bool = False, **kw) -> Grading:
        return Grading(resolved=False, applied=applied, error=error, fail_to_pass=not_run(task.FAIL_TO_PASS),
                       pass_to_pass=not_run(task.PASS_TO_PASS), duration=round(time.monotonic() - t0, 3),
                       log=_log(notes), **kw)

    if not patch:
        return fail("no patch was submitted", [])
    notes: list[str] = []
    spec = task.test_spec
    with Sandbox.start(task.image, kind="grade", limits=Limits(memory="4g", cpus=1.0, pids=512),
                       labels={"forager.instance": task.instance_id}) as box:
        variant = variant_of(task.variant)
        if err := variant.grading_state(box, task):
            return fail(err, notes)
        err, plugins = _snapshot(box, spec)
        if err:
            return fail(err, notes)
        if spec.framework != "pytest":
            notes.append(f"runner: Forager's {spec.framework} helper")
        elif plugins is None:
            notes.append("runner: not isolated (the recipe's test command is not a plain pytest call)")
        else:
            notes.append(f"runner: isolated; plugins named: {plugins}")
        method, tree = _apply_and_restore(box, patch, notes)
        if method is None:
            return fail("the submitted patch does not apply", notes)
        notes.append(f"applied with: {method}")
        if "error" in tree:
            return fail(tree["error"], notes, applied=True, apply_method=method)
        restored = sorted(set(tree["removed"]) | set(tree["restored"]))
        notes.append(f"removed: {tree['removed']}\nrestored: {tree['restored']}")
        if tree["git_changed"]:
            return fail(f"the submission changed git's own files ({tree['git_changed'][0]})", notes,
                        applied=True, apply_method=method, restored_files=restored)
        if tree["left"]:
            return fail(f"protected files could not be put back ({tree['left'][0]})", notes,
                        applied=True, apply_method=method, restored_files=restored)
        if err := variant.grading_tests(box, task):
            notes.append(err)
            return fail("the test patch does not apply over the submission", notes, applied=True,
                        apply_method=method, restored_files=restored)
        canary = (f"test_{secrets.token_hex(6)}", f"test_{secrets.token_hex(6)}")
        wanted = task.FAIL_TO_PASS + task.PASS_TO_PASS
        run = run_tests(box, spec, wanted, timeout=timeout or spec.timeout, plugins=plugins, canary=canary)
    f2p = [TestResult(test=t, status=run.statuses.get(t, "missing")) for t in task.FAIL_TO_PASS]
    p2p = [TestResult(test=t, status=run.statuses.get(t, "missing")) for t in task.PASS_TO_PASS]
    all_pass = all(r.status == "passed" for r in (*f2p, *p2p))
    error = ""
    if run.timed_out:
        error = "the test run timed out"
    elif not run.canary_ok:
        error = "the canary tests did not come out as planted (one must pass, one must fail): results not trusted"
    elif run.exit_code != 1:
        # The must-fail canary makes an honest run exit 1 ("some tests failed").
        error = f"the test runner exited {run.exit_code}, not 1 as the failing canary requires"
    notes.append(f"canary: {'as planted' if run.canary_ok else 'NOT as planted'}; exit code {run.exit_code}")
    return Grading(resolved=all_pass and not error, applied=True,
                   apply_method=method, restored_files=restored, fail_to_pass=f2p, pass_to_pass=p2p,
                   exit_code=run.exit_code, error=error, duration=round(time.monotonic() - t0, 3),
                   log=_log(notes, run.output_tail[-1500:]))
