"""Helpers to find and rewrite nodes inside one function with libcst."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TypeVar, Union

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo, child_slot

N = TypeVar("N", bound=cst.CSTNode)
Replacement = Union[cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel]
SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_EMPTY_MODULE = cst.Module(body=[])


class _Indexer(cst.CSTVisitor):
    """Records, once per function, its nodes in source order, their parents, and which of
    them lie in nested scopes."""

    def __init__(self, fn: cst.FunctionDef) -> None:
        self.stack: list[cst.CSTNode] = [fn]
        self.by_type: dict[type, list[tuple[int, cst.CSTNode]]] = {}
        self.count = 0
        self.parent: dict[int, cst.CSTNode] = {}
        self.nested: set[int] = set()
        self.scopes = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        # Annotations and decorators do not change what the code does at run time.
        if isinstance(node, (cst.Annotation, cst.Decorator)):
            return False
        self.parent[id(node)] = self.stack[-1]
        self.by_type.setdefault(type(node), []).append((self.count, node))
        self.count += 1
        if self.scopes:
            self.nested.add(id(node))
        self.stack.append(node)
        self.scopes += isinstance(node, SCOPES)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if self.stack[-1] is original_node:
            self.stack.pop()
            self.scopes -= isinstance(original_node, SCOPES)


# Building the index costs a walk of the function; every operator reuses it.
_INDEXES: weakref.WeakKeyDictionary[FunctionInfo, _Indexer] = weakref.WeakKeyDictionary()


def _index(target: FunctionInfo) -> _Indexer:
    index = _INDEXES.get(target)
    if index is None:
        index = _Indexer(target.node)
        target.node.params.visit(index)
        target.node.body.visit(index)
        _INDEXES[target] = index
    return index


def find(target: FunctionInfo, *kinds: type[N], nested: bool = True) -> list[N]:
    """Nodes of the given kinds in the function's parameters and body, in source order.
    With nested=False, code of nested functions, classes and lambdas is left out."""
    index = _index(target)
    found = [item for cls, items in index.by_type.items() if issubclass(cls, kinds) for item in items]
    found.sort(key=lambda item: item[0])
    return [node for _, node in found if nested or id(node) not in index.nested]  # type: ignore[misc]


def replace(target: FunctionInfo, old: cst.CSTNode, new: Replacement) -> cst.FunctionDef:
    """The target function with `old` (one of its nodes) replaced by a node, a removal or
    several statements. Only the chain of parents is rebuilt, not the whole function."""
    parents = _index(target).parent
    node, replacement = old, new
    while node is not target.node:
        parent = parents[id(node)]
        node, replacement = parent, _put(parent, node, replacement)
    assert isinstance(replacement, cst.FunctionDef)
    return replacement


def _put(parent: cst.CSTNode, child: cst.CSTNode, new: Replacement) -> cst.CSTNode:
    name, index = child_slot(parent, child)
    if index is None:
        if not isinstance(new, cst.CSTNode):
            raise ValueError(f"cannot remove or flatten the {name} of a {type(parent).__name__}")
        return parent.with_changes(**{name: new})
    items = list(getattr(parent, name))
    if isinstance(new, cst.RemovalSentinel):
        del items[index]
    elif isinstance(new, cst.FlattenSentinel):
        items[index : index + 1] = list(new.nodes)
    else:
        items[index] = new
    return parent.with_changes(**{name: items})


def snippet(target: FunctionInfo, node: cst.CSTNode, limit: int = 40) -> str:
    """The original text of a node on one line, shortened for descriptions."""
    return _shorten(target.source_of(node), limit)


def code_of(node: cst.CSTNode, limit: int = 40) -> str:
    """Like `snippet`, for a node made by an operator (printed, so keep it small)."""
    return _shorten(_EMPTY_MODULE.code_for_node(node), limit)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split()).rstrip(";")
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


def line_span(target: FunctionInfo, first: cst.CSTNode, last: cst.CSTNode | None = None) -> str:
    """'line 12' or 'lines 12-15': where a node (or a run of nodes) stands in the original."""
    start, end = target.line(first), target.end_line_of(last or first)
    return f"line {start}" if start == end else f"lines {start}-{end}"
