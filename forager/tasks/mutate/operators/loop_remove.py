"""loop_remove: remove a loop, or run its body once instead of looping."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import SCOPES, find
from forager.tasks.mutate.operators.names import access, target_names
from forager.tasks.mutate.operators.text import line_span
from forager.tasks.mutate.operators.tree import inline, statements_of

Loop = cst.For | cst.While


class _LoopExits(cst.CSTVisitor):
    """Finds `break`/`continue` that belong to the loop being visited (not to inner ones)."""

    def __init__(self) -> None:
        self.found = False

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.Break, cst.Continue)):
            self.found = True
        return not isinstance(node, (cst.For, cst.While, *SCOPES))


def _has_exits(loop: Loop) -> bool:
    visitor = _LoopExits()
    loop.body.visit(visitor)
    return visitor.found


def _can_run_once(loop: Loop) -> bool:
    # Outside a loop, `break`/`continue` do not compile; and a `for` body that reads its loop
    # variable would only fail with a NameError, which says nothing about the loop.
    if _has_exits(loop):
        return False
    if isinstance(loop, cst.For):
        reads, _ = access(loop.body)
        return not (target_names(loop.target) & reads)
    return True


class LoopRemove(Operator):
    name = "loop_remove"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        edits = []
        for loop in find(target, cst.For, cst.While):
            kind = "for" if isinstance(loop, cst.For) else "while"
            lines = line_span(target, loop)
            edits.append(Edit(loop, cst.RemovalSentinel.REMOVE, f"removed the `{kind}` loop ({lines})"))
            if _can_run_once(loop):
                body = statements_of(loop.body)
                if loop.orelse is not None:  # without a break, the else part always runs after
                    body += statements_of(loop.orelse.body)
                edits.append(Edit(loop, inline(loop, body), f"replaced the `{kind}` loop ({lines}) by one run of its body"))
        return edits
