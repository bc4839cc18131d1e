"""The summary printed at the end of a harvest."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from forager.harvest.runner import HarvestSummary
from forager.progress import console


def print_summary(s: HarvestSummary, out: Path) -> None:
    table = Table(title="harvest")
    table.add_column("exit status")
    table.add_column("episodes")
    for status, n in sorted(s.statuses.items()):
        table.add_row(status, str(n))
    table.add_row("[bold]written", str(s.written))
    table.add_row("resolved", str(s.resolved))
    table.add_row("already done", str(s.skipped))
    if s.duplicates:
        table.add_row("late duplicates dropped", str(s.duplicates))
    console.print(table)
    for err in s.errors:
        console.print(f"[red]episode failed[/red]: {err}", markup=True)
    if s.interrupted:
        console.print("interrupted: rerun the same command to continue where this stopped")
    console.print(f"trajectories: {out}")
