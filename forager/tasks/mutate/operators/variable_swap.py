"""variable_swap: swap every use of two local variables or parameters in the body."""

from __future__ import annotations

import functools
import itertools
import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo, child_slot
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find, parent_of, rewrite
from forager.tasks.mutate.operators.names import bound_locals, used_names

RECEIVERS = ("self", "cls")
IMPORTS = (cst.Import, cst.ImportFrom)
# (parent type, field) slots where a Name is a label, not a variable.
LABELS = {
    (cst.Attribute, "attr"),
    (cst.Arg, "keyword"),
    (cst.Param, "name"),
    (cst.FunctionDef, "name"),
    (cst.ClassDef, "name"),
}


class VariableSwap(Operator):
    name = "variable_swap"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        fn = target.node
        params = {p.name.value for p in _all_params(fn.params)} - set(RECEIVERS)
        local = sorted((params | bound_locals(fn.body)) & used_names(fn.body) - set(RECEIVERS))
        # The parameters keep their names, so a swap involving one changes behaviour; swapping
        # two plain locals everywhere would only rename them.
        pairs = [(a, b) for a, b in itertools.combinations(local, 2) if a in params or b in params]
        if not pairs:
            return []
        wanted = set(local)
        occurrences = [n for n in find(target, cst.Name) if n.value in wanted and _is_variable(target, n)]
        return [
            Edit(
                fn.body,
                functools.partial(_swapped, target, occurrences, a, b),  # built only if sampled
                f"swapped every use of `{a}` and `{b}` in `{target.qualname}`",
            )
            for a, b in self.sample(pairs, rng)
        ]


def _swapped(target: FunctionInfo, occurrences: list[cst.Name], a: str, b: str) -> cst.BaseSuite:
    swap = {a: b, b: a}
    renamed = [(name, name.with_changes(value=swap[name.value])) for name in occurrences if name.value in swap]
    return rewrite(target, target.node.body, renamed)


def _is_variable(target: FunctionInfo, name: cst.Name) -> bool:
    """A Name in the body that stands for a variable (not an attribute, keyword, import...)."""
    parent = parent_of(target, name)
    if (type(parent), child_slot(parent, name)[0]) in LABELS:
        return False
    node: cst.CSTNode = parent
    while node is not target.node:
        if isinstance(node, IMPORTS):
            return False
        if node is target.node.body:
            return True
        node = parent_of(target, node)
    return False  # in the parameters (a default value)


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    found += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    return found
