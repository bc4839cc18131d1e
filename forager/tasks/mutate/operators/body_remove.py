"""body_remove: replace a whole function body with a stub."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.tree import find, first_code_index


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
        span = f"lines {target.start_line + 1}-{target.end_line}"
        return [
            Edit(fn.body, new, f"replaced the body of `{target.qualname}` ({span}) with `{stub}`")
            for stub in stubs
            if (new := _stub_body(fn, stub)) is not None
        ]


def _stub_body(fn: cst.FunctionDef, stub: str) -> cst.BaseSuite | None:
    body = fn.body
    if isinstance(body, cst.SimpleStatementSuite):  # def f(): return 1
        return body.with_changes(body=[cst.parse_statement(stub).body[0]])
    assert isinstance(body, cst.IndentedBlock)
    keep = first_code_index(body, fn)  # the docstring stays: it says what was meant
    if keep == len(body.body):
        return None
    return body.with_changes(body=[*body.body[:keep], cst.parse_statement(stub)])
