"""binop_replace: replace an arithmetic or bitwise operator (also in `x += y`)."""

from __future__ import annotations

import random

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.index import find

# operator class -> (its symbol, replacements); the first replacement is the classic slip.
BINARY: dict[type, tuple[str, tuple[type, ...]]] = {
    cst.Add: ("+", (cst.Subtract, cst.Multiply)),
    cst.Subtract: ("-", (cst.Add,)),
    cst.Multiply: ("*", (cst.Divide, cst.Add)),
    cst.Divide: ("/", (cst.Multiply, cst.FloorDivide)),
    cst.FloorDivide: ("//", (cst.Divide, cst.Modulo)),
    cst.Modulo: ("%", (cst.FloorDivide,)),
    cst.Power: ("**", (cst.Multiply,)),
    cst.LeftShift: ("<<", (cst.RightShift,)),
    cst.RightShift: (">>", (cst.LeftShift,)),
    cst.BitAnd: ("&", (cst.BitOr,)),
    cst.BitOr: ("|", (cst.BitAnd,)),
    cst.BitXor: ("^", (cst.BitOr,)),
    cst.MatrixMultiply: ("@", (cst.Multiply,)),
}
AUGMENTED: dict[type, tuple[str, tuple[type, ...]]] = {
    cst.AddAssign: ("+=", (cst.SubtractAssign,)),
    cst.SubtractAssign: ("-=", (cst.AddAssign,)),
    cst.MultiplyAssign: ("*=", (cst.DivideAssign,)),
    cst.DivideAssign: ("/=", (cst.MultiplyAssign,)),
    cst.FloorDivideAssign: ("//=", (cst.DivideAssign,)),
    cst.ModuloAssign: ("%=", (cst.FloorDivideAssign,)),
    cst.PowerAssign: ("**=", (cst.MultiplyAssign,)),
    cst.LeftShiftAssign: ("<<=", (cst.RightShiftAssign,)),
    cst.RightShiftAssign: (">>=", (cst.LeftShiftAssign,)),
    cst.BitAndAssign: ("&=", (cst.BitOrAssign,)),
    cst.BitOrAssign: ("|=", (cst.BitAndAssign,)),
    cst.BitXorAssign: ("^=", (cst.BitOrAssign,)),
}
SYMBOLS = {cls: symbol for table in (BINARY, AUGMENTED) for cls, (symbol, _) in table.items()}
STRINGS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)


class BinopReplace(Operator):
    name = "binop_replace"

    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        edits = []
        for node in _sites(target):
            op = node.operator
            table = BINARY if isinstance(node, cst.BinaryOperation) else AUGMENTED
            symbol, replacements = table[type(op)]
            if isinstance(op, cst.Modulo) and isinstance(node.left, STRINGS):
                continue  # `"%s" % x` is formatting, not arithmetic
            for new_cls in replacements:
                new_op = new_cls(whitespace_before=op.whitespace_before, whitespace_after=op.whitespace_after)
                edits.append(
                    Edit(
                        node,
                        node.with_changes(operator=new_op),
                        f"replaced `{symbol}` with `{SYMBOLS[new_cls]}` on line {target.line(op)}",
                    )
                )
        return edits


def _sites(target: FunctionInfo) -> list[cst.BinaryOperation | cst.AugAssign]:
    return [n for n in find(target, cst.BinaryOperation, cst.AugAssign) if type(n.operator) in SYMBOLS]
