"""condition_remove: make an `if`/`elif` branch unconditional, or drop it."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find
from forager.tasks.mutate.operators.text import line_span, snippet
from forager.tasks.mutate.operators.tree import inline, statements_of, with_parens_of


class ConditionRemove(Operator):
    name = "condition_remove"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        ifs = find(target, cst.If)
        elifs = {id(node.orelse) for node in ifs if isinstance(node.orelse, cst.If)}
        edits = []
        for node in ifs:
            if id(node) not in elifs:
                edits += _if_edits(target, node)
            if isinstance(node.orelse, cst.If):
                edits += _elif_edits(target, node, node.orelse)
        for node in find(target, cst.IfExp):
            for kept, label in ((node.body, "true"), (node.orelse, "false")):
                edits.append(
                    Edit(
                        node,
                        with_parens_of(node, kept),
                        f"replaced `{snippet(target, node)}` on line {target.line(node)} by its {label} branch `{snippet(target, kept)}`",
                    )
                )
        return edits


def _if_edits(target: FunctionInfo, node: cst.If) -> list[Edit]:
    test, line = snippet(target, node.test), target.line(node)
    edits = [Edit(node, inline(node, statements_of(node.body)), f"removed the condition `if {test}:` on line {line}; its body always runs")]
    orelse = node.orelse
    if orelse is None:
        dropped: cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel = cst.RemovalSentinel.REMOVE
        what = f"removed the `if {test}:` block ({line_span(target, node)})"
    elif isinstance(orelse, cst.Else):
        dropped = inline(node, statements_of(orelse.body))
        what = f"removed the `if {test}:` branch on line {line}; its `else` body always runs"
    else:  # the first `elif` takes the place of the `if`
        dropped = orelse.with_changes(leading_lines=node.leading_lines)
        what = f"removed the `if {test}:` branch on line {line}; the following `elif` becomes the `if`"
    edits.append(Edit(node, dropped, what))
    return edits


def _elif_edits(target: FunctionInfo, parent: cst.If, elif_: cst.If) -> list[Edit]:
    test, line = snippet(target, elif_.test), target.line(elif_)
    as_else = cst.Else(body=elif_.body, leading_lines=elif_.leading_lines)
    return [
        Edit(parent, parent.with_changes(orelse=as_else), f"replaced `elif {test}:` on line {line} with `else:`"),
        Edit(parent, parent.with_changes(orelse=elif_.orelse), f"removed the `elif {test}:` branch ({line_span(target, elif_, elif_.body)})"),
    ]
