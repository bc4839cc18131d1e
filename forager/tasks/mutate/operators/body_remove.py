"""body_remove: replace a whole function body with a stub."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find
from forager.tasks.mutate.operators.text import line_span
from forager.tasks.mutate.operators.tree import first_code_index


def returns_value(target: FunctionInfo) -> bool:
    """Whether the function itself (not a nested one) has a `return <value>`."""
    return any(ret.value is not None for ret in find(target, cst.Return, nested=False))


class BodyRemove(Operator):
    name = "body_remove"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        fn = target.node
        # A function that computes something becomes a stub that fails or returns nothing;
        # a procedure becomes one that silently does nothing or fails.
        stubs = ["raise NotImplementedError", "return None"] if returns_value(target) else ["pass", "raise NotImplementedError"]
        removed = _removable(fn)
        if not removed:
            return []
        span = line_span(target, removed[0], removed[-1])
        return [
            Edit(fn.body, _stub_body(fn, stub), f"replaced the body of `{target.qualname}` ({span}) with `{stub}`")
            for stub in stubs
        ]


def _removable(fn: cst.FunctionDef) -> list[cst.CSTNode]:
    """The statements a stub replaces: all but the docstring, which says what was meant."""
    body = fn.body
    if isinstance(body, cst.SimpleStatementSuite):  # def f(): return 1
        return list(body.body)
    assert isinstance(body, cst.IndentedBlock)
    return list(body.body[first_code_index(body, fn) :])


def _stub_body(fn: cst.FunctionDef, stub: str) -> cst.BaseSuite:
    body = fn.body
    statement = cst.parse_statement(stub)
    if isinstance(body, cst.SimpleStatementSuite):
        return body.with_changes(body=statement.body)
    assert isinstance(body, cst.IndentedBlock)
    return body.with_changes(body=[*body.body[: first_code_index(body, fn)], statement])
