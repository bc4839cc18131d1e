"""return_remove: delete a return statement, or drop its value."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.text import snippet
from forager.tasks.mutate.operators.tree import removal, small_statements


class ReturnRemove(Operator):
    name = "return_remove"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        edits = []
        for ret, line in small_statements(target, cst.Return):
            where = f"line {target.line(ret)}"
            edits.append(Edit(*removal(ret, line), f"removed `{snippet(target, ret)}` on {where}"))
            if ret.value is not None:
                bare = ret.with_changes(value=None, whitespace_after_return=cst.MaybeSentinel.DEFAULT)
                edits.append(Edit(ret, bare, f"replaced `{snippet(target, ret)}` with a bare `return` on {where}"))
        return edits
