"""unaryop_replace: drop a unary operator (`not x` -> `x`, `-x` -> `x`, `~x` -> `x`)."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find
from forager.tasks.mutate.operators.text import snippet
from forager.tasks.mutate.operators.tree import with_parens_of

SYMBOLS = {cst.Not: "not", cst.Minus: "-", cst.BitInvert: "~"}


class UnaryopReplace(Operator):
    name = "unaryop_replace"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        return [
            Edit(
                node,
                with_parens_of(node, node.expression),
                f"removed `{SYMBOLS[type(node.operator)]}` from `{snippet(target, node)}` on line {target.line(node)}",
            )
            for node in find(target, cst.UnaryOperation)
            if type(node.operator) in SYMBOLS
        ]
