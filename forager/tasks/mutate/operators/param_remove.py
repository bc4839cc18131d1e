"""param_remove: remove one parameter from the function's definition."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator

# Fields of cst.Parameters in the order they are written.
_ORDER = ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg")


class ParamRemove(Operator):
    name = "param_remove"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        fn = target.node
        params = fn.params
        positional = [*params.posonly_params, *params.params]
        # The first parameter of a method is its receiver, whatever it is called.
        receiver = positional[0] if positional and target.is_method and not _is_static(fn) else None
        candidates = [*positional, *params.kwonly_params]
        for extra in (params.star_arg, params.star_kwarg):
            if isinstance(extra, cst.Param):
                candidates.append(extra)
        edits = []
        for param in sorted(candidates, key=lambda p: (target.line(p), target.positions[p].start.column)):
            if param is receiver or param.name.value in ("self", "cls"):
                continue
            new = _without(params, param)
            if new is not None:
                where = f"on line {target.line(param)}"
                edits.append(Edit(params, new, f"removed parameter `{param.name.value}` from `{target.qualname}` {where}"))
        return edits


def _is_static(fn: cst.FunctionDef) -> bool:
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in fn.decorators)


def _without(params: cst.Parameters, param: cst.Param) -> cst.Parameters | None:
    """The parameters minus one, or None when libcst rejects the result."""
    fields = {name: getattr(params, name) for name in _ORDER}
    for name in ("posonly_params", "params", "kwonly_params"):
        fields[name] = [p for p in fields[name] if p is not param]
    if params.star_arg is param:
        # `*args` before keyword-only parameters leaves a bare `*` behind.
        fields["star_arg"] = cst.ParamStar(comma=param.comma)
    if params.star_kwarg is param:
        fields["star_kwarg"] = None
    # A bare `*` or `/` with nothing left to mark is a syntax error.
    if isinstance(fields["star_arg"], cst.ParamStar) and not fields["kwonly_params"]:
        fields["star_arg"] = cst.MaybeSentinel.DEFAULT
    if isinstance(fields["posonly_ind"], cst.ParamSlash) and not fields["posonly_params"]:
        fields["posonly_ind"] = cst.MaybeSentinel.DEFAULT
    if param.comma is cst.MaybeSentinel.DEFAULT:  # it was last: do not leave `def f(a, )`
        _drop_last_comma(fields)
    try:
        return params.with_changes(**fields)
    except cst.CSTValidationError:
        return None


def _drop_last_comma(fields: dict[str, object]) -> None:
    for name in reversed(_ORDER):
        value = fields[name]
        if isinstance(value, list):
            if value:
                value[-1] = value[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
                return
        elif isinstance(value, (cst.Param, cst.ParamStar, cst.ParamSlash)):
            fields[name] = value.with_changes(comma=cst.MaybeSentinel.DEFAULT)
            return
