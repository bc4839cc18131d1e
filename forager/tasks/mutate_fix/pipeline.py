"""`forager tasks --variant mutate-fix`: images -> validated mutate-fix tasks (resumable)."""

from __future__ import annotations

import itertools
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from forager.containers import Sandbox
from forager.jsonio import append_line
from forager.records import ledger
from forager.records.manifest import Manifest
from forager.records.task import Task, TaskMeta
from forager.tasks import coverage_map
from forager.tasks.image_stage import StageSummary, already_done, run_images
from forager.tasks.mutate import OPERATORS
from forager.tasks.mutate.generate import derived_rng
from forager.tasks.mutate.patch import unified_diff
from forager.tasks.mutate_fix.candidates import MutantCandidate, candidates
from forager.tasks.mutate_fix.check import Check, VerifyMismatch
from forager.tasks.mutate_fix.workers import Workers
from forager.tasks.problem import mutate_fix_statement


@dataclass
class Settings:
    per_image: int = 10
    per_operator: int | None = None
    seed: int = 0
    operators: list[str] | None = None
    max_checks: int | None = None  # per image, a bound on validation work
    warm: bool = True  # a forking pytest server per container where the suite allows it
    workers: int = 1  # warm containers per image checking mutants in parallel (same results)
    covering_only: bool = True  # in a fork, run only the tests that can change (docs/mutate-speed.md)
    verify_sample: int = 0  # per image, kept mutants judged again by the whole suite (differences fail)


@dataclass
class Summary(StageSummary):
    generated: Counter = field(default_factory=Counter)  # per operator: mutants that compile, deduplicated
    validated: Counter = field(default_factory=Counter)  # per operator: checked in a container
    kept: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    runners: Counter = field(default_factory=Counter)  # checks per way of running (check.Runner)
    fresh_only: dict[str, str] = field(default_factory=dict)  # image -> why no pytest server
    covering_only: int = 0  # checks that ran only the tests that can change
    verified: int = 0  # kept mutants judged again by the whole suite (--verify-sample)
    mismatches: int = 0  # of those, how many differed (the image then fails)

    def add_generated(self, counts: Counter) -> None:
        with self.lock:
            self.generated.update(counts)


def make_task(m: Manifest, cand: MutantCandidate, result: Check, seed: int) -> Task:
    mu = cand.mutant
    return Task(
        instance_id=f"{m.id}__mutate__{cand.key}", variant="mutate-fix", image=m.image_tag,
        image_id=m.image_id, manifest_id=m.id, repo=m.recipe.source.github or m.id,
        commit=m.commit, problem_statement=mutate_fix_statement(result.fail_to_pass),
        bug_patch=unified_diff(mu.original, mu.mutated, mu.file),
        gold_patch=unified_diff(mu.mutated, mu.original, mu.file),
        FAIL_TO_PASS=result.fail_to_pass, PASS_TO_PASS=result.pass_to_pass, test_spec=m.recipe.test,
        meta=TaskMeta(operator=mu.operator, file=mu.file, function=mu.function,
                      lines=[mu.start_line, mu.end_line], seed=seed, description=mu.description))


def _caps_reached(kept: Counter, op: str, s: Settings) -> tuple[bool, bool]:
    """(image full, operator full)."""
    return sum(kept.values()) >= s.per_image, s.per_operator is not None and kept[op] >= s.per_operator


def run_image(m: Manifest, out: Path, s: Settings, summary: Summary, done: dict, say) -> None:
    mine = {k: a for k, a in done.items() if k[0] == m.id and a.operator in OPERATORS}
    kept: Counter = Counter(a.operator for a in mine.values() if a.outcome == "kept")
    checks = len(mine)

    def stop() -> bool:
        return _caps_reached(kept, "", s)[0] or (s.max_checks is not None and checks >= s.max_checks)

    def wanted(cand: MutantCandidate) -> bool:
        return not stop() and not _caps_reached(kept, cand.mutant.operator, s)[1]

    def fallback(why: str) -> None:
        summary.fresh_only[m.id] = why

    with ExitStack() as stack:
        box = stack.enter_context(Sandbox.start(m.image_tag, kind="mutate", labels={"forager.image": m.id}))
        say("coverage map")
        cmap = coverage_map.collect(box, m)
        stream = candidates(box, m, cmap, s.seed, s.operators)
        stack.callback(lambda: summary.add_generated(stream.generated))
        todo = (c for c in stream if (m.id, c.key) not in mine)
        if stop():
            return
        say("starting workers")
        # The servers start (collect the suite) while the first candidates are generated.
        with ThreadPoolExecutor(1) as pool:
            starting = pool.submit(Workers, m, box, max(1, s.workers), stack, s.warm, fallback, s.covering_only,
                                   cmap.durations)
            first = next(todo, None)
            workers = starting.result()
        if first is None:
            return
        kept_now: list[tuple[MutantCandidate, Check]] = []
        for cand, result in workers.checks(itertools.chain([first], todo), wanted):
            op = cand.mutant.operator
            checks += 1
            task_id = None
            if result.outcome == "kept":
                kept_now.append((cand, result))
                task = make_task(m, cand, result, s.seed)
                append_line(out, task)
                task_id, kept[op] = task.instance_id, kept[op] + 1
            ledger.record(out, ledger.Attempt(manifest_id=m.id, key=cand.key, operator=op,
                                              outcome=result.outcome, seconds=round(result.seconds, 3),
                                              instance_id=task_id, runner=result.runner))
            with summary.lock:
                summary.validated[op] += 1
                summary.outcomes[result.outcome] += 1
                summary.runners[result.runner] += 1
                summary.covering_only += result.covering_only
                summary.kept[op] += result.outcome == "kept"
            say(f"{sum(kept.values())}/{s.per_image} kept, {checks} checked")
            if stop():
                break
        if s.verify_sample:
            verify_sample(m, workers, kept_now, s, summary, say)


def verify_sample(m: Manifest, workers: Workers, kept: list, s: Settings, summary: Summary, say) -> None:
    """K random kept mutants of this run (those judged from their covering tests) run again
    with the whole suite; any difference in outcome, FAIL_TO_PASS or PASS_TO_PASS fails the image."""
    pool = [(c, r) for c, r in kept if r.covering_only]
    sample = derived_rng(s.seed, m.id, "verify").sample(pool, min(s.verify_sample, len(pool)))
    for i, (cand, result) in enumerate(sample, 1):
        say(f"verifying {i}/{len(sample)} against the whole suite")
        try:
            workers.verify(cand, result)
        except VerifyMismatch:
            with summary.lock:
                summary.verified += 1
                summary.mismatches += 1
            raise
        with summary.lock:
            summary.verified += 1


def _key_of(t: Task) -> str:
    return t.instance_id.rsplit("__", 1)[-1]


def generate(manifests: list[Manifest], out: Path, s: Settings, jobs: int = 1) -> Summary:
    summary, done = Summary(), already_done(out, "mutate-fix", _key_of)
    run_images(manifests, "mutate-fix", summary, lambda m, ctx: run_image(m, out, s, summary, done, ctx.say), jobs)
    return summary
