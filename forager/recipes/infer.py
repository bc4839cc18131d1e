"""`forager recipe infer`: a repository at a commit -> candidate recipes -> built and validated ->
the best one written out as recipe TOML with its provenance; every attempt kept in the report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from forager.errors import ForagerError
from forager.images.pipeline import BuildOutcome, build_loaded
from forager.images.source import bare_mirror, resolve_commit
from forager.images.validate import SUITE_TIMEOUT
from forager.recipes.attempt import Attempt
from forager.recipes.fixers import fix
from forager.recipes.inference.candidates import Candidate, candidates
from forager.recipes.inference.tree import read_tree, uses_unittest_only
from forager.recipes.sources import RepoSource
from forager.recipes.writer import render
from forager.records.recipe import LoadedRecipe, Recipe

# Six: a conftest reveals one missing module at a time, and a failed collection is quick to see.
MAX_ATTEMPTS = 6
# What "good enough to stop trying" means; the best attempt wins either way.
TARGET_PASSED, TARGET_RATIO = 20, 0.9


@dataclass
class InferResult:
    source: str
    name: str
    commit: str = ""
    attempts: list[Attempt] = field(default_factory=list)
    winner: Recipe | None = None
    recipe_file: Path | None = None
    failure: str = ""  # why nothing validated (the taxonomy's class), or ""
    detail: str = ""
    seconds: float = 0.0

    @property
    def stage(self) -> str:
        from forager.recipes.attempt import STAGES
        return max((a.stage for a in self.attempts), key=STAGES.index, default="cloned" if self.commit else "")

    @property
    def best(self) -> Attempt | None:
        ok = [a for a in self.attempts if a.status in ("built", "up-to-date")]
        return max(ok, key=lambda a: (a.passed, a.ratio), default=None)


def _attempt(label: str, recipe: Recipe, outcome: BuildOutcome) -> Attempt:
    m = outcome.manifest
    a = Attempt(label=label, recipe_hash=recipe.content_hash()[:12], status=outcome.status, stage="parsed",
                reason=outcome.message, seconds=round(outcome.seconds, 1))
    if m is None:
        return a
    counts = m.counts()
    a.passed, a.total = counts["passed"], counts["passed"] + counts["failed"] + counts["error"]
    a.build_log, a.validation_log = m.build_log, m.validation_log
    a.stage = "installed"
    if any(r.passed + r.failed + r.error for r in m.runs):
        a.stage = "collected"
    if a.passed:
        a.stage = "baseline passed"
    if m.status == "ok":
        a.stage = "validated"
    return a


def infer_one(src: RepoSource, recipes_dir: Path, images_dir: Path, say=lambda s: None,
              repairer: Repairer | None = None) -> InferResult:
    t0 = time.monotonic()
    result = InferResult(source=src.text, name=src.name)
    try:
        say("cloning")
        commit = resolve_commit(src.source)
        mirror = bare_mirror(src.source)
        result.commit = commit
        source = src.source.model_copy(update={"commit": commit})
        say("reading")
        ev = read_tree(mirror, commit)
        if not any(f.endswith(".py") for f in ev.files):
            result.failure, result.detail = "no-python", "no Python file in the repository"
            return result
        queue = candidates(ev, source, src.name, uses_unittest_only(mirror, commit, ev.files))
        _try(queue, result, recipes_dir, images_dir, say, src, repairer)
    except ForagerError as exc:
        result.failure, result.detail = "source", str(exc)
    finally:
        result.seconds = round(time.monotonic() - t0, 1)
    if result.winner is None and not result.failure:
        result.failure, result.detail = _classify(result)
    return result


# A repair agent (forager/repair): given the repository, the best candidate so far, what went
# wrong, and a way to validate a candidate, it returns a better candidate or None. Injected by
# the caller, since the agent loop sits above this stage.
Repairer = Callable[[RepoSource, Candidate, str, Callable[[Candidate], Attempt]], Candidate | None]


def _log_tail(paths: list[Path], chars: int = 3000) -> str:
    text = ""
    for p in paths:
        if p.is_file():
            text += f"--- {p.name} (end) ---\n" + p.read_text(errors="replace")[-chars:] + "\n"
    return text


def _try(queue: list[Candidate], result: InferResult, recipes_dir: Path, images_dir: Path, say,
         src: RepoSource | None = None, repairer: Repairer | None = None) -> None:
    tried: set[str] = set()
    best: list[tuple[Attempt, Candidate]] = []
    last: list[tuple[Attempt, Candidate, list[Path]]] = []

    def run_attempt(cand: Candidate) -> Attempt:
        h = cand.recipe.content_hash()
        say(f"attempt {len(result.attempts) + 1}: {cand.label}")
        path = recipes_dir / ".attempts" / f"{cand.recipe.name}-{h[:12]}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(cand.recipe, cand.provenance, f"attempt: {cand.label}"))
        logs = [images_dir / "logs" / f"{cand.recipe.name}.{kind}.log" for kind in ("build", "validate")]
        for log in logs:  # a log left by an earlier attempt must not be read as this one's
            log.unlink(missing_ok=True)
        outcome = build_loaded(LoadedRecipe(recipe=cand.recipe, file=path.resolve()), images_dir, say=say)
        attempt = _attempt(cand.label, cand.recipe, outcome)
        attempt.log_tail = _log_tail(logs[1:] if attempt.status in ("built", "up-to-date", "rejected") else logs[:1], 1500)
        result.attempts.append(attempt)
        if attempt.status in ("built", "up-to-date") and (not best or (attempt.passed, attempt.ratio) >
                                                          (best[0][0].passed, best[0][0].ratio)):
            best[:] = [(attempt, cand)]
        last[:] = [(attempt, cand, logs)]
        return attempt

    while queue and len(result.attempts) < MAX_ATTEMPTS:
        cand = queue.pop(0)
        if cand.recipe.content_hash() in tried:
            continue
        tried.add(cand.recipe.content_hash())
        attempt = run_attempt(cand)
        if attempt.meets(TARGET_PASSED, TARGET_RATIO) or SUITE_TIMEOUT in attempt.reason:
            break  # good enough, or a suite too slow for any candidate
        repaired = fix(cand, attempt, *(str(log) for log in last[0][2]))
        if repaired is not None:
            queue.insert(0, repaired)
    good = best and best[0][0].meets(TARGET_PASSED, TARGET_RATIO)
    if repairer is not None and src is not None and last and not good:
        attempt, cand, logs = (*best[0], last[0][2]) if best else last[0]
        failure = f"{attempt.status}: {attempt.reason or f'{attempt.passed} of {attempt.total} tests pass'}\n" + _log_tail(logs)
        say("repair agent")
        repairer(src, cand, failure, run_attempt)
    if best:
        attempt, cand = best[0]
        result.winner = cand.recipe
        header = f"{cand.recipe.source.github or cand.recipe.source.git} at {cand.recipe.source.commit}"
        result.recipe_file = recipes_dir / f"{cand.recipe.name}.toml"
        result.recipe_file.write_text(render(cand.recipe, [*cand.provenance, f"validated: {attempt.passed} of "
                                                           f"{attempt.total} stable tests pass ({attempt.label})"], header))


def _classify(result: InferResult) -> tuple[str, str]:
    last = result.attempts[-1] if result.attempts else None
    if last is None:
        return "no-candidate", "no candidate recipe could be made"
    stage = result.stage
    if SUITE_TIMEOUT in last.reason:
        return "suite-timeout", last.reason
    if stage == "parsed":
        return "install-failed", last.reason
    if stage == "installed":
        return "collection-failed", last.reason
    return "too-few-passing", last.reason
