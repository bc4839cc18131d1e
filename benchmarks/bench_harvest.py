"""Harvest throughput: oracle episodes per minute at several concurrencies, and how much of a
local-model episode's wall time is spent outside the model.

    python benchmarks/bench_harvest.py [--tasks FILE] [--concurrency 1 4 8] [--model-episodes 2] [--no-model]

Without --tasks, mutate-fix tasks are generated first on the example image (per_image 8, seed 0).
Every run writes a fresh trajectories file in a temporary directory (removed unless --keep).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from common import current_manifest, run_in_tmp, table

from forager.harvest.episode import HarvestSettings
from forager.harvest.runner import harvest
from forager.jsonio import read_lines
from forager.records.episode_settings import AgentLimits, Sampling
from forager.records.task import Task
from forager.records.trajectory import Trajectory
from forager.serve.local import MODEL_NAME, start_local
from forager.tasks.mutate_fix.pipeline import Settings, generate


def make_tasks(tmp: Path, per_image: int) -> Path:
    out = tmp / "tasks.jsonl"
    t0 = time.perf_counter()
    generate([current_manifest("minilib")], out, Settings(per_image=per_image, seed=0))
    print(f"generated {len(list(read_lines(out, Task)))} tasks in {time.perf_counter() - t0:.1f} s: {out}")
    return out


def run(tasks: list[Task], out: Path, s: HarvestSettings, concurrency: int) -> tuple[list[Trajectory], float]:
    t0 = time.perf_counter()
    summary = harvest(tasks, out, s, concurrency=concurrency)
    seconds = time.perf_counter() - t0
    for e in summary.errors:
        print(f"  error: {e}")
    return list(read_lines(out, Trajectory)), seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=Path, help="mutate-fix tasks JSONL (default: generate 8 on the example)")
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--model-episodes", type=int, default=2, help="local-model episodes (0: skip)")
    ap.add_argument("--keep", action="store_true", help="keep the tasks and trajectories files")
    a = ap.parse_args()
    run_in_tmp(bench, a, "forager-bench-harvest-")


def bench(a, tmp: Path) -> None:
    tasks = list(read_lines(a.tasks or make_tasks(tmp, 8), Task))

    rows, base = [], None
    for c in a.concurrency:
        trajs, sec = run(tasks, tmp / f"oracle-c{c}.jsonl", HarvestSettings(policy="oracle"), c)
        rate = 60 * len(trajs) / sec
        base = base or rate
        rows.append((c, len(trajs), sum(t.reward > 0 for t in trajs), f"{sec:.1f}", f"{rate:.1f}", f"{rate / base:.2f}x"))
    table(f"oracle policy, {len(tasks)} tasks", ["concurrency", "episodes", "resolved", "seconds",
                                                 "episodes/min", f"vs concurrency {a.concurrency[0]}"], rows)

    if a.model_episodes <= 0:
        return
    server, endpoint = start_local(n_ctx=4096)
    try:
        s = HarvestSettings(policy="chat", endpoint=endpoint, model=MODEL_NAME,
                            sampling=Sampling(max_tokens=128, seed=0),
                            limits=AgentLimits(max_turns=4, max_context_tokens=4096))
        trajs, sec = run(tasks[: a.model_episodes], tmp / "local.jsonl", s, 1)
    finally:
        server.stop()
    rows = []
    for t in trajs:
        model_s = sum(turn.latency for turn in t.turns)
        tm = t.timings
        rows.append((t.instance_id.rsplit("__", 1)[-1], len(t.turns), t.exit_status.value, f"{tm.episode:.2f}",
                     f"{tm.start_state:.2f}", f"{model_s:.2f}", f"{tm.tools:.2f}", f"{tm.grading:.2f}",
                     f"{1 - model_s / tm.episode:.0%}"))
    total_model = sum(sum(turn.latency for turn in t.turns) for t in trajs)
    total_ep = sum(t.timings.episode for t in trajs)
    rows.append(("all", sum(len(t.turns) for t in trajs), "", f"{total_ep:.2f}", "", f"{total_model:.2f}", "", "",
                 f"{1 - total_model / total_ep:.0%}"))
    table(f"chat policy, {MODEL_NAME} on llama.cpp (max_turns 4, max_tokens 128, n_ctx 4096); run {sec:.1f} s",
          ["task", "turns", "status", "episode s", "start state s", "model s", "tools s", "grading s",
           "outside model"], rows)
    print("episode s excludes grading; outside model = 1 - sum(turn latency) / episode s")


if __name__ == "__main__":
    main()
