"""compare_replace: replace a comparison operator (`<` by `<=`, `in` by `not in`, ...)."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find

# operator class -> (its symbol, replacements): off-by-one boundaries first, then negations.
COMPARISONS: dict[type, tuple[str, tuple[type, ...]]] = {
    cst.Equal: ("==", (cst.NotEqual,)),
    cst.NotEqual: ("!=", (cst.Equal,)),
    cst.LessThan: ("<", (cst.LessThanEqual, cst.GreaterThanEqual)),
    cst.LessThanEqual: ("<=", (cst.LessThan, cst.GreaterThan)),
    cst.GreaterThan: (">", (cst.GreaterThanEqual, cst.LessThanEqual)),
    cst.GreaterThanEqual: (">=", (cst.GreaterThan, cst.LessThan)),
    cst.In: ("in", (cst.NotIn,)),
    cst.NotIn: ("not in", (cst.In,)),
    cst.Is: ("is", (cst.IsNot,)),
    cst.IsNot: ("is not", (cst.Is,)),
}
TWO_WORDS = (cst.NotIn, cst.IsNot)


def _make(cls: type, old: cst.BaseCompOp) -> cst.BaseCompOp:
    """A new operator that keeps the old one's surrounding whitespace."""
    kwargs = {"whitespace_before": old.whitespace_before, "whitespace_after": old.whitespace_after}
    if cls in TWO_WORDS:
        kwargs["whitespace_between"] = cst.SimpleWhitespace(" ")
    return cls(**kwargs)


class CompareReplace(Operator):
    name = "compare_replace"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        edits = []
        for comparison in find(target, cst.Comparison):
            for index, item in enumerate(comparison.comparisons):
                symbol, replacements = COMPARISONS[type(item.operator)]
                for cls in replacements:
                    items = list(comparison.comparisons)
                    items[index] = item.with_changes(operator=_make(cls, item.operator))
                    edits.append(
                        Edit(
                            comparison,
                            comparison.with_changes(comparisons=items),
                            f"replaced `{symbol}` with `{COMPARISONS[cls][0]}` on line {target.line(item.operator)}",
                        )
                    )
        return edits
