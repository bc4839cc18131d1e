"""assignment_remove: delete an assignment statement (`=`, `+=`, annotated with a value)."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.text import snippet
from forager.tasks.mutate.operators.tree import removal, small_statements


class AssignmentRemove(Operator):
    name = "assignment_remove"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        return [
            Edit(*removal(node, line), f"removed the assignment `{snippet(target, node)}` on line {target.line(node)}")
            for node, line in small_statements(target, cst.Assign, cst.AugAssign, cst.AnnAssign)
            # A bare annotation (`x: int`) assigns nothing.
            if not (isinstance(node, cst.AnnAssign) and node.value is None)
        ]
