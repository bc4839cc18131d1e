"""Inference over many sources on the work runner: resumable through the report, one failure never
stops the rest."""

from __future__ import annotations

from pathlib import Path

from forager.recipes.infer import InferResult, Repairer, infer_one
from forager.recipes.report import InferRecord, load, record_of, save
from forager.recipes.sources import RepoSource
from forager.work.runner import Item, ItemContext, RunSpec, run_items


def infer_sources(sources: list[RepoSource], recipes_dir: Path, images_dir: Path, jobs: int = 1,
                  repairer: Repairer | None = None) -> list[InferRecord]:
    """Each source once: a rerun skips those the report already holds."""
    recipes_dir.mkdir(parents=True, exist_ok=True)
    records: dict[str, InferRecord] = load(recipes_dir)
    # An "error" is the engine's or Forager's failure, not the repository's: tried again.
    done = {k for k, r in records.items() if r.failure != "error"}

    def work(src: RepoSource, ctx: ItemContext) -> InferResult:
        result = infer_one(src, recipes_dir, images_dir, say=ctx.say, repairer=repairer)
        ctx.say(result.failure or f"{result.best.passed if result.best else 0} passing")
        return result

    def on_result(item: Item, result: InferResult) -> None:
        record = record_of(result)
        save(recipes_dir, record)
        records[item.key] = record

    def on_failure(item: Item, reason: str) -> None:
        record = InferRecord(source=item.key, name=item.value.name, failure="error", detail=reason)
        save(recipes_dir, record)
        records[item.key] = record

    items = [Item(s.text, s, label=s.name) for s in sources]
    run_items(items, RunSpec(title="recipe infer", work=work, on_result=on_result, on_failure=on_failure,
                             is_done=lambda item: item.key in done), jobs=jobs)
    return [records[s.text] for s in sources if s.text in records]
