"""Manifest `images/<id>.json`: what was built, from what, and how its tests behave."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from forager import __version__
from forager.errors import ForagerError
from forager.jsonio import read_model, write_atomic
from forager.records.recipe import Recipe
from forager.records.status import Status


class RunSummary(BaseModel):
    passed: int
    failed: int
    error: int
    skipped: int
    duration: float
    exit_code: int
    timed_out: bool


class Manifest(BaseModel):
    id: str
    status: Literal["ok", "rejected"]
    reject_reason: str | None = None
    recipe: Recipe
    recipe_file: str
    recipe_hash: str
    content_hash: str
    image_tag: str
    image_id: str
    base_image: str
    size_bytes: int
    python_version: str
    commit: str | None
    packages: dict[str, str]
    baseline: dict[str, Status] = Field(description="tests whose status was the same in every run")
    flaky: list[str]
    # None in manifests written before plugins were recorded: runs then list them from the
    # unchanged tree of their own container (the same answer for an unchanged image).
    pytest_plugins: list[str] | None = Field(
        None, description="pytest11 entry points autoload would load, recorded from the unchanged tree; "
                          "test runs turn autoload off and name these")
    runs: list[RunSummary]
    suite_duration: float
    build_log: str
    validation_log: str
    created_at: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat())
    forager_version: str = __version__

    def passing(self) -> list[str]:
        return sorted(t for t, s in self.baseline.items() if s == Status.passed)

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for s in self.baseline.values():
            out[s.value] += 1
        return out


def manifest_path(out_dir: Path, image_id: str) -> Path:
    return out_dir / f"{image_id}.json"


def save(m: Manifest, out_dir: Path) -> Path:
    p = manifest_path(out_dir, m.id)
    write_atomic(p, m.model_dump_json(indent=2) + "\n")
    return p


def load(path: Path) -> Manifest:
    return read_model(path, Manifest)


def load_all(out_dir: Path) -> list[Manifest]:
    return [load(p) for p in sorted(out_dir.glob("*.json"))]


def resolve(ref: str, out_dir: Path = Path("images")) -> Manifest:
    """A manifest from a path or an image id in out_dir."""
    p = Path(ref)
    if p.suffix == ".json" or p.exists():
        return load(p)
    candidate = manifest_path(out_dir, ref)
    if candidate.exists():
        return load(candidate)
    raise ForagerError(f"no image manifest '{ref}' (looked for {candidate}); run 'forager images' to list them")
