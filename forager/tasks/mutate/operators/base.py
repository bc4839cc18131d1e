"""The operator interface: plan edits inside one function, then build candidate modules."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TypeVar

import libcst as cst

from forager.tasks.mutate.functions import FunctionInfo
from forager.tasks.mutate.operators.index import Replacement, replace

T = TypeVar("T")


@dataclass(frozen=True)
class Edit:
    """Replace `old` (a node inside the target function) with `new`: another node, a removal,
    several statements, or a function making one of those (for edits costly to build, so
    that only sampled ones are built)."""

    old: cst.CSTNode
    new: Replacement | Callable[[], Replacement]
    description: str


class Operator(ABC):
    """A family of bugs. Subclasses list their edits; `mutate` samples and applies them."""

    name: ClassVar[str]
    # Bounds the work per function and operator; which edits survive is up to the rng.
    max_candidates: ClassVar[int] = 12

    def mutate(
        self, module: cst.Module, target: FunctionInfo, rng: random.Random
    ) -> list[tuple[cst.Module, str]]:
        """Candidate mutated modules with a one-line description each. `target` must have
        been found in `module` (see `find_functions`)."""
        out = []
        for edit in self.sample(self.edits(target, rng), rng):
            try:
                out.append((self.apply(module, target, edit), edit.description))
            except cst.CSTValidationError:
                continue  # libcst refuses to build it: not a mutant we can print
        return out

    @abstractmethod
    def edits(self, target: FunctionInfo, rng: random.Random) -> list[Edit]:
        """Every edit this operator could make inside the target, in source order."""

    def sample(self, items: list[T], rng: random.Random) -> list[T]:
        """At most `max_candidates` items, keeping their order."""
        if len(items) <= self.max_candidates:
            return items
        keep = sorted(rng.sample(range(len(items)), self.max_candidates))
        return [items[i] for i in keep]

    @staticmethod
    def apply(module: cst.Module, target: FunctionInfo, edit: Edit) -> cst.Module:
        new = edit.new() if callable(edit.new) else edit.new
        return target.splice(module, replace(target, edit.old, new))
