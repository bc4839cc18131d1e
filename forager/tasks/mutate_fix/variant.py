"""mutate-fix as a task variant: a seeded bug in a clean tree, fixed by undoing it."""

from __future__ import annotations

import shlex
from pathlib import Path

from forager.containers import Sandbox
from forager.records.manifest import Manifest
from forager.records.task import Task

BUG_PATCH = "/tmp/.forager-grade/bug.patch"

# The buggy tree becomes the only commit of a new repository, so no history, reflog, stash,
# tag, remote or loose object holds the clean code. Build output stays ignored:
# .git/info/exclude survives the new repository.
REINIT = """set -e
cd /testbed
git apply --whitespace=nowarn {patch}
rm -f {patch}
cp .git/info/exclude /tmp/.forager-exclude 2>/dev/null || touch /tmp/.forager-exclude
rm -rf .git
git init -q
mkdir -p .git/info && mv /tmp/.forager-exclude .git/info/exclude
git add -A
git commit -q --no-verify -m start
"""


class MutateFix:
    name = "mutate-fix"
    user_prompt = "user_mutate_fix"

    def generate(self, manifests: list[Manifest], out: Path, options: dict, jobs: int):
        from forager.tasks.mutate_fix.pipeline import Settings, generate
        from forager.tasks.mutate_fix.report import print_summary
        summary = generate(manifests, out, Settings(**options), jobs)
        print_summary(summary, out)
        return summary

    def start_script(self, task: Task, bug_patch_path: str) -> str:
        return REINIT.format(patch=shlex.quote(bug_patch_path))

    def grading_state(self, box: Sandbox, task: Task) -> str | None:
        box.write_file(BUG_PATCH, task.bug_patch.encode())
        res = box.exec(f"git apply --whitespace=nowarn {BUG_PATCH}", timeout=120)
        return None if res.exit_code == 0 else f"start state failed: {res.output.strip()[-300:]}"

    def grading_tests(self, box: Sandbox, task: Task) -> str | None:
        return None  # the image's own tests are the grade's tests
