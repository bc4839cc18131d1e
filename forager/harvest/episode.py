"""One episode from task to graded Trajectory: environment, agent loop, grading."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from docker.errors import DockerException

from forager.agent.environment import EnvironmentSettings, EpisodeEnvironment
from forager.agent.loop import Agent, Episode, disk_detail
from forager.agent.model import ChatModel, CompletionsModel, Model
from forager.agent.oracle import OraclePolicy
from forager.agent.prompts import fill_prompt, load_prompt
from forager.disk import DiskLimitExceeded
from forager.errors import ForagerError
from forager.harvest.grading import grade
from forager.records.episode_settings import AgentLimits, Sampling
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

    def make_model(self, task: Task) -> Model:
        if self.policy == "oracle":
            return OraclePolicy(task.gold_patch)
        if not self.endpoint:
            raise ForagerError(f"--endpoint is needed for the {self.policy} policy")
        if self.policy == "cwm":
            return CompletionsModel(self.endpoint, self.model, self.sampling, bos=self.bos)
        return ChatModel(self.endpoint, self.model, self.sampling, timeout=600, api_key=None)


def prompts_for(task: Task, s: HarvestSettings) -> tuple[str, str]:
    values = {"repo": task.repo, "max_turns": s.limits.max_turns, "problem_statement": task.problem_statement}
    return (fill_prompt(load_prompt("system", s.prompts_dir), **values),
            fill_prompt(load_prompt(variant_of(task.variant).user_prompt, s.prompts_dir), **values))


def run_episode(task: Task, attempt: int, s: HarvestSettings, server: dict, labels: dict, stop=None) -> Trajectory:
    started = datetime.now(timezone.utc).isoformat()
    t0 = time.monotonic()
    model = s.make_model(task)
    system, user = prompts_for(task, s)
    ep, timings = Episode(), Timings()
    try:
        with EpisodeEnvironment(task, s.env, labels=labels) as env:
            timings.start_state = round(time.monotonic() - t0, 3)
            ep = Agent(model, env.tools, s.limits, stop=stop).run(system, user)
    except DiskLimitExceeded as exc:  # while the start state was prepared
        ep.status, ep.detail = ExitStatus.disk_limit, disk_detail(str(exc))
    except (ForagerError, DockerException) as exc:
        ep.status, ep.detail = ExitStatus.environment_error, str(exc)[:500]
    timings.model, timings.tools = round(ep.model_seconds, 3), round(ep.tool_seconds, 3)
    timings.episode = round(time.monotonic() - t0, 3)
    g0 = time.monotonic()
    try:
        grading = grade(task, ep.patch)  # no patch: not resolved, without a container
    except DiskLimitExceeded as exc:  # the submission (or its tests) filled the grading container
        not_run = [TestResult(test=t, status="not-run") for t in task.FAIL_TO_PASS + task.PASS_TO_PASS]
        grading = Grading(resolved=False, applied=False, error=f"{exc}; not resolved",
                          fail_to_pass=not_run[:len(task.FAIL_TO_PASS)], pass_to_pass=not_run[len(task.FAIL_TO_PASS):],
                          duration=round(time.monotonic() - g0, 3))
    timings.grading = round(time.monotonic() - g0, 3)
    return Trajectory(
        trajectory_id=f"{task.instance_id}#{attempt}", instance_id=task.instance_id, attempt=attempt,
        variant=task.variant, repo=task.repo, commit=task.commit or "", image=task.image, image_id=task.image_id,
        problem_statement=task.problem_statement, FAIL_TO_PASS=task.FAIL_TO_PASS, PASS_TO_PASS=task.PASS_TO_PASS,
        policy=s.policy, model=model.name,
        sampling=model.sampling.model_dump(exclude_none=True), server=server, limits=s.limits.model_dump(),
        messages=ep.messages, turns=ep.turns, exit_status=ep.status, exit_detail=ep.detail,
        submitted_patch=ep.patch or "", grading=grading, reward=1.0 if grading.resolved else 0.0,
        timings=timings, started_at=started)
