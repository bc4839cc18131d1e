"""The `forager` command line. Each command hands off to the module of its stage."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from forager.errors import ForagerError
from forager.progress import console

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Harvest agentic SWE trajectories from real Python repositories.")
base_app = typer.Typer(no_args_is_help=True, help="The shared base image.")
app.add_typer(base_app, name="base")

IMAGES_DIR = Path("images")


@base_app.command("bootstrap")
def base_bootstrap(force: bool = typer.Option(False, help="rebuild even if present")) -> None:
    """Build the base image offline from Debian packages (debootstrap + docker import)."""
    from forager.images.base import BOOKWORM_PYTHON, build_base
    console.print(f"bootstrapping the base (Debian bookworm, Python {BOOKWORM_PYTHON}); this takes a few minutes")
    tag = build_base(BOOKWORM_PYTHON, origin="bootstrap", force=force)
    console.print(f"base image: {tag}")


@base_app.command("build")
def base_build(python: str = typer.Option("3.11", help="Python minor version"),
               force: bool = typer.Option(False, help="rebuild even if present")) -> None:
    """Build the base image from python:<ver>-slim (falls back to the bootstrapped one offline)."""
    from forager.images.base import build_base
    console.print(f"base image: {build_base(python, origin='auto', force=force)}")


@app.command("build-images")
def build_images(recipes: List[Path] = typer.Argument(..., help="recipe TOML files"),
                 jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="images built at once"),
                 out: Path = typer.Option(IMAGES_DIR, "--out", "-o", help="manifest folder"),
                 force: bool = typer.Option(False, help="rebuild and revalidate even when up to date")) -> None:
    """Build and validate one repository image per recipe."""
    from forager.engine import client
    from forager.images.pipeline import build_images as run
    client()  # one clear line when no engine answers, before any progress bar
    outcomes = run(recipes, out, jobs=jobs, force=force)
    table = Table(title="build-images")
    for col in ("recipe", "status", "passed", "failed", "flaky", "suite s", "took s"):
        table.add_column(col)
    for o in outcomes:
        m = o.manifest
        c = m.counts() if m else {}
        table.add_row(o.name, o.status, str(c.get("passed", "")), str(c.get("failed", "")),
                      str(len(m.flaky)) if m else "", f"{m.suite_duration:.1f}" if m else "", f"{o.seconds:.1f}")
    console.print(table)
    if any(o.status in ("failed", "rejected") for o in outcomes):
        raise typer.Exit(1)


@app.command("images")
def images(out: Path = typer.Option(IMAGES_DIR, "--dir", help="manifest folder")) -> None:
    """List built images with their test counts."""
    from forager.images.manifest import load_all
    table = Table(title=f"images in {out}")
    for col in ("id", "status", "tag", "size MB", "passed", "failed", "skipped", "flaky", "suite s"):
        table.add_column(col)
    for m in load_all(out) if out.is_dir() else []:
        c = m.counts()
        table.add_row(m.id, m.status, m.image_tag, f"{m.size_bytes / 1e6:.0f}", str(c["passed"]),
                      str(c["failed"] + c["error"]), str(c["skipped"]), str(len(m.flaky)), f"{m.suite_duration:.1f}")
    console.print(table)


@app.command("tasks")
def tasks(variant: str = typer.Option(..., help="mutate-fix or issue-fix"),
          images_: List[str] = typer.Option(..., "--images", help="image ids or manifest paths"),
          output: Path = typer.Option(Path("tasks.jsonl"), "--output", "-o"),
          per_image: int = typer.Option(10, min=1, help="tasks kept per image at most"),
          per_operator: Optional[int] = typer.Option(None, min=1, help="tasks kept per operator per image at most"),
          operators: Optional[str] = typer.Option(None, help="comma-separated operator names (default all)"),
          max_checks: Optional[int] = typer.Option(None, min=1, help="mutants checked per image at most"),
          max_candidates: int = typer.Option(50, "--max-candidates", min=1,
                                             help="issue-fix: candidate fixes looked at per image at most"),
          seed: int = typer.Option(0), jobs: int = typer.Option(1, "--jobs", "-j", min=1),
          images_dir: Path = typer.Option(IMAGES_DIR, "--images-dir")) -> None:
    """Generate validated tasks from built images (resumable: a rerun skips what is done)."""
    from forager.engine import client
    from forager.images.manifest import resolve
    manifests = [resolve(ref, images_dir) for ref in _split(images_)]
    client()
    if variant == "mutate-fix":
        from forager.tasks.mutate_fix.pipeline import Settings, generate
        from forager.tasks.mutate_fix.report import print_summary
        ops = [o.strip() for o in operators.split(",")] if operators else None
        _check_operators(ops)
        summary = generate(manifests, output, Settings(per_image, per_operator, seed, ops, max_checks), jobs)
        print_summary(summary, output)
        if summary.failed_images:
            raise typer.Exit(1)
    elif variant == "issue-fix":
        from forager.tasks.issue_fix.pipeline import run_issue_fix
        summary = run_issue_fix(manifests, output, seed=seed, max_candidates=max_candidates,
                                per_image=per_image, jobs=jobs)
        if summary.failed_images:
            raise typer.Exit(1)
    else:
        raise ForagerError(f"--variant must be mutate-fix or issue-fix, not '{variant}'")


def _split(values: List[str]) -> List[str]:
    return [v for item in values for v in item.split(",") if v]


def _check_operators(ops: Optional[List[str]]) -> None:
    from forager.tasks.mutate import OPERATORS
    unknown = [o for o in ops or [] if o not in OPERATORS]
    if unknown:
        raise ForagerError(f"--operators: unknown {', '.join(unknown)} (known: {', '.join(sorted(OPERATORS))})")


@app.command("gc")
def gc() -> None:
    """Remove every container and temporary image Forager left behind."""
    from forager.gc import collect
    containers, imgs = collect()
    console.print(f"removed {containers} containers and {imgs} temporary images")


def main() -> None:
    try:
        app()
    except ForagerError as exc:
        console.print(f"forager: error: {exc}", markup=False, highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        console.print("forager: interrupted", markup=False)
        sys.exit(130)
