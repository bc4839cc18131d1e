"""Seed bugs into Python functions: small, syntax-preserving edits made with libcst.

`generate_mutants` runs every operator in `OPERATORS` over the chosen functions of one
module and returns `Mutant`s (whole original and mutated sources plus where and what changed).
"""

from forager.tasks.mutate.generate import OPERATORS, generate_mutants
from forager.tasks.mutate.mutant import Mutant

__all__ = ["Mutant", "OPERATORS", "generate_mutants"]
