"""repair(): one agent episode in a build container that proposes recipes until one validates."""

from __future__ import annotations

import io
import tarfile
import tempfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from string import Template

from pydantic import ValidationError

from forager.agent.dialect import CHAT
from forager.agent.loop import Agent
from forager.agent.model import Model
from forager.agent.protocol import SubmitCall
from forager.agent.shell import ShellSession
from forager.agent.tools import ToolResult, Tools
from forager.containers import Limits, Sandbox
from forager.images.base import ensure_base
from forager.images.source import materialize
from forager.jsonio import append_line
from forager.recipes.attempt import Attempt
from forager.recipes.infer import TARGET_PASSED, TARGET_RATIO
from forager.recipes.inference.candidates import Candidate
from forager.recipes.sources import RepoSource
from forager.recipes.writer import render
from forager.records.episode_settings import AgentLimits
from forager.records.recipe import LoadedRecipe, Recipe
from forager.records.trajectory import Grading, ServerInfo, Timings, Trajectory

PROMPTS = Path(__file__).parent / "prompts"
# Appended by Forager to every proposal (so a proposal cannot drop it): an install that edits the
# repository's tracked files changes its source, which a recipe may not do.
SOURCE_GUARD = ('git diff --quiet HEAD -- || { echo "forager: the install commands changed tracked files of the '
                'repository; a recipe may not change its source" >&2; exit 1; }')


@dataclass
class RepairSettings:
    max_steps: int = 12  # assistant turns
    max_proposals: int = 4  # recipes validated at most


class RepairTools(Tools):
    """bash, create and edit as in an episode; submit validates a recipe file instead of a patch."""

    def __init__(self, session: ShellSession, base: Candidate, validate: Callable[[Candidate], Attempt],
                 settings: RepairSettings):
        super().__init__(session)
        self.base, self.validate, self.repair = base, validate, settings
        self.proposals: list[tuple[Candidate, Attempt]] = []

    def submit(self, call: SubmitCall) -> ToolResult:
        if len(self.proposals) >= self.repair.max_proposals:
            return ToolResult(f"submit refused: {self.repair.max_proposals} recipes were validated already", error=True)
        ans = self.session.request({"op": "read", "path": call.path, "cap": 200_000}, timeout=60)
        if "error" in ans:
            return ToolResult(f"submit failed: {ans['error']}", error=True)
        try:
            recipe = proposal(ans["content"], self.base.recipe)
        except ValueError as exc:
            return ToolResult(f"submit failed: {call.path}: {exc}", error=True)
        cand = Candidate("repair agent", recipe, [*self.base.provenance, f"repair agent: proposed in {call.path}"])
        attempt = self.validate(cand)
        self.proposals.append((cand, attempt))
        if attempt.status in ("built", "up-to-date"):
            good = attempt.meets(TARGET_PASSED, TARGET_RATIO)
            text = (f"validated: {attempt.passed} of {attempt.total} stable tests pass. " +
                    ("That is good enough: answer without a tool call to finish." if good else
                     "Submit a better recipe if you can, or answer without a tool call to finish."))
            return ToolResult(text, patch=ans["content"] if good else None)
        return ToolResult(f"the recipe did not validate ({attempt.status}): {attempt.reason[-500:]}\n{attempt.log_tail}",
                          error=True)


def proposal(text: str, base: Recipe) -> Recipe:
    """The agent's recipe with Forager's name and source, and the source guard last."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML ({exc})") from None
    data.pop("source", None)
    data.update(name=base.name, source=base.source.model_dump(exclude_none=True))
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValueError(f"field '{'.'.join(map(str, first['loc']))}': {first['msg']}") from None
    return recipe.model_copy(update={"install": [*recipe.install, SOURCE_GUARD]})


def _copy_tree(box: Sandbox, recipe: Recipe) -> None:
    with tempfile.TemporaryDirectory(prefix="forager-repair-") as tmp:
        dest = Path(tmp) / "testbed"
        materialize(LoadedRecipe(recipe=recipe, file=Path(tmp) / "recipe.toml"), recipe.source.commit, dest)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            tar.add(dest, arcname="testbed")
        box.container.put_archive("/", buf.getvalue())


def repair(src: RepoSource, best: Candidate, failure: str, validate: Callable[[Candidate], Attempt], model: Model,
           log: Path, settings: RepairSettings | None = None) -> Candidate | None:
    """Run the agent; every proposal is validated by `validate`. Returns the best validated proposal
    (or None) and appends the episode to `log` as a trajectory."""
    settings = settings or RepairSettings()
    started, t0 = datetime.now(timezone.utc).isoformat(), time.monotonic()
    base = ensure_base(best.recipe.python)
    values = {"python": best.recipe.python, "max_turns": settings.max_steps, "repo": src.text,
              "commit": best.recipe.source.commit or "", "recipe": render(best.recipe, [], "the best candidate"),
              "failure": failure[-6000:]}
    system = Template((PROMPTS / "system.txt").read_text()).substitute(values).strip()
    user = Template((PROMPTS / "user.txt").read_text()).substitute(values).strip()
    with Sandbox.start(base, kind="repair", limits=Limits(memory="4g", cpus=1.0, pids=512, network=True),
                       labels={"forager.repair": best.recipe.name}) as box:
        _copy_tree(box, best.recipe)
        session = ShellSession(box)
        image_id = box.container.attrs.get("Image", "")
        try:
            tools = RepairTools(session, best, validate, settings)
            ep = Agent(model, tools, AgentLimits(max_turns=settings.max_steps), dialect=CHAT).run(system, user)
        finally:
            session.close()
    built = [(c, a) for c, a in tools.proposals if a.status in ("built", "up-to-date")]
    winner = max(built, key=lambda ca: (ca[1].passed, ca[1].ratio), default=None)
    good = bool(winner and winner[1].meets(TARGET_PASSED, TARGET_RATIO))
    n = sum(1 for _ in log.open()) if log.exists() else 0
    append_line(log, Trajectory(
        trajectory_id=f"repair__{src.name}#{n}", instance_id=f"repair__{src.name}", attempt=n, variant="recipe-repair",
        repo=src.text, commit=best.recipe.source.commit or "", image=base, image_id=image_id,
        problem_statement=user, FAIL_TO_PASS=[], PASS_TO_PASS=[], policy=getattr(model, "policy", "chat"),
        dialect=CHAT.name, model=model.name, sampling=model.sampling.model_dump(exclude_none=True),
        server=ServerInfo(**{k: v for k, v in model.info().items() if k in ServerInfo.model_fields}),
        limits=AgentLimits(max_turns=settings.max_steps).model_dump(), messages=ep.messages, turns=ep.turns,
        exit_status=ep.status, exit_detail=ep.detail, submitted_patch=ep.patch or "",
        grading=Grading(resolved=good, applied=bool(tools.proposals),
                        log="\n".join(f"{c.label}: {a.status}, {a.passed}/{a.total} ({a.reason[:200]})" for c, a in tools.proposals)),
        reward=1.0 if good else 0.0, timings=Timings(model=round(ep.model_seconds, 3), tools=round(ep.tool_seconds, 3),
                                                       episode=round(time.monotonic() - t0, 3)), started_at=started))
    return winner[0] if winner else None
