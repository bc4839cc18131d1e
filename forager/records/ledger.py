"""The ledger beside a task file: every candidate tried and its outcome, so a rerun resumes."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from forager.jsonio import append_line, read_lines


class Attempt(BaseModel):
    manifest_id: str
    key: str
    operator: str
    outcome: str
    seconds: float
    instance_id: str | None = None
    runner: str = "process"  # how it was judged: "fork", "session" or "process" (mutate_fix.check)


def ledger_path(tasks_file: Path) -> Path:
    return tasks_file.with_name(tasks_file.name + ".ledger")


def load(tasks_file: Path) -> dict[tuple[str, str], Attempt]:
    return {(a.manifest_id, a.key): a for a in read_lines(ledger_path(tasks_file), Attempt)}


def record(tasks_file: Path, attempt: Attempt) -> None:
    append_line(ledger_path(tasks_file), attempt)
