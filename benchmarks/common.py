"""Small helpers shared by the benchmark scripts (plain-text tables, the machine's load)."""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path


def table(title: str, header: list[str], rows: list[tuple]) -> None:
    cells = [list(map(str, header))] + [list(map(str, r)) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    print(f"\n{title}  (load average {os.getloadavg()[0]:.2f}, {os.cpu_count()} cpus)")
    print(line(cells[0]))
    print("  ".join("-" * w for w in widths))
    for r in cells[1:]:
        print(line(r))


@contextmanager
def stopwatch(out: dict, key: str):
    """Adds the seconds spent in the block to out[key]."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        out[key] = out.get(key, 0.0) + time.perf_counter() - t0


def current_manifest(name: str):
    """The manifest of images/<name>.json if it matches the current code and base image; else
    the image is built (or found up to date) with build_one into Forager's cache, not images/."""
    from forager import paths
    from forager.errors import ForagerError
    from forager.images.build import plan_build
    from forager.images.pipeline import build_one
    from forager.records import manifest as mf
    from forager.records.recipe import load_recipe

    path = paths.PROJECT_DIR / "images" / f"{name}.json"
    m = mf.load(path) if path.exists() else None
    recipe = m.recipe_file if m else paths.PROJECT_DIR / "recipes" / f"{name}.toml"
    if name == "minilib" and m is None:
        recipe = paths.PROJECT_DIR / "recipes" / "example.toml"
    if m and m.status == "ok" and plan_build(load_recipe(recipe)).content_hash == m.content_hash:
        return m
    out = paths.cache("benchmarks") / "images"
    print(f"{path.relative_to(paths.PROJECT_DIR)} is missing or stale for the current code and base image: "
          f"building {recipe} into {out} (a no-op when up to date)")
    outcome = build_one(Path(recipe), out)
    if outcome.status not in ("built", "up-to-date"):
        raise ForagerError(f"{name}: {outcome.status}: {outcome.message}")
    return outcome.manifest


def run_in_tmp(bench, a, prefix: str) -> None:
    """bench(a, tmp) in a new temporary folder, removed afterwards unless `a.keep`."""
    import shutil
    import tempfile
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        bench(a, tmp)
    finally:
        if a.keep:
            print(f"files kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
