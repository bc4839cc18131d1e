"""The episode's start state: the task's buggy tree, with nothing in the container that reveals the fix.

For mutate-fix the bug patch is applied and /testbed/.git is replaced by a new repository whose
only commit is the buggy tree, so no history, reflog, stash, tag, remote or loose object holds
the clean code. issue-fix tasks bring their own script (the base commit, later history removed).
"""

from __future__ import annotations

import shlex

from forager.records.task import Task

# Build output stays ignored: .git/info/exclude survives the new repository.
REINIT = """set -e
cd /testbed
cp .git/info/exclude /tmp/.forager-exclude 2>/dev/null || touch /tmp/.forager-exclude
rm -rf .git
git init -q
mkdir -p .git/info && mv /tmp/.forager-exclude .git/info/exclude
git add -A
git commit -q --no-verify -m {message}
"""


def reinit_script(message: str) -> str:
    return REINIT.format(message=shlex.quote(message))


def mutate_fix_script(bug_patch_path: str) -> str:
    return (f"set -e\ncd /testbed\ngit apply --whitespace=nowarn {shlex.quote(bug_patch_path)}\n"
            f"rm -f {shlex.quote(bug_patch_path)}\n" + reinit_script("start"))


def start_script(task: Task, bug_patch_path: str = "/tmp/.forager-bug.patch") -> str:
    if task.variant == "issue-fix":
        from forager.tasks.issue_fix.start_state import start_state_script
        return start_state_script(task)
    return mutate_fix_script(bug_patch_path)
