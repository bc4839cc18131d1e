"""The issue-fix stage's summary: per-image counts, outcomes, rejections and notes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from forager.tasks.image_stage import StageSummary


@dataclass
class ImageStats:
    candidates: int = 0
    validated: int = 0
    kept: int = 0
    reused: int = 0
    reinstalled: int = 0


@dataclass
class Summary(StageSummary):
    images: dict[str, ImageStats] = field(default_factory=dict)
    outcomes: Counter = field(default_factory=Counter)
    rejected: list[tuple[str, str, str, str]] = field(default_factory=list)  # image, commit, outcome, reason
    notes: list[str] = field(default_factory=list)
