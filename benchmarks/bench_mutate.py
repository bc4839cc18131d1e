"""Validated mutants per minute: Forager's warm-container check vs a fresh container per mutant.

    python benchmarks/bench_mutate.py [--n 20] [--image minilib] [--seed 0]

All three ways judge the SAME first N candidates (forager.tasks.mutate_fix.candidates, seed 0):
  forager          one warm Sandbox with the pytest server: check() forks the collected
                   suite with the mutant's code swapped in (or a fresh session for mutants
                   that change import-time code), covering tests first, stop if they all pass
  forager --fresh  the same warm Sandbox without the server: the mutant written, one new
                   pytest process (covering tests first), the tree restored by docker exec
  --workers K      as the first way, with K warm containers checking in parallel (results
                   taken in candidate order; the same outcomes)
  naive            per mutant: start a container, write the mutant, run the whole suite, remove
A mutant is kept when some baseline-passing test fails. One-time costs per image (the server
start with its baseline run, the coverage map, candidate generation) are reported apart.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from common import current_manifest, stopwatch, table

from forager.containers import Sandbox
from forager.records import manifest as mf
from forager.tasks import coverage_map
from forager.tasks.mutate_fix import check as check_mod
from forager.tasks.mutate_fix.candidates import candidates
from forager.tasks.mutate_fix.workers import Workers
from forager.testsuite.run import run_tests
from forager.testsuite.warm_pytest import Unavailable, WarmPytest


def naive(m: mf.Manifest, cand, phases: dict, walls: list) -> bool:
    """Fresh container, mutant, whole suite, remove. Kept when a baseline-passing test fails."""
    t0 = time.perf_counter()
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
        walls.append(time.perf_counter() - t0)
    return not full.timed_out and any(full.statuses.get(t) != "passed" for t in m.passing())


def forager_way(box: Sandbox, m: mf.Manifest, sample, warm: WarmPytest | None) -> tuple[list, list]:
    """Results and wall seconds, one per mutant."""
    results, walls = [], []
    for c in sample:
        t0 = time.perf_counter()
        results.append(check_mod.check(box, m, c, warm))
        walls.append(time.perf_counter() - t0)
    return results, walls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="candidates in the sample")
    ap.add_argument("--image", default="minilib", help="image id: images/<NAME>.json, rebuilt into the cache if stale")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2, help="warm containers for the parallel row")
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
        t0 = time.perf_counter()
        try:
            warm = WarmPytest(box, m.recipe.test)
            warm.agrees_with(set(m.passing()), check_mod.mutant_timeout(m))
        except Unavailable as exc:
            raise SystemExit(f"the pytest server cannot serve {m.id}: {exc}") from None
        server_s = time.perf_counter() - t0
        ours, ours_walls = forager_way(box, m, sample, warm)
        warm.close()
        procs, procs_walls = forager_way(box, m, sample, None)
        forager_s, procs_s = sum(ours_walls), sum(procs_walls)
        with ExitStack() as stack:
            t0 = time.perf_counter()
            workers = Workers(m, box, a.workers, stack, serve=True, on_fallback=print)
            workers_start_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            parallel = [r for _, r in workers.checks(sample, lambda c: True)]
            parallel_s = time.perf_counter() - t0

    naive_phases: dict[str, float] = {}
    t0 = time.perf_counter()
    naive_walls: list[float] = []
    theirs = [naive(m, c, naive_phases, naive_walls) for c in sample]
    naive_s = time.perf_counter() - t0

    n = len(sample)
    per_min = lambda s: f"{60 * n / s:.1f}"
    kept = lambda rs: sum(r.outcome == "kept" for r in rs)
    table(f"{n} mutants of {m.id} ({m.image_tag}), seed {a.seed}", ["way", "seconds", "mutants/min", "kept"], [
        ("forager: warm pytest server (forks)", f"{forager_s:.1f}", per_min(forager_s), kept(ours)),
        ("forager --fresh: warm container, new test processes", f"{procs_s:.1f}", per_min(procs_s), kept(procs)),
        ("naive: fresh container, whole suite", f"{naive_s:.1f}", per_min(naive_s), sum(theirs)),
        (f"forager --workers {a.workers}: as the first, in parallel", f"{parallel_s:.1f}", per_min(parallel_s),
         kept(parallel)),
        ("speedup, forager (naive / forager)", f"{naive_s / forager_s:.2f}x", "", ""),
        ("speedup, forager --fresh", f"{naive_s / procs_s:.2f}x", "", ""),
        (f"speedup, forager --workers {a.workers}", f"{naive_s / parallel_s:.2f}x", "", ""),
        ("pytest server start + baseline check, one-time per image", f"{server_s:.1f}", "", ""),
        (f"  the same for {a.workers} workers (started in parallel)", f"{workers_start_s:.1f}", "", ""),
        ("coverage map, one-time per image", f"{cov_s:.1f}", "", ""),
        ("candidate generation, one-time per image", f"{cand_s:.1f}", "", ""),
        (f"speedup with the server start counted, {n} mutants", f"{naive_s / (forager_s + server_s):.2f}x", "", ""),
        (f"  the same, --workers {a.workers}", f"{naive_s / (parallel_s + workers_start_s):.2f}x", "", ""),
    ])
    hung = [i for i, r in enumerate(ours) if r.outcome == "hung"]
    if hung:
        # A hung mutant costs the time limit whichever way it runs; without them, the ways themselves.
        rest = lambda walls: sum(w for i, w in enumerate(walls) if i not in hung)
        f, p, v = rest(ours_walls), rest(procs_walls), rest(naive_walls)
        k = n - len(hung)
        table(f"the same without the {len(hung)} mutant(s) that hit the time limit", ["way", "seconds", "mutants/min"], [
            ("forager", f"{f:.1f}", f"{60 * k / f:.1f}"), ("forager --fresh", f"{p:.1f}", f"{60 * k / p:.1f}"),
            ("naive", f"{v:.1f}", f"{60 * k / v:.1f}"), ("speedup, forager", f"{v / f:.2f}x", ""),
            ("speedup, forager --fresh", f"{v / p:.2f}x", "")])
    for name, rs in (("forager", ours), ("forager --fresh", procs), (f"forager --workers {a.workers}", parallel)):
        print(f"{name} outcomes:", dict(Counter(r.outcome for r in rs)))
        disagree = [(c, r.outcome, k) for c, r, k in zip(sample, rs, theirs) if (r.outcome == "kept") != k]
        print(f"  disagreements with naive on kept: {len(disagree)}")
        for c, outcome, k in disagree:
            mu = c.mutant
            print(f"    {c.key} {mu.operator} {mu.file}:{mu.function}: {outcome}, naive {'kept' if k else 'not kept'}")
    sets = lambda rs: [(r.outcome, r.fail_to_pass, r.pass_to_pass) for r in rs]
    print(f"same outcome, FAIL_TO_PASS and PASS_TO_PASS as forager --fresh: forager "
          f"{sum(x == y for x, y in zip(sets(ours), sets(procs)))}/{n}, --workers {a.workers} "
          f"{sum(x == y for x, y in zip(sets(parallel), sets(procs)))}/{n}")

    rows = []
    for runner in ("fork", "session", "process"):
        secs = [r.seconds for r in ours if r.runner == runner]
        if secs:
            rows.append((runner, len(secs), f"{sum(secs):.2f}", f"{statistics.mean(secs):.3f}"))
    host = forager_s - sum(r.seconds for r in ours)
    rows.append(("host side (requests, judging)", "", f"{host:.2f}", f"{host / n:.3f}"))
    table("forager's checks by way of running (seconds in the container's test run)",
          ["runner", "checks", "seconds", "mean"], rows)
    table("naive way by phase (seconds, summed over the sample)", ["phase", "wall", "per mutant"],
          [(k, f"{v:.2f}", f"{v / n:.2f}") for k, v in naive_phases.items()])


if __name__ == "__main__":
    main()
