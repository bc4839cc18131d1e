"""Repository image: cold build (build + validation) vs the no-op rebuild of an unchanged recipe.

    python benchmarks/bench_images.py [--keep]

A temporary copy of examples/minilib gets a file with a random nonce, so its content hash (and
the image tag) is new and nothing above the base image comes from Docker's layer cache. The
recipe is recipes/example.toml with a unique name and that copy as its source. The temporary
image, manifest and copy are removed at the end (unless --keep).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from common import stopwatch, table

from forager import paths
from forager.engine import client
from forager.images import pipeline

EXAMPLE = paths.PROJECT_DIR / "recipes" / "example.toml"
MINILIB = paths.PROJECT_DIR / "examples" / "minilib"


def temp_recipe(tmp: Path) -> Path:
    src = tmp / "minilib"
    shutil.copytree(MINILIB, src)
    nonce = uuid.uuid4().hex
    (src / "BENCH_NONCE.txt").write_text(f"benchmark nonce {nonce}\n")
    text = EXAMPLE.read_text()
    assert 'name = "minilib"' in text and 'path = "../examples/minilib"' in text, "example recipe changed"
    text = text.replace('name = "minilib"', f'name = "bench-minilib-{nonce[:8]}"')
    text = text.replace('path = "../examples/minilib"', f'path = "{src}"')
    recipe = tmp / "bench-minilib.toml"
    recipe.write_text(text)
    return recipe


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", action="store_true", help="keep the temporary image and files")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="forager-bench-images-"))
    phases: dict[str, float] = {}
    # Time the two phases of a cold build_one by wrapping the functions it calls.
    real_build, real_validate = pipeline.build_repo_image, pipeline.validate_image

    def build(*args, **kw):
        with stopwatch(phases, "build"):
            return real_build(*args, **kw)

    def validate(*args, **kw):
        with stopwatch(phases, "validate"):
            return real_validate(*args, **kw)

    pipeline.build_repo_image, pipeline.validate_image = build, validate
    cold = None
    try:
        recipe, out = temp_recipe(tmp), tmp / "images"
        t0 = time.perf_counter()
        cold = pipeline.build_one(recipe, out)
        cold_s = time.perf_counter() - t0
        assert cold.status == "built", f"cold build: {cold.status} {cold.message}"
        t0 = time.perf_counter()
        noop = pipeline.build_one(recipe, out)
        noop_s = time.perf_counter() - t0
        assert noop.status == "up-to-date", f"rebuild: {noop.status} {noop.message}"
        m = cold.manifest
        base_size = client().images.get(m.base_image).attrs["Size"]
        runs = m.recipe.validation.runs
    finally:
        pipeline.build_repo_image, pipeline.validate_image = real_build, real_validate
        if cold and cold.manifest and not a.keep:
            client().images.remove(cold.manifest.image_tag, force=True)
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    mb = lambda b: f"{b / 1e6:.1f}"
    table(f"image {m.image_tag}", ["figure", "value"], [
        ("cold build_one, s", f"{cold_s:.2f}"),
        ("  of which docker build, s", f"{phases.get('build', 0):.2f}"),
        (f"  of which validation ({runs} suite runs), s", f"{phases.get('validate', 0):.2f}"),
        ("no-op rebuild (up-to-date), s", f"{noop_s:.3f}"),
        ("ratio cold / no-op", f"{cold_s / noop_s:.0f}x"),
        ("image size, MB", mb(m.size_bytes)),
        ("base image size, MB", mb(base_size)),
        ("repository layer over the base, MB", mb(m.size_bytes - base_size)),
    ])
    if a.keep:
        print(f"kept: {m.image_tag} and {tmp}")


if __name__ == "__main__":
    main()
