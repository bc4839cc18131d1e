"""What every task variant's generation shares: one work item per image, the summary's failure
list, and the "already done" set read from the ledger and the task file."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from forager.errors import ForagerError
from forager.jsonio import read_lines
from forager.records import ledger
from forager.records.manifest import Manifest
from forager.records.task import Task
from forager.work.runner import Item, ItemContext, RunReport, RunSpec, run_items

DoneSet = dict[tuple[str, str], ledger.Attempt]


@dataclass
class StageSummary:
    """Counters that per-image workers update (under `lock`) and the images that failed."""

    failed_images: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def require_ok(m: Manifest) -> None:
    if m.status != "ok":
        raise ForagerError(f"image {m.id} was rejected at validation: {m.reject_reason}")


def run_images(manifests: list[Manifest], title: str, summary: StageSummary,
               work: Callable[[Manifest, ItemContext], None], jobs: int = 1) -> RunReport:
    """`work` once per image on the work runner; a failing image is recorded and the others go on."""

    def one(m: Manifest, ctx: ItemContext) -> None:
        require_ok(m)
        work(m, ctx)
        ctx.say("done")

    def failed(item: Item, reason: str) -> None:
        summary.failed_images[item.key] = reason

    return run_items([Item(m.id, m) for m in manifests], RunSpec(title=title, work=one, on_failure=failed), jobs=jobs)


def already_done(out: Path, variant: str, key_of: Callable[[Task], str | None],
                 keep: Callable[[ledger.Attempt], bool] = lambda a: True) -> DoneSet:
    """Ledger entries `keep` accepts, plus tasks written just before a crash that missed their ledger line."""
    done = {k: a for k, a in ledger.load(out).items() if keep(a)}
    for t in read_lines(out, Task):
        key = key_of(t) if t.variant == variant else None  # one file may hold several variants
        if key:
            done.setdefault((t.manifest_id, key), ledger.Attempt(
                manifest_id=t.manifest_id, key=key, operator=t.meta.operator or variant, outcome="kept", seconds=0,
                instance_id=t.instance_id))
    return done
