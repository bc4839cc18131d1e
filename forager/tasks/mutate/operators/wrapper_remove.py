"""wrapper_remove: unwrap a `with` or `try` statement, keeping the code it wraps."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find
from forager.tasks.mutate.operators.text import line_span
from forager.tasks.mutate.operators.tree import inline, statements_of


class WrapperRemove(Operator):
    name = "wrapper_remove"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        edits = []
        for node in find(target, cst.With, cst.Try, cst.TryStar):
            lines = line_span(target, node)
            if isinstance(node, cst.With):
                body, what = statements_of(node.body), f"removed the `with` wrapper ({lines}), keeping its body"
            else:
                # Without the handlers an exception propagates; when none is raised the
                # `else` and `finally` parts run after the body, as they did before.
                body = statements_of(node.body)
                for part in (node.orelse, node.finalbody):
                    if part is not None:
                        body += statements_of(part.body)
                what = f"removed the `try` wrapper ({lines}) and its handlers, keeping its body"
            edits.append(Edit(node, inline(node, body), what))
        return edits
