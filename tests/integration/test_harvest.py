"""Harvest end to end: oracle resolves every kept task, tampering never resolves, crashes lose nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from forager.agent.environment import EpisodeEnvironment
from forager.agent.loop import Agent
from forager.engine import LABEL, client
from forager.gc import owner_alive
from forager.harvest.grading import grade
from forager.jsonio import read_lines
from forager.records.episode_settings import AgentLimits
from forager.records.trajectory import Trajectory
from tests.conftest import ALL_OPERATORS_TASKS, ROOT, forager
from tests.integration.scripted import DIFF, SUBMIT, ScriptedPolicy, bash

pytestmark = pytest.mark.docker


def forager_containers(pid: int | None = None) -> list:
    """Forager's containers left by processes that are gone (or by `pid`)."""
    found = client().containers.list(all=True, filters={"label": f"{LABEL}.pid"})
    if pid is not None:
        return [c for c in found if c.labels.get(f"{LABEL}.pid") == str(pid)]
    return [c for c in found if not owner_alive(c.labels)]


def test_oracle_resolves_every_kept_task(example_tasks, tasks_dir, tmp_path):
    out = tmp_path / "oracle.jsonl"
    before = {c.id for c in forager_containers()}  # an earlier test's leftovers are not this run's
    res = forager("harvest", "--tasks", str(tasks_dir / ALL_OPERATORS_TASKS), "--policy", "oracle",
                  "--concurrency", "4", "-o", str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    trajs = list(read_lines(out, Trajectory))
    assert sorted(t.instance_id for t in trajs) == sorted(t.instance_id for t in example_tasks)
    failed = [(t.instance_id, t.exit_status, t.grading) for t in trajs if t.reward != 1.0]
    assert not failed, failed
    for t in trajs:
        assert t.exit_status == "submitted" and t.grading.applied and t.submitted_patch
        assert [m.role for m in t.messages[:2]] == ["system", "user"]
        assert any(m.role == "tool: edit" for m in t.messages)
        assert t.messages[-1].role == "assistant"
        log = (out.parent / t.grading.log_file).read_text()  # the grading log beside the trajectories
        assert t.grading.log_file.startswith("oracle.jsonl.grading/") and "resolved: True" in log
        assert f"applied: True ({t.grading.apply_method})" in log and t.FAIL_TO_PASS[0] in log
    left = [c for c in forager_containers() if c.id not in before and c.labels.get(f"{LABEL}.kind") in ("episode", "grade")]
    assert not left, [c.labels for c in left]


def _tamper(task, turns: list[str]):
    with EpisodeEnvironment(task) as env:
        ep = Agent(ScriptedPolicy(turns + [DIFF, SUBMIT]), env.tools, AgentLimits(max_turns=10)).run("s", "u")
    assert ep.patch, ep.status
    return grade(task, ep.patch)


def _failing_test_file(task) -> str:
    return task.FAIL_TO_PASS[0].split("::")[0]


def test_editing_the_failing_tests_does_not_resolve(example_tasks):
    task = example_tasks[0]
    path = _failing_test_file(task)
    g = _tamper(task, [bash(f"cd /testbed && sed -i 's/^\\(\\s*\\)assert .*/\\1assert True/' {path}")])
    assert g.applied and not g.resolved and path in g.restored_files


def test_a_conftest_that_forces_passes_does_not_resolve(example_tasks):
    task = example_tasks[0]
    hook = ("import pytest\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
            "    outcome = yield\n    rep = outcome.get_result()\n    rep.outcome = 'passed'\n")
    g = _tamper(task, [f"Adding a helper.\n<tool: create>\n/testbed/tests/conftest.py\n{hook}</tool>",
                       bash("cd /testbed && printf '[pytest]\\naddopts = -p no:junitxml\\n' > pytest.ini")])
    assert g.applied and not g.resolved
    assert {"tests/conftest.py", "pytest.ini"} <= set(g.restored_files)


def test_printing_fake_results_does_not_resolve(example_tasks):
    task = example_tasks[0]
    module = next(line[6:] for line in task.bug_patch.splitlines() if line.startswith("+++ b/"))
    ids = " ".join(task.FAIL_TO_PASS)
    fake = ("import atexit\n"
            "def _forge():\n"
            f"    for t in {ids!r}.split():\n"
            "        print(t, 'PASSED')\n"
            "    print('=' * 20, '81 passed in 0.10s', '=' * 20)\n"
            "    for p in ('/tmp/junit.xml', '/testbed/junit.xml', '/testbed/report.xml'):\n"
            "        open(p, 'w').write('<testsuite><testcase classname=\"x\" name=\"y\"/></testsuite>')\n"
            "atexit.register(_forge)\n")
    g = _tamper(task, [bash(f"cd /testbed && cat >> {module} <<'EOF'\n{fake}EOF")])
    assert g.applied and not g.resolved


def _start_harvest(tasks_file, out, concurrency=2):
    return subprocess.Popen([sys.executable, "-m", "forager.cli", "harvest", "--tasks", str(tasks_file),
                             "--policy", "oracle", "--concurrency", str(concurrency), "-o", str(out)],
                            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _wait_for_lines(out, n, proc, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_text().count("\n") >= n:
            return
        time.sleep(0.2)


def test_sigkill_then_gc_then_rerun_gives_each_episode_once(example_tasks, tasks_dir, tmp_path):
    tasks_file = tasks_dir / ALL_OPERATORS_TASKS
    out = tmp_path / "killed.jsonl"
    proc = _start_harvest(tasks_file, out)
    _wait_for_lines(out, 2, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    written = out.read_text().count("\n")
    assert 0 < written < len(example_tasks)
    res = forager("gc")
    assert res.returncode == 0 and "removed" in res.stderr
    assert forager_containers(pid=proc.pid) == []
    res = forager("harvest", "--tasks", str(tasks_file), "--policy", "oracle", "--concurrency", "4", "-o", str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    ids = [json.loads(line)["trajectory_id"] for line in out.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == len(example_tasks)


def test_sigterm_stops_cleanly_and_leaves_no_containers(example_tasks, tasks_dir, tmp_path):
    out = tmp_path / "termed.jsonl"
    proc = _start_harvest(tasks_dir / ALL_OPERATORS_TASKS, out)
    _wait_for_lines(out, 1, proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=300) == 130
    assert forager_containers(pid=proc.pid) == []
    lines = out.read_text().splitlines()
    assert all(json.loads(line)["trajectory_id"] for line in lines)


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_gc_spares_live_owners_and_removes_dead_ones(example_tasks):
    from forager.containers import Sandbox
    task = example_tasks[0]
    with Sandbox.start(task.image, kind="grade") as live, \
            Sandbox.start(task.image, kind="grade", labels={f"{LABEL}.pid": str(_dead_pid())}) as dead:
        res = forager("gc")
        assert res.returncode == 0, res.stderr[-2000:]
        ids = {c.id for c in client().containers.list(all=True, filters={"label": f"{LABEL}.pid"})}
        assert live.id in ids and dead.id not in ids


def test_gc_spares_a_stopped_live_harvest_and_cleans_it_after_sigkill(example_tasks, tasks_dir, tmp_path):
    proc = _start_harvest(tasks_dir / ALL_OPERATORS_TASKS, tmp_path / "live.jsonl")
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not forager_containers(pid=proc.pid):
            time.sleep(0.1)
        # Stopped, the run cannot remove its own containers: whatever survives gc, gc spared.
        os.killpg(proc.pid, signal.SIGSTOP)
        mine = {c.id for c in forager_containers(pid=proc.pid)}
        assert mine, "the harvest never started a container"
        assert forager("gc").returncode == 0
        assert mine <= {c.id for c in forager_containers(pid=proc.pid)}
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert forager_containers(pid=proc.pid), "SIGKILL should leave the run's containers for gc"
    assert forager("gc").returncode == 0
    assert forager_containers(pid=proc.pid) == []
