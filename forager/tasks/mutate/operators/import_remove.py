"""import_remove: remove an import the function relies on (module level or its own)."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo, child_slot
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find, parent_of
from forager.tasks.mutate.operators.names import bound_name
from forager.tasks.mutate.operators.text import snippet
from forager.tasks.mutate.operators.tree import removal, small_statements

ImportNode = cst.Import | cst.ImportFrom


def _aliases(node: ImportNode) -> list[cst.ImportAlias]:
    """Removable names: `from __future__` and `*` imports are left alone."""
    if isinstance(node, cst.ImportFrom):
        if isinstance(node.names, cst.ImportStar):
            return []
        if isinstance(node.module, cst.Name) and node.module.value == "__future__":
            return []
    return list(node.names)  # type: ignore[arg-type]


def _without_alias(node: ImportNode, alias: cst.ImportAlias) -> ImportNode | None:
    """The import minus one name, or None when nothing would be left."""
    names = [a for a in node.names if a is not alias]  # type: ignore[union-attr]
    if not names:
        return None
    if alias.comma is cst.MaybeSentinel.DEFAULT:  # it was last: no dangling comma
        names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return node.with_changes(names=names)


class ImportRemove(Operator):
    name = "import_remove"

    def mutate(
        self, module: cst.Module, target: FunctionInfo, rng: random.Random
    ) -> list[tuple[cst.Module, str]]:
        own = [(self.apply(module, target, e), e.description) for e in self.edits(target, rng)]
        return self.sample(_module_level(module, target) + own, rng)

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        """Imports inside the function itself."""
        edits = []
        for node, line in small_statements(target, cst.Import, cst.ImportFrom):
            for alias in _aliases(node):
                reduced = _without_alias(node, alias)
                old, new = (node, reduced) if reduced is not None else removal(node, line)
                edits.append(Edit(old, new, _describe(target, node, alias, reduced)))
        return edits


def _used_names(target: FunctionInfo) -> set[str]:
    """Names the function's code reads. Annotations and decorators are left out: an import
    they need fails at import time (or never), which says nothing about this function."""
    used = set()
    for name in find(target, cst.Name):
        parent = parent_of(target, name)
        if not (isinstance(parent, cst.Attribute) and child_slot(parent, name)[0] == "attr"):
            used.add(name.value)
    return used


def _module_level(module: cst.Module, target: FunctionInfo) -> list[tuple[cst.Module, str]]:
    used = _used_names(target)
    out = []
    for index, stmt in enumerate(module.body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for node in stmt.body:
            if not isinstance(node, (cst.Import, cst.ImportFrom)):
                continue
            for alias in _aliases(node):
                if bound_name(alias) not in used:
                    continue
                reduced = _without_alias(node, alias)
                body = _body_without(module, index, stmt, node, reduced)
                out.append((module.with_changes(body=body), _describe(target, node, alias, reduced)))
    return out


def _body_without(
    module: cst.Module, index: int, stmt: cst.SimpleStatementLine, node: ImportNode, reduced: ImportNode | None
) -> list[cst.BaseStatement]:
    body = list(module.body)
    if reduced is not None:
        body[index] = stmt.deep_replace(node, reduced)
    elif len(stmt.body) > 1:
        body[index] = stmt.with_changes(body=[s for s in stmt.body if s is not node])
    else:
        del body[index]
        # Comments and blank lines above the import belong to the file, not the import.
        if index < len(body):
            body[index] = body[index].with_changes(leading_lines=[*stmt.leading_lines, *body[index].leading_lines])
    return body


def _describe(target: FunctionInfo, node: ImportNode, alias: cst.ImportAlias, reduced: ImportNode | None) -> str:
    where = f"line {target.line(node)}"
    if reduced is None:
        return f"removed `{snippet(target, node)}` ({where}), used by `{target.qualname}`"
    name = snippet(target, alias).rstrip(", ")
    return f"removed `{name}` from the import on {where}, used by `{target.qualname}`"
