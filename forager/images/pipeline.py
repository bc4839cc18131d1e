"""`forager build-images`: recipes -> images + manifests, in parallel, one failure never stops the rest."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from docker.errors import DockerException, ImageNotFound
from git import GitCommandError

from forager.engine import client
from forager.errors import ForagerError
from forager.images.build import BuildPlan, build_repo_image, plan_build
from forager.images.validate import validate_image
from forager.progress import console
from forager.records import manifest as mf
from forager.records.recipe import LoadedRecipe, load_recipe
from forager.work.runner import Item, ItemContext, RunSpec, run_items


@dataclass
class BuildOutcome:
    recipe: str
    name: str
    status: str  # built | up-to-date | rejected | failed
    message: str = ""
    manifest: mf.Manifest | None = None
    seconds: float = 0.0


def _up_to_date(plan: BuildPlan, out_dir: Path) -> mf.Manifest | None:
    p = mf.manifest_path(out_dir, plan.loaded.recipe.name)
    if not p.exists():
        return None
    try:
        m = mf.load(p)
        client().images.get(m.image_tag)
    except (ForagerError, ImageNotFound):
        return None
    return m if m.status == "ok" and m.content_hash == plan.content_hash else None


def _manifest(plan: BuildPlan, image_id: str, verdict, build_log: Path, val_log: Path) -> mf.Manifest:
    r = plan.loaded.recipe
    return mf.Manifest(
        id=r.name, status="rejected" if verdict.reject_reason else "ok", reject_reason=verdict.reject_reason,
        recipe=r, recipe_file=str(plan.loaded.file), recipe_hash=r.content_hash(),
        content_hash=plan.content_hash, image_tag=plan.tag, image_id=image_id, base_image=plan.base,
        size_bytes=client().images.get(image_id).attrs["Size"], python_version=verdict.python_version,
        commit=plan.commit, packages=verdict.packages, baseline=verdict.baseline, flaky=verdict.flaky,
        pytest_plugins=verdict.pytest_plugins,
        runs=verdict.runs, suite_duration=round(verdict.suite_duration, 3),
        build_log=str(build_log), validation_log=str(val_log))


def build_one(recipe_path: Path, out_dir: Path, force: bool = False, say=lambda s: None) -> BuildOutcome:
    t0 = time.monotonic()
    try:
        loaded = load_recipe(recipe_path)
    except ForagerError as exc:
        return BuildOutcome(str(recipe_path), recipe_path.stem, "failed", str(exc), seconds=time.monotonic() - t0)
    return build_loaded(loaded, out_dir, force, say)


def build_loaded(loaded: LoadedRecipe, out_dir: Path, force: bool = False, say=lambda s: None) -> BuildOutcome:
    """Build and validate one recipe (up to date by content hash); every failure is an outcome, never raised."""
    t0 = time.monotonic()
    where, name = str(loaded.file), loaded.recipe.name
    try:
        say("resolving")
        plan = plan_build(loaded)
        if not force and (m := _up_to_date(plan, out_dir)):
            return BuildOutcome(where, name, "up-to-date", manifest=m, seconds=time.monotonic() - t0)
        logs = out_dir / "logs"
        build_log, val_log = logs / f"{name}.build.log", logs / f"{name}.validate.log"
        say("building")
        image_id = build_repo_image(plan, build_log)
        say(f"validating ({loaded.recipe.validation.runs} runs)")
        verdict = validate_image(plan.tag, loaded.recipe, val_log)
        m = _manifest(plan, image_id, verdict, build_log, val_log)
        mf.save(m, out_dir)
        if verdict.reject_reason:
            return BuildOutcome(where, name, "rejected", f"{verdict.reject_reason} (log: {val_log})",
                                m, time.monotonic() - t0)
        return BuildOutcome(where, name, "built", manifest=m, seconds=time.monotonic() - t0)
    except ForagerError as exc:
        return BuildOutcome(where, name, "failed", str(exc), seconds=time.monotonic() - t0)
    except (GitCommandError, DockerException, OSError) as exc:
        # Not a user mistake but still one repository's failure: record it, keep going.
        detail = str(exc).strip().splitlines()[-1][:300] if str(exc).strip() else ""
        return BuildOutcome(where, name, "failed", f"{type(exc).__name__}: {detail}", seconds=time.monotonic() - t0)


def build_images(recipes: list[Path], out_dir: Path, jobs: int = 1, force: bool = False) -> list[BuildOutcome]:
    out_dir.mkdir(parents=True, exist_ok=True)
    outcomes: dict[str, BuildOutcome] = {}
    items = [Item(str(i), path, label=path.stem) for i, path in enumerate(recipes)]

    def work(path: Path, ctx: ItemContext) -> BuildOutcome:
        outcome = build_one(path, out_dir, force, say=ctx.say)
        ctx.say(outcome.status)
        return outcome

    def on_failure(item: Item, reason: str) -> None:
        outcomes[item.key] = BuildOutcome(str(item.value), item.value.stem, "failed", reason)

    run_items(items, RunSpec(title="build-images", work=work, on_failure=on_failure,
                             on_result=lambda item, o: outcomes.__setitem__(item.key, o)), jobs=jobs)
    ordered = [outcomes[i.key] for i in items if i.key in outcomes]
    for o in ordered:
        if o.status in ("failed", "rejected"):
            console.print(f"[red]{o.name}: {o.status}[/red]: {o.message}")
    return ordered
