"""Validated mutants per minute: Forager's warm-container check vs a fresh container per mutant.

    python benchmarks/bench_mutate.py [--n 20] [--image minilib|NAME|path/to/manifest.json] [--seed 0]
        [--ways forager,whole,naive] [--workers 2] [--repeat 1]

--image: an image id (images/<NAME>.json, rebuilt into the cache if stale, see common.py) or the
path of a manifest written by `forager build-images -o DIR` (used as it is).

All ways judge the SAME first N candidates (forager.tasks.mutate_fix.candidates, the seed's
order), interleaved mutant by mutant so that the machine's load hits every way alike:
  forager          one warm Sandbox with the pytest server: a fork of the collected suite with
                   the mutant's code swapped in; when the swap rule allows, only the tests
                   that can change run (covering tests, and tests sharing a long-lived fixture
                   with them), the rest keep the baseline's result; otherwise the whole suite
                   (covering tests first, stop if they all pass), or a fresh session
  whole            the same server, every mutant the whole suite (covering tests first):
                   Forager's previous way (`forager tasks --whole-suite`)
  fresh            the same warm Sandbox without the server: the mutant written, one new
                   pytest process (covering tests first), the tree restored by docker exec
  workers          as forager, with --workers K warm containers in parallel (not interleaved)
  naive            per mutant: start a container, write the mutant, run the whole suite, remove
Every way's outcome, FAIL_TO_PASS and PASS_TO_PASS are compared with naive's on every mutant.
One-time costs per image are reported apart and counted in the "all in" speedups: candidate
generation (uncached: the mutant cache goes to a temporary directory), the server start (its
collection; the tests a kept mutant fails are confirmed passing unchanged, test by test, inside
the checks), and the coverage map (also a temporary cache).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from common import current_manifest, stopwatch, table

from forager.containers import Sandbox
from forager.records import manifest as mf
from forager.tasks import coverage_map
from forager.tasks.mutate import generate_mutants
from forager.tasks.mutate_fix import check as check_mod
from forager.tasks.mutate_fix.candidates import CandidateStream, function_spans
from forager.tasks.mutate_fix.workers import Workers
from forager.testsuite.run import run_tests
from forager.testsuite.warm_pytest import Unavailable, WarmPytest

WAYS = ("forager", "whole", "fresh", "workers", "naive")


def naive(m: mf.Manifest, cand, phases: dict) -> check_mod.Check:
    """Fresh container, mutant, whole suite, remove; judged as Forager judges a whole run."""
    with stopwatch(phases, "start container"):
        box = Sandbox.start(m.image_tag, kind="bench-naive")
    try:
        with stopwatch(phases, "write mutant"):
            box.write_file(f"/testbed/{cand.mutant.file}", cand.mutant.mutated.encode())
        with stopwatch(phases, "full run"):
            full = run_tests(box, m.recipe.test, None, timeout=check_mod.mutant_timeout(m), plugins=m.pytest_plugins)
    finally:
        with stopwatch(phases, "remove container"):
            box.remove()
    return check_mod.judge(full, cand, m, full.duration)


def eager_generation(stream: CandidateStream, cmap, m: mf.Manifest, seed: int) -> int:
    """The previous way: every mutant of every covered function, before the first check."""
    stable, count = set(m.passing()), 0
    for file in sorted({t.file for t, _ in stream.order}):
        source = stream.source(file)
        names = {t.qualname for t in function_spans(source)
                 if cmap.tests_for(file, t.start_line, t.end_line) & stable}
        try:
            count += len(generate_mutants(source, file, names, seed))
        except ValueError:
            pass
    return count


def how(r: check_mod.Check) -> str:
    return "fork covering-only" if r.covering_only else r.runner


def load_manifest(ref: str) -> mf.Manifest:
    return mf.load(Path(ref)) if ref.endswith(".json") else current_manifest(ref)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20, help="candidates in the sample")
    ap.add_argument("--image", default="minilib", help="image id, or a manifest path (*.json)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ways", default="forager,whole,naive", help=f"comma-separated, of {', '.join(WAYS)}")
    ap.add_argument("--workers", type=int, default=2, help="warm containers for the workers way")
    ap.add_argument("--detail", action="store_true", help="also print every mutant's check: operator, "
                    "function, way of running, tests run, seconds")
    ap.add_argument("--before", action="store_true", help="also time the previous one-time costs: every "
                    "covered function's mutants generated up front, and the server's whole baseline run")
    a = ap.parse_args()
    ways = [w.strip() for w in a.ways.split(",") if w.strip()]
    unknown = set(ways) - set(WAYS)
    if unknown:
        raise SystemExit(f"--ways: unknown {sorted(unknown)} (choose from {', '.join(WAYS)})")
    if "naive" not in ways:
        print("no naive way: timings only, no speedups and no comparison of outcomes")
    m = load_manifest(a.image)
    print(f"start: load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")

    tmp = tempfile.TemporaryDirectory(prefix="forager-bench-mutate-")
    coverage_map._cache_path = lambda _m: Path(tmp.name) / "coverage.json"  # measure it uncached
    loads, walls, results = [], {w: [] for w in ways}, {w: [] for w in ways}
    naive_phases: dict[str, float] = {}
    with tmp, Sandbox.start(m.image_tag, kind="bench-mutate") as box:
        cmap, cov_s = timed(lambda: coverage_map.collect(box, m))

        def generate():
            stream = CandidateStream(box, m, cmap, a.seed, cache_dir=Path(tmp.name) / "mutants")
            return stream, stream.take(a.n)

        # As the pipeline does: the server starts (collection only; the baseline is confirmed test
        # by test in check()) while the candidates are generated.
        t0 = time.perf_counter()
        with ThreadPoolExecutor(1) as pool:
            starting = pool.submit(timed, lambda: WarmPytest(box, m.recipe.test, stable_pass=set(m.passing()),
                                                             durations=cmap.durations))
            (stream, sample), cand_s = timed(generate)
            try:
                warm, server_s = starting.result()
            except Unavailable as exc:
                raise SystemExit(f"the pytest server cannot serve {m.id}: {exc}") from None
        setup_s = time.perf_counter() - t0
        if not sample:
            raise SystemExit(f"no candidates in {m.image_tag} (coverage map of {len(cmap.files)} files)")
        n = len(sample)
        phases_of: list[str] = []  # the server's phases of each forager check, for --detail

        def forager_check(c):
            r = check_mod.check(box, m, c, warm, covering_only=True)
            phases_of.append(" ".join(f"{k}={v}" for k, v in warm.last_timing.items()))
            return r

        one = {"forager": forager_check,
               "whole": lambda c: check_mod.check(box, m, c, warm, covering_only=False),
               "fresh": lambda c: check_mod.check(box, m, c, None),
               "naive": lambda c: naive(m, c, naive_phases)}
        for c in sample:
            loads.append(os.getloadavg()[0])
            for w in ways:
                if w in one:
                    r, s = timed(lambda w=w, c=c: one[w](c))
                    results[w].append(r)
                    walls[w].append(s)
        eager_s = baseline_s = 0.0
        if a.before:
            _, eager_s = timed(lambda: eager_generation(stream, cmap, m, a.seed))
            _, baseline_s = timed(lambda: warm.agrees_with(set(m.passing()), check_mod.mutant_timeout(m)))
        warm.close()
        workers_start_s = 0.0
        if "workers" in ways:
            with ExitStack() as stack:
                workers, workers_start_s = timed(lambda: Workers(m, box, a.workers, stack, serve=True,
                                                                 on_fallback=print, durations=cmap.durations))
                t0 = time.perf_counter()
                results["workers"] = [r for _, r in workers.checks(sample, lambda c: True)]
                walls["workers"] = [(time.perf_counter() - t0) / n] * n

    secs = {w: sum(v) for w, v in walls.items()}
    ratio = lambda t: f"{secs['naive'] / t:.2f}x" if "naive" in secs else "-"  # noqa: E731
    kept = lambda w: sum(r.outcome == "kept" for r in results[w])  # noqa: E731
    per_min = lambda s: f"{60 * n / s:.1f}"  # noqa: E731
    labels = {"forager": "forager: warm server, only the tests that can change",
              "whole": "forager --whole-suite: warm server, whole suite per kept mutant",
              "fresh": "forager --fresh: warm container, new test processes",
              "workers": f"forager --workers {a.workers} (parallel)",
              "naive": "naive: fresh container, whole suite"}
    rows = [(labels[w], f"{secs[w]:.1f}", per_min(secs[w]), kept(w)) for w in ways]
    for w in ways:
        if w != "naive" and "naive" in ways:
            rows.append((f"speedup, {w} (naive / {w})", ratio(secs[w]), "", ""))
    all_in = secs.get("forager", 0) + setup_s
    rows += [
        ("candidate generation for the sample, one-time per image", f"{cand_s:.1f}", "", ""),
        ("pytest server start (collection), one-time per image", f"{server_s:.1f}", "", ""),
        ("  both at once (wall), counted below", f"{setup_s:.1f}", "", ""),
        ("coverage map, one-time per image (cached by content hash)", f"{cov_s:.1f}", "", ""),
    ]
    if "forager" in ways:
        rows += [
            ("speedup, forager, counting candidate generation and server start",
             ratio(all_in), "", ""),
            ("  the same, counting the coverage map too", ratio((all_in + cov_s)), "", ""),
        ]
    if "whole" in ways:
        rows.append(("speedup, --whole-suite, counting candidate generation and server start",
                     ratio((secs['whole'] + setup_s)), "", ""))
    if a.before and "whole" in ways:
        before = secs["whole"] + eager_s + server_s + baseline_s
        rows += [("before: every covered function mutated up front", f"{eager_s:.1f}", "", ""),
                 ("before: the server's whole baseline run at start", f"{baseline_s:.1f}", "", ""),
                 ("BEFORE all in: --whole-suite + up-front generation + start + baseline run",
                  f"{before:.1f}", "", ratio(before)),
                 ("AFTER all in: forager + generation and start (overlapped)", f"{all_in:.1f}", "",
                  ratio(all_in))]
    if "workers" in ways:
        rows.append((f"  workers start ({a.workers} servers in parallel)", f"{workers_start_s:.1f}", "", ""))
    table(f"{n} mutants of {m.id} ({m.image_tag}, {len(m.passing())} passing tests, suite "
          f"{m.suite_duration:.1f} s), seed {a.seed}; load average during the checks "
          f"{min(loads):.1f}-{max(loads):.1f}", ["way", "seconds", "mutants/min", "kept"], rows)
    print(f"candidates generated for the sample: {sum(stream.generated.values())} "
          f"(functions reached: {sum(1 for _ in stream._modules)} files parsed)")

    sets = lambda r: (r.outcome, r.fail_to_pass, r.pass_to_pass)  # noqa: E731
    for w in ways:
        if w == "naive" or "naive" not in ways:
            continue
        same = [sets(x) == sets(y) for x, y in zip(results[w], results["naive"])]
        print(f"{w}: outcomes {dict(Counter(r.outcome for r in results[w]))}, runners "
              f"{dict(Counter(how(r) for r in results[w]))}; same outcome, FAIL_TO_PASS and PASS_TO_PASS "
              f"as naive: {sum(same)}/{n}")
        for c, r, v, ok in zip(sample, results[w], results["naive"], same):
            if not ok:
                mu = c.mutant
                print(f"    DIFFERS {c.key} {mu.operator} {mu.file}:{mu.function}: {r.outcome} ({how(r)}), "
                      f"naive {v.outcome}; F2P only {w}: {sorted(set(r.fail_to_pass) - set(v.fail_to_pass))[:3]}, "
                      f"only naive: {sorted(set(v.fail_to_pass) - set(r.fail_to_pass))[:3]}")
    rows = []
    for w in ways:
        for runner in ("fork covering-only", "fork", "session", "process"):
            s = [r.seconds for r in results[w] if how(r) == runner]
            if s and w != "naive":
                rows.append((w, runner, len(s), f"{sum(s):.2f}", f"{statistics.mean(s):.3f}"))
    table("checks by way of running (seconds in the container's test run)",
          ["way", "runner", "checks", "seconds", "mean"], rows)
    if a.detail:
        table("every mutant (forager)", ["mutant", "operator", "function", "outcome", "runner", "covering",
                                         "s", "server phases", "why not covering-only"],
              [(c.key, c.mutant.operator, f"{c.mutant.file}:{c.mutant.function}"[-60:], r.outcome, how(r),
                len(c.covering), f"{w:.2f}", p, r.why[:60])
               for c, r, w, p in zip(sample, results["forager"], walls["forager"], phases_of)]
              if "forager" in ways else [])
    table("naive way by phase (seconds, summed over the sample)", ["phase", "wall", "per mutant"],
          [(k, f"{v:.2f}", f"{v / n:.2f}") for k, v in naive_phases.items()])
    print(f"end: load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
