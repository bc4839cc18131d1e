"""variable_swap: swap every use of two local variables or parameters in the body."""

from __future__ import annotations

import itertools
import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.names import bound_locals, used_names

RECEIVERS = ("self", "cls")


class _Swap(cst.CSTTransformer):
    """Renames `a` to `b` and back in variable positions only."""

    def __init__(self, a: str, b: str) -> None:
        self.mapping = {a: b, b: a}

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
        new = self.mapping.get(updated_node.value)
        return updated_node.with_changes(value=new) if new else updated_node

    # Names that are not variables: put the originals back.
    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        return updated_node.with_changes(attr=original_node.attr)

    def leave_Arg(self, original_node: cst.Arg, updated_node: cst.Arg) -> cst.Arg:
        return updated_node.with_changes(keyword=original_node.keyword)

    def leave_Param(self, original_node: cst.Param, updated_node: cst.Param) -> cst.Param:
        return updated_node.with_changes(name=original_node.name)

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> cst.FunctionDef:
        return updated_node.with_changes(name=original_node.name)

    def leave_ClassDef(self, original_node: cst.ClassDef, updated_node: cst.ClassDef) -> cst.ClassDef:
        return updated_node.with_changes(name=original_node.name)

    def leave_ImportAlias(self, original_node: cst.ImportAlias, updated_node: cst.ImportAlias) -> cst.ImportAlias:
        return updated_node.with_changes(name=original_node.name)


class VariableSwap(Operator):
    name = "variable_swap"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        fn = target.node
        params = {p.name.value for p in _all_params(fn.params)} - set(RECEIVERS)
        used = used_names(fn.body)
        local = sorted((params | bound_locals(fn.body)) & used - set(RECEIVERS))
        # The parameters keep their names, so a swap involving one changes behaviour; swapping
        # two plain locals everywhere would only rename them.
        pairs = [(a, b) for a, b in itertools.combinations(local, 2) if a in params or b in params]
        return [
            Edit(fn.body, fn.body.visit(_Swap(a, b)), f"swapped every use of `{a}` and `{b}` in `{target.qualname}`")
            for a, b in self.sample(pairs, rng)
        ]


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    found += [p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)]
    return found
