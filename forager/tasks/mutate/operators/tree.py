"""Statement-level helpers: docstrings, suites, inlining and removing statements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.index import Replacement, find

N = TypeVar("N", bound=cst.CSTNode)


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
    target: FunctionInfo, *kinds: type[N]
) -> list[tuple[N, cst.SimpleStatementLine | cst.SimpleStatementSuite]]:
    """Small statements of the given kinds in the function, each with the line holding it."""
    found = []
    for line in find(target, cst.SimpleStatementLine, cst.SimpleStatementSuite):
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
