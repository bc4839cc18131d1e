"""constant_change: change a literal (numbers off by one, flipped booleans, altered strings)."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find
from forager.tasks.mutate.operators.text import snippet

NAMED = {"True": ("False",), "False": ("True",), "None": ("False",)}


def _integers(node: cst.Integer) -> list[str]:
    value = int(node.value.replace("_", ""), 0)
    # Literals are never negative (`-1` is a unary minus), so do not go below zero.
    return [str(value + 1)] + ([str(value - 1)] if value > 0 else [])


def _floats(node: cst.Float) -> list[str]:
    return [repr(float(node.value.replace("_", "")) + 1.0)]


def _strings(node: cst.SimpleString) -> list[str]:
    prefix, quote = node.prefix, node.quote
    raw = node.value[len(prefix) + len(quote) : -len(quote)]
    if not raw:
        return [f"{prefix}{quote}x{quote}"]
    out = [f"{prefix}{quote}{quote}"]
    flipped = _flip_first_letter(raw)
    if flipped is not None:
        out.append(f"{prefix}{quote}{flipped}{quote}")
    return out


def _flip_first_letter(raw: str) -> str | None:
    """The text with its first letter's case flipped; letters of escapes (`\\n`) are skipped."""
    for i, char in enumerate(raw):
        if char.isalpha() and char.swapcase() != char and (i == 0 or raw[i - 1] != "\\"):
            return raw[:i] + char.swapcase() + raw[i + 1 :]
    return None


def _variants(node: cst.CSTNode) -> list[cst.CSTNode]:
    if isinstance(node, cst.Integer):
        return [node.with_changes(value=v) for v in _integers(node)]
    if isinstance(node, cst.Float):
        return [node.with_changes(value=v) for v in _floats(node)]
    if isinstance(node, cst.SimpleString):
        return [node.with_changes(value=v) for v in _strings(node)]
    if isinstance(node, cst.Name) and node.value in NAMED:
        return [node.with_changes(value=v) for v in NAMED[node.value]]
    return []


class ConstantChange(Operator):
    name = "constant_change"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        # String statements (docstrings and the like) do nothing at run time.
        inert = {id(expr.value) for expr in find(target, cst.Expr)}
        edits = []
        for node in find(target, cst.Integer, cst.Float, cst.SimpleString, cst.Name):
            if id(node) in inert:
                continue
            for new in _variants(node):
                edits.append(
                    Edit(node, new, f"changed the constant `{snippet(target, node)}` to `{new.value}` on line {target.line(node)}")
                )
        return edits
