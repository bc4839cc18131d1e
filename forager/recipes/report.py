"""The per-repository report of an inference run: a line each (JSONL, resumable) and the summary:
funnel, failure taxonomy, time and attempts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from statistics import median

from pydantic import BaseModel

from forager.jsonio import append_line, read_lines
from forager.progress import console
from forager.recipes.attempt import STAGES, Attempt
from forager.recipes.infer import TARGET_PASSED, TARGET_RATIO, InferResult
from forager.tables import Col, fitted

FUNNEL = ("cloned", *STAGES)


class InferRecord(BaseModel):
    source: str
    name: str
    commit: str = ""
    stage: str = ""
    passed: int = 0
    total: int = 0
    meets_target: bool = False
    recipe_file: str = ""
    failure: str = ""
    detail: str = ""
    seconds: float = 0.0
    attempts: list[Attempt] = []


def record_of(r: InferResult) -> InferRecord:
    best = r.best
    return InferRecord(source=r.source, name=r.name, commit=r.commit, stage=r.stage, passed=best.passed if best else 0,
                       total=best.total if best else 0,
                       meets_target=bool(best and best.meets(TARGET_PASSED, TARGET_RATIO)),
                       recipe_file=str(r.recipe_file or ""), failure=r.failure, detail=r.detail[:400], seconds=r.seconds,
                       attempts=r.attempts)


def report_path(recipes_dir: Path) -> Path:
    return recipes_dir / "infer-report.jsonl"


def save(recipes_dir: Path, record: InferRecord) -> None:
    append_line(report_path(recipes_dir), record)


def load(recipes_dir: Path) -> dict[str, InferRecord]:
    return {r.source: r for r in read_lines(report_path(recipes_dir), InferRecord)}


def funnel(records: list[InferRecord]) -> dict[str, int]:
    reached = Counter()
    for r in records:
        if r.stage in FUNNEL:
            for s in FUNNEL[: FUNNEL.index(r.stage) + 1]:
                reached[s] += 1
    return {s: reached[s] for s in FUNNEL}


def print_report(records: list[InferRecord]) -> None:
    rows = [[r.name, r.stage or "-", str(r.passed), f"{r.passed / r.total:.2f}" if r.total else "-",
             "yes" if r.meets_target else "no", str(len(r.attempts)), f"{r.seconds:.0f}", r.failure or "-"] for r in records]
    cols = [Col("repository", is_id=True), Col("stage", keep=9), Col("passed", keep=8), Col("ratio", keep=7),
            Col(f">={TARGET_PASSED} & >={TARGET_RATIO}", keep=6), Col("attempts", keep=3), Col("s", keep=2),
            Col("failure", keep=5)]
    console.print(fitted(console, "recipe infer", cols, rows))
    n = len(records)
    if not n:
        return
    ok = sum(r.meets_target for r in records)
    console.print(f"target met: {ok}/{n} ({ok / n:.0%}); funnel: " +
                  ", ".join(f"{k} {v}" for k, v in funnel(records).items()))
    taxonomy = Counter(r.failure for r in records if r.failure)
    if taxonomy:
        console.print("failures: " + ", ".join(f"{k} {v}" for k, v in taxonomy.most_common()))
    console.print(f"median time per repository: {median(r.seconds for r in records):.0f} s; "
                  f"attempts: {sum(len(r.attempts) for r in records)}")
    for r in records:
        if r.failure:
            console.print(f"  {r.name}: {r.failure}: {r.detail[:200]}", markup=False, highlight=False)
