"""boolop_replace: swap `and` and `or`."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find


class BoolopReplace(Operator):
    name = "boolop_replace"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        edits = []
        for node in find(target, cst.BooleanOperation):
            op = node.operator
            old, new_cls, new = ("and", cst.Or, "or") if isinstance(op, cst.And) else ("or", cst.And, "and")
            new_op = new_cls(whitespace_before=op.whitespace_before, whitespace_after=op.whitespace_after)
            edits.append(
                Edit(node, node.with_changes(operator=new_op), f"replaced `{old}` with `{new}` on line {target.line(op)}")
            )
        return edits
