"""issue-fix as a task variant: the base commit of a real fix, graded with the fix's tests."""

from __future__ import annotations

from pathlib import Path

from forager.containers import Sandbox
from forager.records.manifest import Manifest
from forager.records.task import Task
from forager.tasks.issue_fix.start_state import checkout_base, start_state_script

TEST_PATCH = "/tmp/.forager-grade/test.patch"
# Only for issue-fix: the variant's tests go in after the submission; a grade without them is no grade.


class IssueFix:
    name = "issue-fix"
    user_prompt = "user_issue_fix"

    def generate(self, manifests: list[Manifest], out: Path, options: dict, jobs: int):
        from forager.tasks.issue_fix.pipeline import run_issue_fix
        return run_issue_fix(manifests, out, jobs=jobs, **options)

    def start_script(self, task: Task, bug_patch_path: str) -> str:
        return start_state_script(task)

    def grading_state(self, box: Sandbox, task: Task) -> str | None:
        res = box.exec(checkout_base(task.commit or "HEAD"), timeout=120)
        return None if res.exit_code == 0 else f"start state failed: {res.output.strip()[-300:]}"

    def grading_tests(self, box: Sandbox, task: Task) -> str | None:
        """The fix's test patch: a grade whose tests are not in place is no grade."""
        if not task.test_patch:
            return None
        box.write_file(TEST_PATCH, task.test_patch.encode())
        res = box.exec(f"git apply --whitespace=nowarn {TEST_PATCH}", timeout=120)
        return None if res.exit_code == 0 else f"the task's test patch does not apply: {res.output.strip()[-300:]}"
