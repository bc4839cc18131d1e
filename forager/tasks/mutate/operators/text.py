"""Text for descriptions: original snippets and line spans."""

from __future__ import annotations

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo


def snippet(target: FunctionInfo, node: cst.CSTNode, limit: int = 40) -> str:
    """The original text of a node on one line, shortened for descriptions."""
    return _shorten(target.source_of(node), limit)


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split()).rstrip(";")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def line_span(target: FunctionInfo, first: cst.CSTNode, last: cst.CSTNode | None = None) -> str:
    """'line 12' or 'lines 12-15': where a node (or a run of nodes) stands in the original."""
    start, end = target.line(first), target.end_line_of(last or first)
    return f"line {start}" if start == end else f"lines {start}-{end}"
