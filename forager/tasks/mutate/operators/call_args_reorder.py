"""call_args_reorder: swap two adjacent positional arguments of a call."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find
from forager.tasks.mutate.operators.text import snippet


def _positional(call: cst.Call) -> list[cst.Arg]:
    """The leading plain positional arguments (no keywords, no `*`/`**`)."""
    out = []
    for arg in call.args:
        if arg.keyword is not None or arg.star:
            break
        out.append(arg)
    return out


class CallArgsReorder(Operator):
    name = "call_args_reorder"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        edits = []
        for call in find(target, cst.Call):
            args = _positional(call)
            for i in range(len(args) - 1):
                a, b = args[i], args[i + 1]
                if a.value.deep_equals(b.value):
                    continue
                # Swap only the values, so commas and line breaks stay where they were.
                new_args = list(call.args)
                new_args[i] = a.with_changes(value=b.value)
                new_args[i + 1] = b.with_changes(value=a.value)
                edits.append(
                    Edit(
                        call,
                        call.with_changes(args=new_args),
                        f"swapped arguments `{snippet(target, a.value)}` and `{snippet(target, b.value)}` "
                        f"of the call to `{snippet(target, call.func)}` on line {target.line(a)}",
                    )
                )
        return edits
