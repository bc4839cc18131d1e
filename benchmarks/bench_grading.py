"""Grading time on the bundled example: grade() of every kept task's gold patch, ROUNDS times.

Run it with PYTHONPATH at the checkout to measure (the image and tasks are built by that
checkout's own code, so two commits compare on the same machine in the same session):
    PYTHONPATH=. python benchmarks/bench_grading.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    from forager.harvest.grading import grade
    from forager.images.base import BOOKWORM_PYTHON, build_base
    from forager.images.pipeline import build_one
    from forager.jsonio import read_lines
    from forager.records.task import Task
    from forager.tasks.mutate_fix.pipeline import Settings, generate

    build_base(BOOKWORM_PYTHON, origin="auto")
    with tempfile.TemporaryDirectory() as tmp:
        outcome = build_one(ROOT / "recipes" / "example.toml", Path(tmp))
        out = Path(tmp) / "tasks.jsonl"
        generate([outcome.manifest], out, Settings(per_image=100, per_operator=1, seed=0))
        tasks = list(read_lines(out, Task))
    times, resolved = [], 0
    for _ in range(rounds):
        for t in tasks:
            t0 = time.monotonic()
            g = grade(t, t.gold_patch)
            times.append(time.monotonic() - t0)
            resolved += g.resolved
    print(f"{len(times)} gradings ({len(tasks)} tasks x {rounds}): resolved {resolved}, "
          f"mean {statistics.mean(times):.2f}s, median {statistics.median(times):.2f}s, "
          f"total {sum(times):.1f}s")


if __name__ == "__main__":
    main()
