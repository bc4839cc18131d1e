"""statement_shuffle: swap two adjacent statements that do not depend on each other by name."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find
from forager.tasks.mutate.operators.names import access, clash
from forager.tasks.mutate.operators.tree import first_code_index

# Moving these makes the other statement dead or changes which names are declared, which reads
# as a different kind of bug than a reordering.
PINNED = (cst.Return, cst.Raise, cst.Break, cst.Continue, cst.Global, cst.Nonlocal)


class _Independence:
    """Whether two statements are independent by name (neither writes what the other reads or
    writes), remembering each statement's accesses: a statement meets both neighbours."""

    def __init__(self) -> None:
        self.cache: dict[int, tuple[cst.BaseStatement, tuple[set[str], set[str]]]] = {}

    def __call__(self, first: cst.BaseStatement, second: cst.BaseStatement) -> bool:
        return not clash(self._access(first), self._access(second))

    def _access(self, stmt: cst.BaseStatement) -> tuple[set[str], set[str]]:
        # The statement is kept in the entry so that its id stays unique while cached.
        entry = self.cache.get(id(stmt))
        if entry is None:
            entry = self.cache[id(stmt)] = (stmt, access(stmt))
        return entry[1]


def _pinned(stmt: cst.BaseStatement) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and any(isinstance(s, PINNED) for s in stmt.body)


class StatementShuffle(Operator):
    name = "statement_shuffle"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        fn = target.node
        edits = []
        independent = _Independence()
        for block in find(target, cst.IndentedBlock):
            stmts = list(block.body)
            for i in range(first_code_index(block, fn), len(stmts) - 1):
                a, b = stmts[i], stmts[i + 1]
                if _pinned(a) or _pinned(b) or a.deep_equals(b) or not independent(a, b):
                    continue
                new = block.with_changes(body=[*stmts[:i], b, a, *stmts[i + 2 :]])
                edits.append(
                    Edit(block, new, f"swapped the statements on lines {target.line(a)} and {target.line(b)}")
                )
        return edits
