"""Mutant: one seeded bug, as the whole module before and after the edit."""

from __future__ import annotations

from dataclasses import dataclass

from forager.tasks.mutate.patch import unified_diff


@dataclass(frozen=True)
class Mutant:
    """A buggy variant of one module, produced by one operator inside one function.

    `original` and `mutated` are whole module sources; `start_line`/`end_line` are the
    1-based lines of the target function (from its `def` to its last statement) in `original`.
    """

    operator: str
    file: str
    function: str
    start_line: int
    end_line: int
    description: str
    original: str
    mutated: str

    def patch(self) -> str:
        """The `git apply` patch that turns the clean file into the buggy one."""
        return unified_diff(self.original, self.mutated, self.file)
