"""Find the functions of a module that can be mutated, with qualified names and line spans."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider, WhitespaceInclusivePositionProvider


@dataclass(frozen=True, eq=False)
class FunctionInfo:
    """One target function of a parsed module.

    `node` and `parents` are the very objects of the module they were found in (identity
    matters: `splice` walks them), so use them only with that module. `parents` runs from
    the Module down to the def's direct parent. The span runs from the `def` line
    (decorators excluded) to the last line libcst counts as the function's own, which
    includes comments trailing its body.
    """

    qualname: str
    start_line: int
    end_line: int
    node: cst.FunctionDef = field(repr=False)
    parents: tuple[cst.CSTNode, ...] = field(repr=False)
    positions: Mapping[cst.CSTNode, CodeRange] = field(repr=False)
    lines: Sequence[str] = field(repr=False)  # the module's source lines, without endings

    @property
    def is_method(self) -> bool:
        # Functions nested in functions are never targets, so any enclosing class is ours.
        return any(isinstance(parent, cst.ClassDef) for parent in self.parents)

    def line(self, node: cst.CSTNode) -> int:
        """First line of a node of the original module."""
        return self.positions[node].start.line

    def end_line_of(self, node: cst.CSTNode) -> int:
        """Last line of a node of the original module."""
        return self.positions[node].end.line

    def source_of(self, node: cst.CSTNode) -> str:
        """The original text of a node of the module."""
        span = self.positions[node]
        start, end = span.start, span.end
        if start.line == end.line:
            return self.lines[start.line - 1][start.column : end.column]
        middle = self.lines[start.line : end.line - 1]
        return "\n".join([self.lines[start.line - 1][start.column :], *middle, self.lines[end.line - 1][: end.column]])

    def splice(self, module: cst.Module, new_node: cst.FunctionDef) -> cst.Module:
        """`module` with this function replaced by `new_node`.

        Only the chain of parents is rebuilt, so the cost does not grow with the module's size
        the way a whole-tree transformer would.
        """
        if module is not self.parents[0]:
            raise ValueError(f"{self.qualname}: splice needs the module the function was found in")
        old: cst.CSTNode = self.node
        new: cst.CSTNode = new_node
        for parent in reversed(self.parents):
            old, new = parent, _replace_child(parent, old, new)
        assert isinstance(new, cst.Module)
        return new


def child_slot(parent: cst.CSTNode, child: cst.CSTNode) -> tuple[str, int | None]:
    """Where `child` sits in `parent`: a field name, and an index when the field is a sequence."""
    for f in dataclasses.fields(parent):
        value = getattr(parent, f.name)
        if value is child:
            return f.name, None
        if isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if item is child:
                    return f.name, index
    raise ValueError(f"{type(child).__name__} is not a child of {type(parent).__name__}")


def _replace_child(parent: cst.CSTNode, old: cst.CSTNode, new: cst.CSTNode) -> cst.CSTNode:
    name, index = child_slot(parent, old)
    if index is None:
        return parent.with_changes(**{name: new})
    items = list(getattr(parent, name))
    items[index] = new
    return parent.with_changes(**{name: items})


STATEMENT_HOLDERS = (
    cst.Module,
    cst.BaseSuite,
    cst.BaseCompoundStatement,
    cst.Else,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.Finally,
    cst.MatchCase,
)


class _Finder(cst.CSTVisitor):
    def __init__(
        self, positions: Mapping[cst.CSTNode, CodeRange], extents: Mapping[cst.CSTNode, CodeRange], lines: list[str]
    ) -> None:
        self.positions, self.extents, self.lines = positions, extents, lines
        self.stack: list[cst.CSTNode] = []
        self.found: list[FunctionInfo] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.FunctionDef):
            self._record(node)  # before it is pushed: the stack holds its parents
        self.stack.append(node)
        if isinstance(node, cst.FunctionDef):
            return False  # functions nested in this one are not targets
        # A def is a statement: expressions and simple statements cannot hold one.
        return isinstance(node, STATEMENT_HOLDERS)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()

    def _record(self, node: cst.FunctionDef) -> None:
        classes = [n.name.value for n in self.stack if isinstance(n, cst.ClassDef)]
        start = self.positions[node].start.line
        self.found.append(
            FunctionInfo(
                qualname=".".join([*classes, node.name.value]),
                start_line=start,
                end_line=self._last_line(node, start),
                node=node,
                parents=tuple(self.stack),
                positions=self.positions,
                lines=self.lines,
            )
        )

    def _last_line(self, node: cst.FunctionDef, start: int) -> int:
        # The extent with whitespace ends after the newline of the function's last line
        # (a comment trailing its body, possibly); blank lines at its end do not count.
        end = self.extents[node].end
        last = end.line - 1 if end.column == 0 else end.line
        while last > start and not self.lines[last - 1].strip():
            last -= 1
        return last


def find_functions(module: cst.Module, source: str | None = None) -> list[FunctionInfo]:
    """Module-level functions and methods (of classes at any depth outside functions), in
    source order. `source` is the module's text, if at hand (saves printing it)."""
    # unsafe_skip_copy keeps the caller's nodes, so positions and identities refer to them.
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    metadata = wrapper.resolve_many([PositionProvider, WhitespaceInclusivePositionProvider])
    text = module.code if source is None else source
    # libcst counts "\r\n" and a lone "\r" as line breaks too.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    finder = _Finder(metadata[PositionProvider], metadata[WhitespaceInclusivePositionProvider], lines)
    module.visit(finder)
    return finder.found
