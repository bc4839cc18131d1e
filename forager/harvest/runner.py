"""`forager harvest`: many episodes at once, one atomic JSONL line each, resumable, clean on Ctrl-C.

A rerun skips every (instance_id, attempt) already in the output; an interrupted episode is
not written, so it runs again. SIGTERM is treated like Ctrl-C. A SIGKILL can leave
containers behind: they carry the `forager` label and `forager gc` removes them.
"""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from forager.agent.loop import Interrupted
from forager.engine import LABEL, client
from forager.harvest.episode import HarvestSettings, run_episode
from forager.jsonio import append_line, read_lines
from forager.progress import console, progress
from forager.records.task import Task
from forager.records.trajectory import Trajectory


@dataclass
class HarvestSummary:
    written: int = 0
    skipped: int = 0
    resolved: int = 0
    statuses: Counter = field(default_factory=Counter)
    tokens: int = 0
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)


def pending_jobs(tasks: list[Task], out: Path, attempts: int) -> tuple[list[tuple[Task, int]], int]:
    done = {(t.instance_id, t.attempt) for t in read_lines(out, Trajectory)}
    jobs = [(t, a) for t in tasks for a in range(attempts) if (t.instance_id, a) not in done]
    return jobs, len(tasks) * attempts - len(jobs)


class _Stop:
    """Turns SIGTERM into the same shutdown as Ctrl-C for the duration of a run."""

    def __init__(self):
        self.event = threading.Event()

    def __enter__(self):
        self.old = signal.signal(signal.SIGTERM, self._on_term)
        return self

    def _on_term(self, *_):
        raise KeyboardInterrupt

    def __exit__(self, *exc):
        signal.signal(signal.SIGTERM, self.old)


def _remove_run_containers(run_id: str) -> None:
    for c in client().containers.list(all=True, filters={"label": f"{LABEL}.run={run_id}"}):
        c.remove(force=True)


def harvest(tasks: list[Task], out: Path, s: HarvestSettings, concurrency: int = 1, attempts: int = 1) -> HarvestSummary:
    summary = HarvestSummary()
    jobs, summary.skipped = pending_jobs(tasks, out, attempts)
    run_id = uuid.uuid4().hex[:12]
    labels = {f"{LABEL}.run": run_id}
    server = {} if s.policy == "oracle" else s.make_model(tasks[0]).info() if tasks else {}
    t_start = time.monotonic()
    with _Stop() as stop, progress() as bar, ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        task_bar = bar.add_task("harvest", total=len(jobs), status="")
        running = Counter()

        def one(task: Task, attempt: int) -> Trajectory:
            running["n"] += 1
            try:
                return run_episode(task, attempt, s, server, labels, stop=stop.event)
            finally:
                running["n"] -= 1

        futures: dict[Future, tuple[Task, int]] = {pool.submit(one, t, a): (t, a) for t, a in jobs}
        try:
            _collect(futures, out, summary, bar, task_bar, running, t_start)
        except KeyboardInterrupt:
            summary.interrupted = True
            stop.event.set()
            console.print("interrupted: finishing cleanup (Ctrl-C again to force)")
            for f in futures:
                f.cancel()
            try:
                wait(list(futures), timeout=120)
            except KeyboardInterrupt:
                pass
            _remove_run_containers(run_id)
    return summary


def _collect(futures, out, summary, bar, task_bar, running, t_start) -> None:
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
        for f in done:
            task, attempt = futures[f]
            try:
                traj = f.result()
            except Interrupted:
                continue
            except Exception as exc:  # noqa: BLE001 - one episode's crash never stops the run
                summary.errors.append(f"{task.instance_id}#{attempt}: {type(exc).__name__}: {exc}")
                continue
            append_line(out, traj)
            summary.written += 1
            summary.resolved += traj.reward > 0
            summary.statuses[traj.exit_status.value] += 1
            summary.tokens += sum((t.completion_tokens or 0) for t in traj.turns)
            bar.advance(task_bar)
        rate = summary.tokens / max(1e-6, time.monotonic() - t_start)
        bar.update(task_bar, status=f"running {running['n']}, done {summary.written}, "
                                    f"resolved {summary.resolved}, {rate:.1f} tok/s")
