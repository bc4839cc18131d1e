"""A task variant: everything that differs between mutate-fix, issue-fix and later ones.

Each variant has one home (forager/tasks/<variant>/variant.py) that says how its tasks are
generated, how an episode's container is put in the task's start state, how grading puts a
fresh container in the same state and adds the tests, and which user prompt it takes. The
agent and the harvest stage ask the variant; they never test a variant's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from forager.containers import Sandbox
from forager.records.manifest import Manifest
from forager.records.task import Task


class Variant(Protocol):
    name: str
    user_prompt: str  # the prompt template the agent gets as its first user message

    def generate(self, manifests: list[Manifest], out: Path, options: dict, jobs: int) -> object:
        """Make validated tasks from the images into `out` (resumable); returns the stage's summary."""

    def start_script(self, task: Task, bug_patch_path: str) -> str:
        """Bash (run as root in /) that puts /testbed in the episode's start state, hiding the fix."""

    def grading_state(self, box: Sandbox, task: Task) -> str | None:
        """Put a fresh grading container in the task's base state; an error message, or None."""

    def grading_tests(self, box: Sandbox, task: Task) -> str | None:
        """After the submission is applied: add what the grade's tests need; an error, or None."""

