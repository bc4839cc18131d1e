"""Validated mutants per minute: Forager's warm-container check vs a fresh container per mutant.

    python benchmarks/bench_mutate.py [--n 12] [--image minilib] [--seed 0]

Both ways judge the SAME first N candidates (forager.tasks.mutate_fix.candidates, seed 0):
  forager  one warm Sandbox; check(): covering tests first (quick reject), the whole suite
           only for mutants the quick run kills, then restore the tree
  naive    per mutant: start a container, write the mutant, run the whole suite, remove it
A mutant is kept when some baseline-passing test fails. The coverage map (one-time cost per
image) is collected uncached and reported apart, and also amortized over the sample.
Then a per-phase breakdown of Forager's way: where the seconds go.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from common import current_manifest, stopwatch, table

from forager.containers import Sandbox
from forager.images import manifest as mf
from forager.tasks import coverage_map
from forager.tasks.mutate_fix import check as check_mod
from forager.tasks.mutate_fix.candidates import candidates
from forager.testsuite.run import run_tests


class Probe:
    """Attributes every docker call of one Sandbox to the phase of check() it happens in."""

    def __init__(self, box: Sandbox):
        self.phase: str | None = None
        self.wall: dict[str, float] = defaultdict(float)
        self.entered: Counter = Counter()
        self.calls: Counter = Counter()  # (phase, kind) -> n
        self.secs: dict = defaultdict(float)  # (phase, kind) -> seconds
        c = box.container
        for name in ("exec_run", "get_archive", "put_archive"):
            setattr(c, name, self._docker_call(name, getattr(c, name)))
        real_write = box.write_file
        box.write_file = self.in_phase("write mutant", real_write)

    def _docker_call(self, name, fn):
        def wrapper(*args, **kw):
            kind = name
            if name == "exec_run" and "--junitxml" in args[0][-1]:
                kind = "test command"
            t0 = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                key = (self.phase or "other", kind)
                self.calls[key] += 1
                self.secs[key] += time.perf_counter() - t0
        return wrapper

    def in_phase(self, name, fn):
        def wrapper(*args, **kw):
            if self.phase is not None:  # nested (the ids file written by a quick run)
                return fn(*args, **kw)
            self.phase = name if name != "run" else ("quick run" if args[2] is not None else "full run")
            self.entered[self.phase] += 1
            try:
                with stopwatch(self.wall, self.phase):
                    return fn(*args, **kw)
            finally:
                self.phase = None
        return wrapper


def naive(m: mf.Manifest, cand, phases: dict) -> bool:
    """Fresh container, mutant, whole suite, remove. Kept when a baseline-passing test fails."""
    with stopwatch(phases, "start container"):
        box = Sandbox.start(m.image_tag, kind="bench-naive")
    try:
        with stopwatch(phases, "write mutant"):
            box.write_file(f"/testbed/{cand.mutant.file}", cand.mutant.mutated.encode())
        with stopwatch(phases, "full run"):
            full = run_tests(box, m.recipe.test, None, timeout=check_mod.mutant_timeout(m))
    finally:
        with stopwatch(phases, "remove container"):
            box.remove()
    return not full.timed_out and any(full.statuses.get(t) != "passed" for t in m.passing())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=12, help="candidates in the sample")
    ap.add_argument("--image", default="minilib", help="image id: images/<NAME>.json, rebuilt into the cache if stale")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    m = current_manifest(a.image)

    tmp = tempfile.TemporaryDirectory(prefix="forager-bench-mutate-")
    coverage_map._cache_path = lambda _m: Path(tmp.name) / "coverage.json"  # measure it uncached
    with tmp, Sandbox.start(m.image_tag, kind="bench-mutate") as box:
        t0 = time.perf_counter()
        cmap = coverage_map.collect(box, m)
        cov_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        sample = candidates(box, m, cmap, a.seed)[0][: a.n]
        cand_s = time.perf_counter() - t0
        if not sample:
            raise SystemExit(f"no candidates in {m.image_tag} (coverage map of {len(cmap.files)} files)")
        # Reference costs in the same container: a bare docker exec, and Python + pytest start-up.
        ref = {cmd: statistics.median(box.exec(cmd).duration for _ in range(5))
               for cmd in ("true", "python -c 'import pytest'")}

        probe = Probe(box)
        check_mod.run_tests = probe.in_phase("run", run_tests)
        check_mod.restore = probe.in_phase("restore", check_mod.restore)
        t0 = time.perf_counter()
        ours = [check_mod.check(box, m, c) for c in sample]
        forager_s = time.perf_counter() - t0

    naive_phases: dict[str, float] = {}
    t0 = time.perf_counter()
    theirs = [naive(m, c, naive_phases) for c in sample]
    naive_s = time.perf_counter() - t0

    n = len(sample)
    per_min = lambda s: f"{60 * n / s:.1f}"
    kept_ours = [r.outcome == "kept" for r in ours]
    table(f"{n} mutants of {m.id} ({m.image_tag}), seed {a.seed}", ["way", "seconds", "mutants/min", "kept"], [
        ("forager: warm container, quick then full", f"{forager_s:.1f}", per_min(forager_s), sum(kept_ours)),
        ("naive: fresh container, whole suite", f"{naive_s:.1f}", per_min(naive_s), sum(theirs)),
        ("speedup (naive / forager)", f"{naive_s / forager_s:.2f}x", "", ""),
        ("coverage map, one-time per image", f"{cov_s:.1f}", "", ""),
        ("candidate generation, one-time per image", f"{cand_s:.1f}", "", ""),
        (f"speedup with coverage map amortized over {n}", f"{naive_s / (forager_s + cov_s):.2f}x", "", ""),
    ])
    print("forager outcomes:", dict(Counter(r.outcome for r in ours)))
    disagree = [(c, r.outcome, k) for c, r, k in zip(sample, ours, theirs) if (r.outcome == "kept") != k]
    print(f"disagreements on kept: {len(disagree)}")
    for c, outcome, k in disagree:
        mu = c.mutant
        print(f"  {c.key} {mu.operator} {mu.file}:{mu.function}: forager {outcome}, naive {'kept' if k else 'not kept'}")

    # Where Forager's seconds go.
    rows = []
    for ph in ("write mutant", "quick run", "full run", "restore"):
        test_s = probe.secs[(ph, "test command")]
        other = [k for k in probe.calls if k[0] == ph and k[1] != "test command"]
        other_n, other_s = sum(probe.calls[k] for k in other), sum(probe.secs[k] for k in other)
        rows.append((ph, probe.entered[ph], f"{probe.wall[ph]:.2f}", f"{probe.wall[ph] / n:.2f}", f"{test_s:.2f}",
                     other_n, f"{other_s:.2f}", f"{probe.wall[ph] - test_s - other_s:.2f}"))
    rest = forager_s - sum(probe.wall.values())
    rows.append(("rest of check() on the host", "", f"{rest:.2f}", f"{rest / n:.2f}", "", "", "", ""))
    table("forager's way by phase (seconds, summed over the sample)",
          ["phase", "times", "wall", "per mutant", "test command exec", "other docker calls", "their s", "host"], rows)
    print("reference, median of 5 in the warm container: "
          + ", ".join(f"`{cmd}` {1000 * sec:.0f} ms" for cmd, sec in ref.items()))
    table("naive way by phase (seconds, summed over the sample)", ["phase", "wall", "per mutant"],
          [(k, f"{v:.2f}", f"{v / n:.2f}") for k, v in naive_phases.items()])


if __name__ == "__main__":
    main()
