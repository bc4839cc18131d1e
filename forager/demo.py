"""`forager demo`: the whole pipeline on the bundled example, with the local model and the oracle.

Idempotent: every stage is resumable, so a second run reuses the image, the tasks and the
trajectories it finds and only does what is missing.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from forager import paths
from forager.engine import client
from forager.errors import EngineUnavailable, ForagerError
from forager.harvest.episode import HarvestSettings
from forager.harvest.runner import harvest, pending_jobs
from forager.images import base
from forager.images.pipeline import build_one
from forager.jsonio import read_lines
from forager.progress import console
from forager.records.episode_settings import AgentLimits, Sampling
from forager.records.task import Task
from forager.records.trajectory import Trajectory
from forager.serve.local import MODEL_NAME, start_local
from forager.tables import Col, fitted
from forager.tasks.mutate_fix.pipeline import Settings, generate

EXAMPLE_RECIPE = paths.PROJECT_DIR / "recipes" / "example.toml"


@dataclass
class DemoSettings:
    out: Path = Path("runs/demo")
    tasks: int = 6
    model_tasks: int = 2
    model_turns: int = 6
    concurrency: int = 2


def ensure_engine() -> None:
    try:
        client()
    except EngineUnavailable:
        console.print("no Docker engine answers: running scripts/docker-up.sh")
        subprocess.run(["bash", str(paths.PROJECT_DIR / "scripts" / "docker-up.sh")], check=False)
        client.cache_clear()
        client()


def ensure_base() -> None:
    try:
        base.find_base(base.BOOKWORM_PYTHON)
    except ForagerError:
        console.print("step: base image (first run: debootstrap, a few minutes)")
        base.build_base(base.BOOKWORM_PYTHON, origin="auto")


def run_demo(s: DemoSettings) -> dict:
    ensure_engine()
    ensure_base()
    images_dir, tasks_file = s.out / "images", s.out / "tasks.jsonl"
    console.print("step: example image (build + validation)")
    outcome = build_one(EXAMPLE_RECIPE, images_dir)
    if outcome.status not in ("built", "up-to-date"):
        raise ForagerError(f"the example image did not build: {outcome.message}")
    console.print("step: mutate-fix tasks")
    generate([outcome.manifest], tasks_file, Settings(per_image=s.tasks, seed=0))
    tasks = list(read_lines(tasks_file, Task))
    if not tasks:
        raise ForagerError(f"no tasks were kept in {tasks_file}")
    console.print("step: oracle episodes")
    harvest(tasks, s.out / "oracle.jsonl", HarvestSettings(policy="oracle"), concurrency=s.concurrency)
    console.print(f"step: local model episodes ({MODEL_NAME} through llama.cpp's OpenAI server)")
    local_out = s.out / "local.jsonl"
    if pending_jobs(tasks[: s.model_tasks], local_out, 1)[0]:
        _local_episodes(tasks[: s.model_tasks], local_out, s)
    return report(s.out, len(tasks))


def _local_episodes(tasks: list[Task], out: Path, s: DemoSettings) -> None:
    server, endpoint = start_local()
    try:
        local = HarvestSettings(policy="chat", endpoint=endpoint, model=MODEL_NAME,
                                sampling=Sampling(temperature=0.2, max_tokens=384, seed=0),
                                limits=AgentLimits(max_turns=s.model_turns, max_context_tokens=4096,
                                                   max_seconds=600))
        harvest(tasks, out, local, concurrency=1)
    finally:
        server.stop()


def report(out: Path, n_tasks: int) -> dict:
    cols = [Col("policy", keep=8), Col("episodes", keep=7), Col("resolved", keep=6), Col("model turns", keep=5),
            Col("exit statuses", keep=9)]
    rows, result = [], {"tasks": n_tasks}
    for policy, name in (("oracle", "oracle.jsonl"), ("chat (local model)", "local.jsonl")):
        trajs = list(read_lines(out / name, Trajectory))
        resolved = sum(t.reward > 0 for t in trajs)
        statuses = Counter(t.exit_status.value for t in trajs)
        turns = "-" if policy == "oracle" else str(sum(len(t.turns) for t in trajs))
        rows.append([policy, str(len(trajs)), str(resolved), turns,
                     ", ".join(f"{k} {v}" for k, v in sorted(statuses.items()))])
        result[name] = (len(trajs), resolved)
    console.print(f"tasks: {n_tasks} in {out / 'tasks.jsonl'}")
    console.print(fitted(console, "forager demo", cols, rows))
    console.print(f"trajectories: {out / 'oracle.jsonl'} (oracle), {out / 'local.jsonl'} (local model)")
    _require_model_turns(out / "local.jsonl")
    return result


def _require_model_turns(path: Path) -> None:
    """A demo whose model episodes never reached the model has not shown the model path working."""
    trajs = list(read_lines(path, Trajectory))
    if not any(t.turns for t in trajs):
        details = sorted({f"{t.exit_status.value}: {t.exit_detail[:120]}" for t in trajs})
        raise ForagerError(f"no local-model episode reached the model ({'; '.join(details) or 'none written'}); "
                           f"see {path} and {paths.cache('logs') / 'local-server.log'}")
