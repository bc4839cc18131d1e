"""Name-based reads and writes of code, enough to tell locals and (in)dependent statements."""

from __future__ import annotations

import libcst as cst


def dotted(expr: cst.BaseExpression) -> str | None:
    """`a.b.c` for a chain of names and attributes, else None."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = dotted(expr.value)
        return f"{base}.{expr.attr.value}" if base else None
    return None


def target_names(target: cst.BaseExpression) -> set[str]:
    if isinstance(target, (cst.Tuple, cst.List)):
        return set().union(*(target_names(element.value) for element in target.elements))
    if isinstance(target, cst.StarredElement):
        return target_names(target.value)
    if isinstance(target, cst.Subscript):
        # Item assignment changes the container itself.
        return target_names(target.value)
    name = dotted(target)
    return {name} if name else set()


class _Access(cst.CSTVisitor):
    """Collects written targets and read names (dotted chains and their prefixes)."""

    def __init__(self) -> None:
        self.reads: set[str] = set()
        self.writes: set[str] = set()
        # Names bound by imports, defs, classes and declarations: written, but not variables.
        self.definitions: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.reads.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        name = dotted(node)
        if name:
            self.reads.add(name)

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # a keyword's name is not a read
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.writes |= target_names(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.writes |= target_names(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.writes |= target_names(node.target)

    def visit_For(self, node: cst.For) -> None:
        self.writes |= target_names(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self.writes |= target_names(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self.writes |= target_names(node.name)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.writes |= target_names(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self.writes |= target_names(node.target)

    def visit_ImportAlias(self, node: cst.ImportAlias) -> bool:
        self._define(bound_name(node))
        return False  # the imported module's name is not a read either

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._define(node.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._define(node.name.value)

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self._define(item.name.value)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        for item in node.names:
            self._define(item.name.value)

    def _define(self, name: str) -> None:
        self.writes.add(name)
        self.definitions.add(name)


def _visit(node: cst.CSTNode) -> _Access:
    visitor = _Access()
    node.visit(visitor)
    return visitor


def access(node: cst.CSTNode) -> tuple[set[str], set[str]]:
    """(reads, writes) of a statement or expression, over-approximated: a written name also
    counts as read, and `a.b.c` reads `a`, `a.b` and `a.b.c`."""
    visitor = _visit(node)
    return visitor.reads, visitor.writes


def _overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def clash(first: tuple[set[str], set[str]], second: tuple[set[str], set[str]]) -> bool:
    """Whether either of two (reads, writes) writes what the other reads or writes."""
    (reads1, writes1), (reads2, writes2) = first, second
    return any(_overlap(w, x) for w in writes1 for x in reads2 | writes2) or any(
        _overlap(w, x) for w in writes2 for x in reads1
    )



def bound_name(alias: cst.ImportAlias) -> str:
    """The name an import binds: `import a.b` binds `a`, `... as c` binds `c`."""
    if alias.asname is not None:
        assert isinstance(alias.asname.name, cst.Name)
        return alias.asname.name.value
    name = dotted(alias.name)
    assert name is not None
    return name.split(".")[0]


class _Uses(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # `x.json` does not use a name `json`
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False


def used_names(node: cst.CSTNode) -> set[str]:
    """Bare names that occur in the code (attribute and keyword names excluded)."""
    visitor = _Uses()
    node.visit(visitor)
    return visitor.names


def bound_locals(node: cst.CSTNode) -> set[str]:
    """Plain names that the code assigns as variables (no attributes, items, imports,
    definitions or names declared global)."""
    visitor = _visit(node)
    return {name for name in visitor.writes - visitor.definitions if "." not in name}
