"""FixCandidate: one real change (a commit, or a merged pull request) split into tests and code."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Issue:
    """The report a pull request closed (GitHub), used as the problem statement."""

    number: int
    title: str
    body: str
    url: str = ""


@dataclass(frozen=True)
class FixCandidate:
    """A change from `parent` (the task's base commit) to `commit` (the fix, with its tests).

    test_patch holds every changed test file (forager.testsuite.testfiles.is_test_path),
    gold_patch everything else; both are `git diff parent commit -- paths` output that
    `git apply` takes at the parent.
    """

    commit: str
    parent: str
    message: str
    test_files: tuple[str, ...]
    code_files: tuple[str, ...]
    test_patch: str
    gold_patch: str
    origin: Literal["history", "github"] = "history"
    issue: Issue | None = None
    pull_request: int | None = None

    @property
    def key(self) -> str:
        """The ledger key: the fixing commit's id."""
        return self.commit

    @property
    def short(self) -> str:
        return self.commit[:12]
