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
        return [
            Edit(
                params,
                _without(params, param),
                f"removed parameter `{param.name.value}` from `{target.qualname}` on line {target.line(param)}",
            )
            for param in sorted(candidates, key=lambda p: (target.line(p), target.positions[p].start.column))
            if param is not receiver and param.name.value not in ("self", "cls")
        ]


def _is_static(fn: cst.FunctionDef) -> bool:
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in fn.decorators)


def _without(params: cst.Parameters, param: cst.Param) -> cst.Parameters:
    changes: dict[str, object] = {}
    for name in ("posonly_params", "params", "kwonly_params"):
        seq = getattr(params, name)
        if any(p is param for p in seq):
            changes[name] = [p for p in seq if p is not param]
    if params.star_arg is param:
        # `*args` before keyword-only parameters must leave a bare `*` behind.
        changes["star_arg"] = cst.ParamStar(comma=param.comma) if params.kwonly_params else cst.MaybeSentinel.DEFAULT
    if params.star_kwarg is param:
        changes["star_kwarg"] = None
    new = params.with_changes(**changes)
    # A bare `*` or `/` with nothing left to mark is a syntax error.
    if isinstance(new.star_arg, cst.ParamStar) and not new.kwonly_params:
        new = new.with_changes(star_arg=cst.MaybeSentinel.DEFAULT)
    if isinstance(new.posonly_ind, cst.ParamSlash) and not new.posonly_params:
        new = new.with_changes(posonly_ind=cst.MaybeSentinel.DEFAULT)
    if param.comma is cst.MaybeSentinel.DEFAULT:  # it was last: do not leave `def f(a, )`
        new = _drop_last_comma(new)
    return new


def _drop_last_comma(params: cst.Parameters) -> cst.Parameters:
    for name in reversed(_ORDER):
        value = getattr(params, name)
        if isinstance(value, (list, tuple)):
            if value:
                return params.with_changes(**{name: [*value[:-1], value[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)]})
        elif isinstance(value, (cst.Param, cst.ParamStar, cst.ParamSlash)):
            return params.with_changes(**{name: value.with_changes(comma=cst.MaybeSentinel.DEFAULT)})
    return params
