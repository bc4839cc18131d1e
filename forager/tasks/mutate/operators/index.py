"""A per-function index of nodes (by type, with parents) to find and rewrite them cheaply.

libcst nodes do not know their parents, and a transformer walks the whole tree; the index
is built once per function and lets an edit rebuild only the path from a node to the def.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TypeVar, Union

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo, child_slot

N = TypeVar("N", bound=cst.CSTNode)
# What may stand in for a node: another node, nothing, or several statements.
Replacement = Union[cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel]
SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


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


def parent_of(target: FunctionInfo, node: cst.CSTNode) -> cst.CSTNode:
    """The parent of a node of the function (the function itself for its body and params)."""
    return _index(target).parent[id(node)]


class _Rewrite(cst.CSTTransformer):
    def __init__(self, replacements: dict[int, Replacement], hot: set[int]) -> None:
        self.replacements, self.hot = replacements, hot

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) in self.hot  # only paths that lead to a replaced node

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Replacement:
        return self.replacements.get(id(original_node), updated_node)


def rewrite(target: FunctionInfo, root: N, replacements: Sequence[tuple[cst.CSTNode, Replacement]]) -> N:
    """`root` (a node of the function) with many nodes under it replaced at once; only the
    paths from `root` to them are walked."""
    parents = _index(target).parent
    hot = {id(root)}
    for node, _ in replacements:
        while node is not root:
            node = parents[id(node)]
            hot.add(id(node))
    result = root.visit(_Rewrite({id(old): new for old, new in replacements}, hot))
    assert isinstance(result, type(root))
    return result


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
