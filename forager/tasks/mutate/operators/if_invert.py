"""if_invert: negate the condition of an `if` or `elif`."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find
from forager.tasks.mutate.operators.text import snippet

# Expressions that bind tighter than `not` and read well without parentheses.
ATOMS = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)


def negate(test: cst.BaseExpression) -> cst.BaseExpression:
    """`not (test)`, or the operand when the test already is `not x`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) and not test.lpar:
        return test.expression
    if not isinstance(test, ATOMS) and not test.lpar:
        test = test.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.UnaryOperation(operator=cst.Not(), expression=test)


class IfInvert(Operator):
    name = "if_invert"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        edits = []
        for node in find(target, cst.If):
            space = node.whitespace_before_test
            if not space.value:  # `if(x):` needs a space once the test starts with `not`
                space = cst.SimpleWhitespace(" ")
            new = node.with_changes(test=negate(node.test), whitespace_before_test=space)
            edits.append(Edit(node, new, f"inverted the condition `{snippet(target, node.test)}` on line {target.line(node)}"))
        return edits
