"""`forager tasks` on a cluster: one image's generation runs on a node agent, the driver writes.

The node runs the variant's own `generate` for one image into a scratch file seeded with what
the driver already holds for that image (so it resumes the same way), and returns only the new
task and ledger lines; the driver appends them, dropping any it already has (a rerun of a lost
node's image), so the task file and its ledger hold each task and each candidate once.
"""

from __future__ import annotations

import dataclasses
import functools
import tempfile
from collections import Counter
from pathlib import Path

from pydantic import BaseModel

from forager.jsonio import append_line, read_lines
from forager.records import ledger
from forager.records.manifest import Manifest
from forager.records.task import Task
from forager.tasks.image_stage import require_ok
from forager.tasks.variants import variant_of
from forager.work.runner import Item, ItemContext, RunSpec, run_items


class ImageTasks(BaseModel):
    """What a node sends back for one image."""

    tasks: list[Task]
    attempts: list[ledger.Attempt]
    counts: dict[str, int] = {}  # the variant summary's counters, for the driver's table
    failed: str = ""


def _lines_for(path: Path, model, manifest_id: str) -> list:
    return [r for r in read_lines(path, model) if r.manifest_id == manifest_id]


def _counts(summary) -> dict[str, int]:
    out: dict[str, int] = {}
    for f in dataclasses.fields(summary):
        v = getattr(summary, f.name)
        if isinstance(v, Counter):
            out[f.name] = sum(v.values())
        elif isinstance(v, int) and not isinstance(v, bool):
            out[f.name] = v
    return out


def tasks_for_image(variant: str, options: dict, payload: tuple[Manifest, list[Task], list[ledger.Attempt]],
                    ctx: ItemContext) -> ImageTasks:
    """On the node: the variant's generation for one image, in scratch files, new lines returned."""
    m, prior_tasks, prior_attempts = payload
    require_ok(m)
    with tempfile.TemporaryDirectory(prefix="forager-tasks-") as tmp:
        out = Path(tmp) / "tasks.jsonl"
        for t in prior_tasks:
            append_line(out, t)
        for a in prior_attempts:
            ledger.record(out, a)
        summary = variant_of(variant).generate([m], out, options, 1)
        known = {t.instance_id for t in prior_tasks}
        seen = {(a.manifest_id, a.key) for a in prior_attempts}
        return ImageTasks(tasks=[t for t in read_lines(out, Task) if t.instance_id not in known],
                          attempts=[a for a in read_lines(ledger.ledger_path(out), ledger.Attempt)
                                    if (a.manifest_id, a.key) not in seen],
                          counts=_counts(summary), failed=summary.failed_images.get(m.id, ""))


def run_tasks(executor, variant: str, manifests: list[Manifest], out: Path, options: dict) -> dict[str, str]:
    """Every image's generation on the cluster; returns the images that failed, with why."""
    failed: dict[str, str] = {}
    have = {t.instance_id for t in read_lines(out, Task)}
    tried = set(ledger.load(out))
    items = [Item(m.id, (m, _lines_for(out, Task, m.id), [a for a in ledger.load(out).values() if a.manifest_id == m.id]),
                  place=m.image_tag, image_id=m.image_id) for m in manifests]

    def on_result(item: Item, got: ImageTasks) -> None:
        for t in got.tasks:
            if t.instance_id not in have:  # a late duplicate of a rerun image is dropped
                append_line(out, t)
                have.add(t.instance_id)
        for a in got.attempts:
            if (a.manifest_id, a.key) not in tried:
                ledger.record(out, a)
                tried.add((a.manifest_id, a.key))
        if got.failed:
            failed[item.key] = got.failed

    run_items(items, RunSpec(title=f"{variant} on the cluster", work=functools.partial(tasks_for_image, variant, options),
                             on_result=on_result, on_failure=lambda item, why: failed.__setitem__(item.key, why)),
              executor=executor)
    return failed


class BuiltImage(BaseModel):
    """What a node sends back for one recipe: the outcome and its logs' text."""

    status: str
    name: str
    message: str = ""
    manifest: Manifest | None = None
    seconds: float = 0.0
    logs: dict[str, str] = {}  # file name under logs/ -> text


def build_on_node(force: bool, job: tuple[Path, str, str], ctx: ItemContext) -> BuiltImage:
    """On the node: build and validate into scratch files on the driver's base (pulled already),
    push the image to the registry."""
    from forager.cluster.node_agent import current
    from forager.images.base import pin_base
    from forager.images.pipeline import build_one
    path, python, base = job
    pin_base(python, base)
    with tempfile.TemporaryDirectory(prefix="forager-build-") as tmp:
        o = build_one(path, Path(tmp), force, say=ctx.say)
        if o.manifest is not None and o.status == "built":
            ctx.say("pushing")
            current().publish(o.manifest.image_tag)
        logs = {p.name: p.read_text(errors="replace") for p in (Path(tmp) / "logs").glob("*.log")}
    return BuiltImage(status=o.status, name=o.name, message=o.message, manifest=o.manifest, seconds=o.seconds, logs=logs)


def _already_built(path: Path, out_dir: Path, registry_address: str | None) -> Manifest | None:
    """A manifest of this very recipe whose image the registry holds: nothing to build."""
    from forager.cluster import registry
    from forager.records import manifest as mf
    from forager.records.recipe import load_recipe
    loaded = load_recipe(path)
    p = mf.manifest_path(out_dir, loaded.recipe.name)
    if not p.exists() or not registry_address:
        return None
    m = mf.load(p)
    ok = m.status == "ok" and m.recipe_hash == loaded.recipe.content_hash()
    return m if ok and registry.has(registry_address, m.image_tag, m.image_id) else None


def run_builds(executor, recipes: list[Path], out_dir: Path, force: bool, registry_address: str | None) -> list:
    """build-images on the cluster: each recipe on a node (placed by its name), the base pulled
    there from the registry, the image pushed back; manifests and logs written here."""
    from forager.images.base import ensure_base
    from forager.images.pipeline import BuildOutcome
    from forager.records import manifest as mf
    from forager.records.recipe import load_recipe
    out_dir.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, BuildOutcome] = {}
    items = []
    for i, path in enumerate(recipes):
        if not force and (m := _already_built(path, out_dir, registry_address)):
            outcomes[str(i)] = BuildOutcome(str(path), m.id, "up-to-date", manifest=m)
            continue
        python = load_recipe(path).recipe.python
        base = ensure_base(python)  # here, once: a node never builds a base
        items.append(Item(str(i), (path, python, base), label=path.stem, place=path.stem, image=base))

    def on_result(item: Item, got: BuiltImage) -> None:
        logs = out_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for name, text in got.logs.items():
            (logs / name).write_text(text)
        m = got.manifest
        if m is not None:
            m.build_log, m.validation_log = str(logs / f"{m.id}.build.log"), str(logs / f"{m.id}.validate.log")
            mf.save(m, out_dir)
        outcomes[item.key] = BuildOutcome(str(item.value[0]), got.name, got.status, got.message, m, got.seconds)

    def on_failure(item: Item, reason: str) -> None:
        outcomes[item.key] = BuildOutcome(str(item.value[0]), item.value[0].stem, "failed", reason)

    run_items(items, RunSpec(title="build-images on the cluster", work=functools.partial(build_on_node, force),
                             on_result=on_result, on_failure=on_failure), executor=executor)
    return [outcomes[str(i)] for i in range(len(recipes)) if str(i) in outcomes]
