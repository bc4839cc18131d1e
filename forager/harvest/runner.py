"""`forager harvest`: many episodes at once, one atomic JSONL line each, resumable, clean on Ctrl-C.

A rerun skips every (instance_id, attempt) already in the output; an interrupted episode is
not written, so it runs again. SIGTERM is treated like Ctrl-C. A SIGKILL can leave
containers behind: they carry the `forager` label and `forager gc` removes them.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from forager.engine import LABEL, client
from forager.harvest.episode import HarvestSettings, first_messages, run_episode
from forager.jsonio import append_line, read_lines, write_atomic
from forager.records.task import Task
from forager.records.trajectory import Trajectory
from forager.work.runner import Item, ItemContext, RunReport, RunSpec, run_items


@dataclass
class HarvestSummary:
    written: int = 0
    skipped: int = 0
    resolved: int = 0
    statuses: Counter = field(default_factory=Counter)
    tokens: int = 0
    interrupted: bool = False
    duplicates: int = 0  # late duplicates dropped
    errors: list[str] = field(default_factory=list)


def pending_jobs(tasks: list[Task], out: Path, attempts: int) -> tuple[list[tuple[Task, int]], int]:
    done = {(t.instance_id, t.attempt) for t in read_lines(out, Trajectory)}
    jobs = [(t, a) for t in tasks for a in range(attempts) if (t.instance_id, a) not in done]
    return jobs, len(tasks) * attempts - len(jobs)


def grading_log_path(out: Path, trajectory_id: str) -> Path:
    return out.with_name(out.name + ".grading") / f"{trajectory_id.replace('/', '_')}.log"


def write_grading_log(out: Path, traj: Trajectory) -> None:
    """The grading's log in a file beside the trajectories, named in the trajectory (written first,
    so a trajectory line never names a file that is not there)."""
    g = traj.grading
    path = grading_log_path(out, traj.trajectory_id)
    lines = [f"trajectory: {traj.trajectory_id}", f"resolved: {g.resolved}", f"applied: {g.applied} ({g.apply_method or '-'})",
             f"restored or removed: {', '.join(g.restored_files) or 'nothing'}", f"error: {g.error or '-'}",
             f"exit code: {g.exit_code}", "FAIL_TO_PASS:", *(f"  {r.status:8} {r.test}" for r in g.fail_to_pass),
             "PASS_TO_PASS:", *(f"  {r.status:8} {r.test}" for r in g.pass_to_pass), "", g.log]
    write_atomic(path, "\n".join(lines) + "\n")
    g.log_file = str(path.relative_to(out.parent))


def _remove_run_containers(run_id: str) -> None:
    for c in client().containers.list(all=True, filters={"label": f"{LABEL}.run={run_id}"}):
        c.remove(force=True)


def probe_server(task: Task, s: HarvestSettings) -> dict:
    """Ask the server once: its models, context, tokenize route, and how it tokenizes the first
    prompt (cwm: BOS is never sent twice). Settings the episodes need are kept in `s.server`."""
    model = s.make_model(task)
    server = model.info()
    if s.policy == "cwm":
        server["bos"] = model.probe_bos(first_messages(task, s))
        s.bos = server["bos"] == "forager"
    s.server = server
    return server


def harvest(tasks: list[Task], out: Path, s: HarvestSettings, concurrency: int = 1, attempts: int = 1,
            executor=None) -> HarvestSummary:
    """`executor`: where episodes run (None: threads here; a cluster's RayExecutor). This process
    writes every line either way."""
    summary = HarvestSummary()
    jobs, summary.skipped = pending_jobs(tasks, out, attempts)
    written = {(t.instance_id, t.attempt) for t in read_lines(out, Trajectory)}
    run_id = uuid.uuid4().hex[:12]
    labels = {f"{LABEL}.run": run_id}
    server = probe_server(tasks[0], s) if tasks and s.policy != "oracle" else {}
    t_start = time.monotonic()

    def work(job: tuple[Task, int], ctx: ItemContext) -> Trajectory:
        task, attempt = job
        return run_episode(task, attempt, s, server, labels, stop=ctx.stop)

    def on_result(item: Item, traj: Trajectory) -> None:
        if (traj.instance_id, traj.attempt) in written:
            summary.duplicates += 1  # a rerun elsewhere of an episode already written (at-least-once): dropped
            return
        written.add((traj.instance_id, traj.attempt))
        write_grading_log(out, traj)
        append_line(out, traj)
        summary.written += 1
        summary.resolved += traj.reward > 0
        summary.statuses[traj.exit_status.value] += 1
        summary.tokens += sum((t.completion_tokens or 0) for t in traj.turns)

    def status(report: RunReport, running: int) -> str:
        rate = summary.tokens / max(1e-6, time.monotonic() - t_start)
        return f"running {running}, done {summary.written}, resolved {summary.resolved}, {rate:.1f} tok/s"

    items = [Item(f"{t.instance_id}#{a}", (t, a), place=t.image, image_id=t.image_id) for t, a in jobs]
    report = run_items(items, RunSpec(
        title="harvest", work=work, on_result=on_result, item_bars=False, status=status,
        on_failure=lambda item, reason: summary.errors.append(f"{item.key}: {reason}"),
        cleanup=lambda: _remove_run_containers(run_id) if executor is None else None), jobs=concurrency, executor=executor)
    summary.interrupted = report.interrupted
    return summary
