"""body_partial_remove: drop a contiguous run of statements from the middle or end of a block."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find
from forager.tasks.mutate.operators.text import line_span
from forager.tasks.mutate.operators.tree import first_code_index

MAX_RUN = 3  # longer runs read like a missing function rather than a slip


class BodyPartialRemove(Operator):
    name = "body_partial_remove"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        fn = target.node
        edits = []
        for block in find(target, cst.IndentedBlock):
            stmts = list(block.body)
            # The first statement always stays, so the block keeps a statement and the run
            # comes from the middle or the end.
            for i in range(first_code_index(block, fn) + 1, len(stmts)):
                for j in range(i + 1, min(len(stmts), i + MAX_RUN) + 1):
                    new = block.with_changes(body=stmts[:i] + stmts[j:])
                    lines = line_span(target, stmts[i], stmts[j - 1])
                    count = j - i
                    what = "1 statement" if count == 1 else f"{count} statements"
                    edits.append(Edit(block, new, f"removed {what} ({lines}) from `{target.qualname}`"))
        return edits
