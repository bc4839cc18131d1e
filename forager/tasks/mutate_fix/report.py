"""The summary table printed at the end of a mutate-fix run."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from forager.progress import console
from forager.tasks.mutate_fix.pipeline import Summary

RUNNERS = {"fork": "in forks of the collected suite",
           "session": "in fresh pytest sessions forked in the server",
           "process": "in new test processes"}


def print_summary(s: Summary, out: Path) -> None:
    table = Table(title="mutate-fix")
    for col in ("operator", "generated", "validated", "kept"):
        table.add_column(col)
    ops = sorted(set(s.generated) | set(s.validated))
    for op in ops:
        table.add_row(op, str(s.generated[op]), str(s.validated[op]), str(s.kept[op]))
    table.add_row("[bold]total", str(sum(s.generated.values())), str(sum(s.validated.values())),
                  str(sum(s.kept.values())))
    console.print(table)
    outcomes = ", ".join(f"{k}: {v}" for k, v in sorted(s.outcomes.items())) or "nothing checked"
    console.print(f"outcomes: {outcomes}")
    if s.runners:
        console.print("checks: " + ", ".join(f"{v} {RUNNERS[k]}" for k, v in sorted(s.runners.items())))
    if s.covering_only:
        console.print(f"of the forks, {s.covering_only} ran only the tests that can change (the rest kept the baseline)")
    if s.verified:
        console.print(f"--verify-sample: {s.verified} kept mutant(s) judged again by the whole suite, "
                      f"{s.mismatches} difference(s)")
    for image, why in s.fresh_only.items():
        console.print(f"{image}: new test processes only: {why}", markup=False)
    for image, why in s.failed_images.items():
        console.print(f"[red]{image}: failed[/red]: {why}", markup=True)
    console.print(f"tasks: {out}")
