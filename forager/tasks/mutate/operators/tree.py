"""Helpers to find and rewrite nodes inside one function with libcst."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar, Union

import libcst as cst

N = TypeVar("N", bound=cst.CSTNode)
Replacement = Union[cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel]
SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_EMPTY_MODULE = cst.Module(body=[])


class _Collector(cst.CSTVisitor):
    def __init__(self, kinds: tuple[type, ...], nested: bool) -> None:
        self.kinds = kinds
        self.nested = nested
        self.found: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        # Annotations and decorators do not change what the code does at run time.
        if isinstance(node, (cst.Annotation, cst.Decorator)):
            return False
        if isinstance(node, self.kinds):
            self.found.append(node)
        return self.nested or not isinstance(node, SCOPES)


def find(fn: cst.FunctionDef, *kinds: type[N], nested: bool = True) -> list[N]:
    """Nodes of the given kinds in the function's parameters and body, in source order.
    With nested=False, code of nested functions, classes and lambdas is left out."""
    collector = _Collector(kinds, nested)
    fn.params.visit(collector)
    fn.body.visit(collector)
    return collector.found  # type: ignore[return-value]


def find_in(node: cst.CSTNode, *kinds: type[N], nested: bool = True) -> list[N]:
    """Like `find`, under any node (the node itself included)."""
    collector = _Collector(kinds, nested)
    node.visit(collector)
    return collector.found  # type: ignore[return-value]


class _Replace(cst.CSTTransformer):
    def __init__(self, old: cst.CSTNode, new: Replacement) -> None:
        self.old = old
        self.new = new

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Replacement:
        return self.new if original_node is self.old else updated_node


def replace(tree: N, old: cst.CSTNode, new: Replacement) -> Replacement:
    """`tree` with the node `old` (by identity) replaced; unlike `deep_replace`, the
    replacement may be a removal or several statements."""
    return tree.visit(_Replace(old, new))


def snippet(node: cst.CSTNode, limit: int = 40) -> str:
    """Source of a node on one line, shortened for descriptions."""
    text = " ".join(_EMPTY_MODULE.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_docstring(stmt: cst.BaseStatement) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def first_code_index(block: cst.IndentedBlock, fn: cst.FunctionDef) -> int:
    """Index of the first statement that is not the function's docstring."""
    return 1 if block is fn.body and block.body and is_docstring(block.body[0]) else 0


def statements_of(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    """A suite's statements as full lines; a one-line suite (`if x: a(); b()`) becomes one line."""
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    assert isinstance(suite, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine(body=suite.body, trailing_whitespace=suite.trailing_whitespace)]


def inline(stmt: cst.BaseCompoundStatement, body: Sequence[cst.BaseStatement]) -> Replacement:
    """What replaces a compound statement by the given statements in its block. Comments
    above the statement stay above the first inlined one."""
    if not body:
        return cst.RemovalSentinel.REMOVE
    first = body[0].with_changes(leading_lines=[*stmt.leading_lines, *body[0].leading_lines])
    return cst.FlattenSentinel([first, *body[1:]])


def small_statements(
    fn: cst.FunctionDef, *kinds: type[N]
) -> list[tuple[N, cst.SimpleStatementLine | cst.SimpleStatementSuite]]:
    """Small statements of the given kinds in the function, each with the line holding it."""
    found = []
    for line in find(fn, cst.SimpleStatementLine, cst.SimpleStatementSuite):
        found.extend((small, line) for small in line.body if isinstance(small, kinds))
    return found


def removal(
    small: cst.BaseSmallStatement, line: cst.SimpleStatementLine | cst.SimpleStatementSuite
) -> tuple[cst.CSTNode, Replacement]:
    """(old, new) that deletes a small statement: its whole line when it is alone there.
    An emptied block or one-line suite is printed by libcst as `pass`, so this stays valid."""
    if isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1:
        return line, cst.RemovalSentinel.REMOVE
    return small, cst.RemovalSentinel.REMOVE


def with_parens_of(outer: cst.BaseExpression, inner: cst.BaseExpression) -> cst.BaseExpression:
    """`inner` put in place of `outer`, keeping `outer`'s parentheses (which may be what
    separates it from a keyword, as in `if(not x)`)."""
    return inner.with_changes(lpar=[*outer.lpar, *inner.lpar], rpar=[*inner.rpar, *outer.rpar])
