"""Mutation operators, one module each; `ALL` lists one instance of every operator."""

from forager.tasks.mutate.operators.assignment_remove import AssignmentRemove
from forager.tasks.mutate.operators.base import Edit, Operator
from forager.tasks.mutate.operators.binop_replace import BinopReplace
from forager.tasks.mutate.operators.body_partial_remove import BodyPartialRemove
from forager.tasks.mutate.operators.body_remove import BodyRemove
from forager.tasks.mutate.operators.boolop_replace import BoolopReplace
from forager.tasks.mutate.operators.call_args_reorder import CallArgsReorder
from forager.tasks.mutate.operators.compare_replace import CompareReplace
from forager.tasks.mutate.operators.condition_remove import ConditionRemove
from forager.tasks.mutate.operators.constant_change import ConstantChange
from forager.tasks.mutate.operators.if_invert import IfInvert
from forager.tasks.mutate.operators.import_remove import ImportRemove
from forager.tasks.mutate.operators.loop_remove import LoopRemove
from forager.tasks.mutate.operators.param_remove import ParamRemove
from forager.tasks.mutate.operators.return_remove import ReturnRemove
from forager.tasks.mutate.operators.statement_shuffle import StatementShuffle
from forager.tasks.mutate.operators.unaryop_replace import UnaryopReplace
from forager.tasks.mutate.operators.variable_swap import VariableSwap
from forager.tasks.mutate.operators.wrapper_remove import WrapperRemove

ALL: tuple[Operator, ...] = (
    BodyRemove(),
    BodyPartialRemove(),
    ParamRemove(),
    CallArgsReorder(),
    VariableSwap(),
    ImportRemove(),
    ReturnRemove(),
    BinopReplace(),
    CompareReplace(),
    UnaryopReplace(),
    BoolopReplace(),
    IfInvert(),
    LoopRemove(),
    ConditionRemove(),
    AssignmentRemove(),
    WrapperRemove(),
    ConstantChange(),
    StatementShuffle(),
)

__all__ = ["ALL", "Edit", "Operator"]
