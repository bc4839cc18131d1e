"""`forager tasks --variant issue-fix`: images -> validated issue-fix tasks (resumable).

Per image: candidates from GitHub (merged pull requests linked to issues, when a token and the
network are there) and from the repository's history (commits that change code and tests),
newest first, at most --max-candidates; each is validated in a container whose environment
fits its base commit (environment.py) and kept when some test fails without the fix and
passes with it. Every candidate tried goes into the ledger beside the task file with its
outcome and reason, so a rerun skips it; a failing candidate or image never stops the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from docker.errors import DockerException

from forager.errors import ForagerError
from forager.images.source import bare_mirror
from forager.jsonio import append_line
from forager.progress import console
from forager.records import ledger
from forager.records.manifest import Manifest
from forager.records.task import Task, TaskMeta
from forager.tasks.image_stage import already_done, run_images
from forager.tasks.issue_fix.candidate import FixCandidate
from forager.tasks.issue_fix.commit_environments import Environment, EnvironmentFailed, Environments
from forager.tasks.issue_fix.github import github_candidates, repo_name
from forager.tasks.issue_fix.history import mine
from forager.tasks.issue_fix.problem import choose_statement
from forager.tasks.issue_fix.report import print_summary
from forager.tasks.issue_fix.summary import ImageStats, Summary
from forager.tasks.issue_fix.validate import FixVerdict, check

VARIANT = "issue-fix"


@dataclass
class Settings:
    max_candidates: int = 50
    per_image: int | None = None
    seed: int = 0
    statement: str = "auto"  # problem.STATEMENTS
    endpoint: str | None = None  # for statement "model"
    model: str = "default"


class IssueFixAttempt(ledger.Attempt):
    """A ledger line with the reason a candidate was not kept and the environment it ran in."""

    reason: str = ""
    environment: str | None = None


def display_name(m: Manifest) -> str:
    """The repository's name for people: owner/name, or the last part of its URL or path."""
    name = repo_name(m.recipe.source)
    if name:
        return name
    src = (m.recipe.source.git or m.recipe.source.path or m.id).rstrip("/")
    last = src.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return last.removesuffix(".git") or m.id


def require_history(m: Manifest) -> None:
    """Issue-fix needs the repository's history inside the image."""
    src, where = m.recipe.source, m.recipe_file
    if m.status != "ok":
        raise ForagerError(f"image {m.id} was rejected at validation: {m.reject_reason}")
    if src.kind == "path":
        raise ForagerError(f"image {m.id} comes from a local directory, which is always squashed: issue-fix "
                           f"needs a git source with history; in {where} use `git = \"<path>\"` and "
                           f"`history = \"full\"` under [source], then rebuild")
    if src.history != "full" or not m.commit:
        raise ForagerError(f"image {m.id} holds a squashed tree without history: issue-fix needs "
                           f"`history = \"full\"` under [source] in {where}; rebuild the image after changing it")


def make_task(m: Manifest, cand: FixCandidate, v: FixVerdict, env: Environment, s: Settings) -> Task:
    statement, statement_origin = choose_statement(s.statement, cand, display_name(m), v.fail_to_pass,
                                                   v.failing_output, s.endpoint, s.model)
    subject = cand.message.strip().splitlines()[0][:200] if cand.message.strip() else None
    meta = TaskMeta(seed=s.seed, statement_origin=statement_origin, source_commit=cand.commit, description=subject,
                    environment=env.kind, environment_reason=env.reason or None, base_image=m.image_tag,
                    origin=cand.origin, test_files=list(cand.test_files), code_files=list(cand.code_files),
                    issue=cand.issue.number if cand.issue else None,
                    issue_url=cand.issue.url if cand.issue else None, pull_request=cand.pull_request)
    return Task(instance_id=f"{m.id}__issue__{cand.short}", variant=VARIANT, image=env.image,
                image_id=env.image_id, manifest_id=m.id,
                repo=m.recipe.source.github or m.recipe.source.git or m.id, commit=cand.parent,
                problem_statement=statement, gold_patch=cand.gold_patch,
                test_patch=cand.test_patch, FAIL_TO_PASS=v.fail_to_pass, PASS_TO_PASS=v.pass_to_pass,
                test_spec=m.recipe.test, meta=meta)


def gather(m: Manifest, s: Settings, note) -> tuple[object, list[FixCandidate]]:
    """(bare mirror, candidates newest first: GitHub's, then the history's, no commit twice)."""
    mirror = bare_mirror(m.recipe.source)
    found = github_candidates(mirror, m.recipe.source, m.commit, s.max_candidates, note)
    seen = {c.commit for c in found}
    for c in mine(mirror, m.commit, s.max_candidates):
        if len(found) >= s.max_candidates:
            break
        if c.commit not in seen:
            found.append(c)
            seen.add(c.commit)
    return mirror, found[: s.max_candidates]


def _validate(envs: Environments, m: Manifest, cand: FixCandidate) -> tuple[FixVerdict, Environment | None]:
    try:
        box, env = envs.for_base(cand.parent)
        v = check(box, m, cand)
        if v.environment_suspect and env.kind == "reused":
            # The image's environment may not fit this older commit: install at the base and retry.
            box, env = envs.for_base(cand.parent, force_rebuild=True)
            v = check(box, m, cand)
        return v, env
    except EnvironmentFailed as exc:
        return FixVerdict("environment-failed", str(exc)), None
    except (ForagerError, DockerException) as exc:
        return FixVerdict("error", f"{type(exc).__name__}: {str(exc)[:300]}"), None


def run_image(m: Manifest, out: Path, s: Settings, summary: Summary, done: dict, say, note) -> None:
    require_history(m)
    stats = summary.images.setdefault(m.id, ImageStats())
    say("reading history")
    mirror, cands = gather(m, s, note)
    prior = [a for (mid, _), a in done.items() if mid == m.id]
    kept = sum(1 for a in prior if a.outcome == "kept")
    with summary.lock:
        stats.candidates = len(cands)
        stats.kept = kept
    todo = [c for c in cands if (m.id, c.key) not in done]
    with Environments(m, mirror) as envs:
        for i, cand in enumerate(todo, 1):
            if s.per_image is not None and kept >= s.per_image:
                break
            say(f"{kept} kept, checking {cand.short} ({i}/{len(todo)})")
            v, env = _validate(envs, m, cand)
            task_id = None
            if v.outcome == "kept" and env is not None:
                task = make_task(m, cand, v, env, s)
                envs.keep(env)
                append_line(out, task)
                task_id, kept = task.instance_id, kept + 1
            ledger.record(out, IssueFixAttempt(
                manifest_id=m.id, key=cand.key, operator=f"{VARIANT}:{cand.origin}", outcome=v.outcome,
                seconds=round(v.seconds, 3), instance_id=task_id, reason=v.reason,
                environment=env.kind if env else None))
            with summary.lock:
                stats.validated += 1
                stats.kept += v.outcome == "kept"
                summary.outcomes[v.outcome] += 1
                if env is not None:
                    stats.reused += env.kind == "reused"
                    stats.reinstalled += env.kind == "reinstalled"
                if v.outcome != "kept":
                    summary.rejected.append((m.id, cand.short, v.outcome, v.reason))


def generate(manifests: list[Manifest], out: Path, s: Settings, jobs: int = 1) -> Summary:
    # An "error" (the engine failed, not the candidate) is tried again on the next run.
    summary = Summary()
    done = already_done(out, VARIANT, lambda t: t.meta.source_commit,
                        keep=lambda a: a.operator.startswith(VARIANT) and a.outcome != "error")

    def note(msg: str) -> None:
        with summary.lock:
            if msg in summary.notes:
                return
            summary.notes.append(msg)
        console.print(f"[yellow]note[/yellow]: {msg}", markup=True, highlight=False)

    run_images(manifests, VARIANT, summary, lambda m, ctx: run_image(m, out, s, summary, done, ctx.say, note), jobs)
    return summary


def run_issue_fix(manifests: list[Manifest], output: Path, *, seed: int = 0, max_candidates: int = 50,
                  per_image: int | None = None, jobs: int = 1, show: bool = True, statement: str = "auto",
                  endpoint: str | None = None, model: str = "default") -> Summary:
    """Generate issue-fix tasks into `output` (appending; a rerun resumes) and print a summary."""
    settings = Settings(max_candidates, per_image, seed, statement, endpoint, model)
    summary = generate(manifests, Path(output), settings, jobs)
    if show:
        print_summary(summary, Path(output))
    return summary
