"""Turn candidate modules into source text and fingerprints, fast when only one function changed.

Printing and re-parsing a whole module for every candidate costs a tenth of a second or more
on a large file. When a candidate differs from the original only inside the target function
(the usual case), only that function is printed and spliced into the original text, and only
that function is compiled and fingerprinted.
"""

from __future__ import annotations

import ast
import warnings

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo, child_slot
from forager.tasks.mutate.patch import split_lines

try:  # libcst's printer state; without it every candidate takes the whole-module path
    from libcst._nodes.internal import CodegenState
except ImportError:  # pragma: no cover - depends on the libcst release
    CodegenState = None  # type: ignore[assignment,misc]


def fingerprint(code: str, file: str) -> str | None:
    """`ast.dump` of the code (blind to formatting and comments), or None when it does not
    compile. Compiling, not just parsing, also rejects what only the compiler catches, such as
    a `break` left outside a loop."""
    try:
        tree = ast.parse(code)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for `x is 1`
            compile(tree, file, "exec")
    except (SyntaxError, ValueError):
        return None
    return ast.dump(tree)


class FunctionRenderer:
    """Renders candidates made from `module` (parsed from `source`) for one target function."""

    def __init__(self, module: cst.Module, source: str, target: FunctionInfo, file: str) -> None:
        self.module, self.target, self.file = module, target, file
        self.indents = [
            module.default_indent if block.indent is None else block.indent
            for block in target.parents
            if isinstance(block, cst.IndentedBlock)
        ]
        chain = [*target.parents, target.node]
        self.path = [child_slot(parent, child) for parent, child in zip(chain, chain[1:])]
        # The source text around the function, or None when the fast path cannot be trusted.
        self.around = self._around(source)
        self.original_key = self._function_key(self._print(target.node)) if self.around else None

    def render(self, candidate: cst.Module) -> tuple[str, str | None]:
        """(source, fingerprint); the fingerprint is None when the source does not compile.
        Fingerprints of the two paths never collide, and two candidates that both changed
        only this function are compared on the function alone, which is equivalent."""
        function = self._changed_function(candidate) if self.around else None
        if function is None:
            code = candidate.code
            return code, fingerprint(code, self.file)
        text = self._print(function)
        before, after = self.around  # type: ignore[misc]
        return before + text + after, self._function_key(text)

    def _print(self, function: cst.FunctionDef) -> str:
        assert CodegenState is not None
        state = CodegenState(default_indent=self.module.default_indent, default_newline=self.module.default_newline)
        for indent in self.indents:
            state.increase_indent(indent)
        function._codegen(state)
        return "".join(state.tokens)

    def _around(self, source: str) -> tuple[str, str] | None:
        """The source before and after the function's text (comments and decorators above
        it included), provided the printout of the function matches that text exactly."""
        if CodegenState is None:
            return None
        lines = split_lines(source)
        node = self.target.node
        text = self._print(node)
        bare = self._print(node.with_changes(leading_lines=(), decorators=(), lines_after_decorators=()))
        first = self.target.start_line - 1 - (text.count("\n") - bare.count("\n"))
        last = first + text.count("\n")
        if first < 0 or "".join(lines[first:last]) != text:
            return None
        return "".join(lines[:first]), "".join(lines[last:])

    def _function_key(self, text: str) -> str | None:
        # A lone `if 1:` header makes an indented function a valid module on its own.
        key = fingerprint("if 1:\n" + text if self.indents else text, self.file)
        return None if key is None else f"{self.target.start_line}:{key}"

    def _changed_function(self, candidate: cst.Module) -> cst.FunctionDef | None:
        """The candidate's function at the target's place, if nothing else differs."""
        old: cst.CSTNode = self.module
        new: cst.CSTNode = candidate
        for name, index in self.path:
            if not _same_but(old, new, name, index):
                return None
            old_value, new_value = getattr(old, name), getattr(new, name)
            old, new = (old_value, new_value) if index is None else (old_value[index], new_value[index])
        return new if isinstance(new, cst.FunctionDef) else None


def _same_but(old: cst.CSTNode, new: cst.CSTNode, name: str, index: int | None) -> bool:
    """Whether two nodes hold the very same children except in one slot (field, index)."""
    if type(old) is not type(new):
        return False
    for field in old.__dataclass_fields__:
        a, b = getattr(old, field), getattr(new, field)
        if field == name and index is None:
            continue
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            if len(a) != len(b):
                return False
            skip = index if field == name else None
            if any(x is not y for i, (x, y) in enumerate(zip(a, b)) if i != skip):
                return False
        elif a is not b:
            return False
    return True
