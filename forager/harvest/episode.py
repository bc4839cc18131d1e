"""One episode from task to graded Trajectory: environment, agent loop, grading."""

from __future__ import annotations

import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from docker.errors import DockerException

from forager.agent.dialect import Dialect, cwm_system_prompt
from forager.agent.environment import EnvironmentSettings, EpisodeEnvironment
from forager.agent.llama3 import Message
from forager.agent.loop import Agent, Episode, disk_detail
from forager.agent.model import ChatModel, CompletionsModel, Model
from forager.agent.oracle import OraclePolicy
from forager.agent.prompts import fill_prompt, load_prompt
from forager.disk import DiskLimitExceeded
from forager.errors import ForagerError
from forager.harvest.grading import grade
from forager.records.episode_settings import DEFAULT_DIALECT, AgentLimits, Sampling
from forager.records.task import Task
from forager.records.trajectory import ExitStatus, Grading, TestResult, Timings, Trajectory
from forager.tasks.variants import variant_of

POLICIES = ("cwm", "chat", "oracle")


@dataclass
class HarvestSettings:
    policy: str = "oracle"
    endpoint: str | None = None
    model: str = "default"
    sampling: Sampling = field(default_factory=Sampling)
    limits: AgentLimits = field(default_factory=AgentLimits)
    env: EnvironmentSettings = field(default_factory=EnvironmentSettings)
    prompts_dir: Path | None = None
    bos: bool = True
    dialect_name: str | None = None  # None: the policy's default (DEFAULT_DIALECT)
    # What the harvest learnt from the server once (tokenize route, context, who adds BOS).
    server: dict = field(default_factory=dict)
    # Several endpoints: the pool each episode takes the least busy one from (EndpointPool or a
    # cluster's); None: `endpoint` for every episode.
    pool: object | None = None

    @property
    def dialect(self) -> Dialect:
        return Dialect(self.dialect_name or DEFAULT_DIALECT[self.policy])

    def make_model(self, task: Task, endpoint: str | None = None) -> Model:
        if self.policy == "oracle":
            return OraclePolicy(task.gold_patch)
        endpoint = endpoint or self.endpoint
        if not endpoint:
            raise ForagerError(f"--endpoint is needed for the {self.policy} policy")
        d = self.dialect
        if self.policy == "cwm":
            model = CompletionsModel(endpoint, self.model, self.sampling, bos=self.bos,
                                     assistant_prefix=d.assistant_prefix, stop=d.stop,
                                     context_limit=self.limits.max_context_tokens)
        else:
            model = ChatModel(endpoint, self.model, self.sampling, timeout=600, api_key=None,
                              context_limit=self.limits.max_context_tokens)
        if self.server and isinstance(model, CompletionsModel):
            model.use(self.server)
        elif self.server:
            model._server_len = int(self.server.get("max_model_len") or 0)
            model._tokenize_route = self.server.get("tokenizer", "")
        return model


def trajectory_id(instance_id: str, attempt: int) -> str:
    """Unique across runs, not only within one output file: two policies (or two harvests) on the
    same task and attempt would otherwise share an id, and a curator's keep/drop lists, dedupe
    clusters and export rows go by it. Resume goes by (instance_id, attempt), never by this id."""
    return f"{instance_id}#{attempt}-{secrets.token_hex(4)}"


def prompt_values(task: Task, s: HarvestSettings) -> dict:
    return {"repo": task.repo, "max_turns": s.limits.max_turns, "problem_statement": task.problem_statement,
            "context_size": s.limits.max_context_tokens,
            "session_timeout": f"{int(s.env.tools.bash_timeout)}-second", "repo_root": "/testbed",
            "failing_tests": "\n".join(f"- {t}" for t in task.FAIL_TO_PASS)}


def prompts_for(task: Task, s: HarvestSettings) -> tuple[str, str]:
    values = prompt_values(task, s)
    d = s.dialect
    system_name, user_name = d.prompt_names(variant_of(task.variant).user_prompt)
    user = fill_prompt(load_prompt(user_name, s.prompts_dir), **values)
    if not d.is_cwm:
        return fill_prompt(load_prompt(system_name, s.prompts_dir), **values), user
    parts = [fill_prompt(load_prompt(n, s.prompts_dir), **values)
             for n in ("cwm_identity", "cwm_reasoning", "cwm_environment")]
    return cwm_system_prompt(*parts, think=d.think), user


def first_messages(task: Task, s: HarvestSettings) -> list[Message]:
    system, user = prompts_for(task, s)
    if s.dialect.is_cwm:
        system, user = system.strip(), user.strip()
    return [Message(role="system", content=system), Message(role="user", content=user)]


@contextmanager
def _endpoint(s: HarvestSettings):
    if s.pool is None or s.policy == "oracle":
        yield None
        return
    endpoint = s.pool.acquire()
    try:
        yield endpoint
    finally:
        s.pool.release(endpoint)


def run_episode(task: Task, attempt: int, s: HarvestSettings, server: dict, labels: dict, stop=None) -> Trajectory:
    started = datetime.now(timezone.utc).isoformat()
    t0 = time.monotonic()
    model = s.make_model(task)
    system, user = prompts_for(task, s)
    ep, timings, used = Episode(), Timings(), None
    try:
        with EpisodeEnvironment(task, s.env, labels=labels) as env:
            timings.start_state = round(time.monotonic() - t0, 3)
            with _endpoint(s) as used:  # taken when the first turn is near, kept to the end
                model = s.make_model(task, used) if used else model
                ep = Agent(model, env.tools, s.limits, stop=stop, dialect=s.dialect).run(system, user)
    except DiskLimitExceeded as exc:  # while the start state was prepared
        ep.status, ep.detail = ExitStatus.disk_limit, disk_detail(str(exc))
    except (ForagerError, DockerException) as exc:
        ep.status, ep.detail = ExitStatus.environment_error, str(exc)[:500]
    timings.model, timings.tools = round(ep.model_seconds, 3), round(ep.tool_seconds, 3)
    timings.episode = round(time.monotonic() - t0, 3)
    g0 = time.monotonic()
    try:
        # no patch: not resolved, without a container. cwm dialect: only an episode its final
        # answer ended is graded, as in CWM's eval (turn and context limits fail it).
        grading = grade(task, ep.patch if ep.graded else None)
        if not ep.graded and ep.patch:
            grading.error = (f"not graded: the episode ended by {ep.status.value}, and the cwm dialect grades "
                             "only an episode its final answer ended (as CWM's eval)")
    except DiskLimitExceeded as exc:  # the submission (or its tests) filled the grading container
        not_run = [TestResult(test=t, status="not-run") for t in task.FAIL_TO_PASS + task.PASS_TO_PASS]
        grading = Grading(resolved=False, applied=False, error=f"{exc}; not resolved",
                          fail_to_pass=not_run[:len(task.FAIL_TO_PASS)], pass_to_pass=not_run[len(task.FAIL_TO_PASS):],
                          duration=round(time.monotonic() - g0, 3))
    timings.grading = round(time.monotonic() - g0, 3)
    return Trajectory(
        trajectory_id=trajectory_id(task.instance_id, attempt), instance_id=task.instance_id, attempt=attempt,
        variant=task.variant, operator=task.meta.operator or "", repo=task.repo, commit=task.commit or "",
        image=task.image, image_id=task.image_id,
        problem_statement=task.problem_statement, FAIL_TO_PASS=task.FAIL_TO_PASS, PASS_TO_PASS=task.PASS_TO_PASS,
        policy=s.policy, dialect=s.dialect.name, model=model.name,
        sampling=model.sampling.model_dump(exclude_none=True), limits=s.limits.model_dump(),
        server={**server, "endpoint": used} if used else server,  # the endpoint this episode kept
        messages=ep.messages, turns=ep.turns, exit_status=ep.status, exit_detail=ep.detail,
        submitted_patch=ep.patch or "", grading=grading, reward=1.0 if grading.resolved else 0.0,
        timings=timings, started_at=started)
