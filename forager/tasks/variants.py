"""The registry of task variants, by name."""

from __future__ import annotations

from forager.errors import ForagerError
from forager.tasks.issue_fix.variant import IssueFix
from forager.tasks.mutate_fix.variant import MutateFix
from forager.tasks.variant import Variant

VARIANTS: dict[str, Variant] = {v.name: v for v in (MutateFix(), IssueFix())}


def variant_of(name: str) -> Variant:
    try:
        return VARIANTS[name]
    except KeyError:
        raise ForagerError(f"--variant must be one of {', '.join(sorted(VARIANTS))}, not '{name}'") from None
