"""One candidate recipe built and validated, and how it came out (the validator is the only judge)."""

from __future__ import annotations

from pydantic import BaseModel

# How far an attempt got, in order: the report's funnel.
STAGES = ("parsed", "installed", "collected", "baseline passed", "validated")


class Attempt(BaseModel):
    label: str
    recipe_hash: str
    status: str  # built | up-to-date | rejected | failed (the build outcome)
    stage: str  # the last stage of STAGES reached
    passed: int = 0
    total: int = 0  # stable tests that are not skipped
    reason: str = ""
    seconds: float = 0.0
    build_log: str = ""
    validation_log: str = ""
    log_tail: str = ""  # the end of the build log (a failed build) or of the validation log

    @property
    def ratio(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def meets(self, min_passed: int, min_ratio: float) -> bool:
        return self.status in ("built", "up-to-date") and self.passed >= min_passed and self.ratio >= min_ratio
