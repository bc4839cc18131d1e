"""Episode environments: no trace of the fix, the shell's limits, hostile commands contained."""

from __future__ import annotations

import hashlib
import time

import pytest

from forager.agent.environment import EnvironmentSettings, EpisodeEnvironment
from forager.agent.loop import Agent, AgentLimits
from forager.agent.oracle import parse_patch
from forager.agent.protocol import BashCall
from forager.agent.tools import ToolSettings
from forager.containers import Sandbox
from forager.harvest.grading import grade
from forager.harvest.trajectory import ExitStatus
from tests.integration.scripted import ScriptedPolicy, bash

pytestmark = pytest.mark.docker


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def removing_task(tasks):
    """A task whose bug patch deletes lines, so the clean code has text the buggy one lacks."""
    for t in tasks:
        removed = [line[1:].strip() for line in t.bug_patch.splitlines()
                   if line.startswith("-") and not line.startswith("---") and len(line.strip()) > 12]
        if removed:
            return t, removed
    raise AssertionError("no task removes a line")


def test_start_state_holds_no_trace_of_the_fix(example_tasks):
    task, removed = removing_task(example_tasks)
    path = parse_patch(task.bug_patch)[0].path
    with Sandbox.start(task.image, kind="test") as clean_box:
        clean = clean_box.read_file(f"/testbed/{path}")
    blob = git_blob_id(clean)
    with EpisodeEnvironment(task) as env:
        sh = lambda cmd: env.box.exec(cmd).output  # noqa: E731
        assert task.bug_patch and removed[0] not in env.box.read_file(f"/testbed/{path}").decode()
        assert sh("git rev-list --all | wc -l").strip() == "1"
        assert sh("git reflog --all | wc -l").strip() == "1"
        assert sh("git stash list; git tag; git remote; git branch -a --format='%(refname)'").split() == ["refs/heads/main"]
        assert sh("git fsck --unreachable --no-reflogs --lost-found 2>&1 | grep -c unreachable || true").strip() == "0"
        objects = sh("git cat-file --batch-all-objects --batch-check")
        assert blob not in objects
        grep = sh(f"git grep -F -e {removed[0]!r} $(git rev-list --all) -- {path} || true")
        assert grep.strip() == ""
        assert sh("ls /tmp/.forager-bug.patch 2>&1; git status --porcelain").strip().endswith("No such file or directory")


def test_shell_keeps_state_and_beats_docker_exec(example_tasks):
    with EpisodeEnvironment(example_tasks[0]) as env:
        env.tools.run(BashCall(command="cd /testbed/minilib && export FORAGER_X=42"))
        assert env.tools.run(BashCall(command="pwd; echo $FORAGER_X")).output == "/testbed/minilib\n42\n"
        t0 = time.monotonic()
        for _ in range(20):
            env.tools.run(BashCall(command="true"))
        shell = (time.monotonic() - t0) / 20
        t0 = time.monotonic()
        for _ in range(5):
            env.box.exec("true")
        exec_ = (time.monotonic() - t0) / 5
    assert shell < exec_


@pytest.fixture
def hostile_env(example_tasks):
    settings = EnvironmentSettings(tools=ToolSettings(bash_timeout=4, output_cap=4000))
    with EpisodeEnvironment(example_tasks[0], settings) as env:
        yield env


def test_endless_output_is_cut_and_stopped(hostile_env):
    r = hostile_env.tools.run(BashCall(command="yes forager"))
    assert r.timed_out and r.restarted and r.truncated
    assert "bytes of output cut" in r.output and len(r.output) < 6000


def test_sleep_past_the_limit_restarts_the_shell(hostile_env):
    hostile_env.tools.run(BashCall(command="cd /tmp"))
    r = hostile_env.tools.run(BashCall(command="sleep 60"))
    assert r.timed_out and r.restarted and "timed out" in r.output
    assert hostile_env.tools.run(BashCall(command="pwd")).output == "/testbed\n"


def test_fork_bomb_is_contained(hostile_env):
    r = hostile_env.tools.run(BashCall(command=":(){ :|:& };:"))
    after = hostile_env.tools.run(BashCall(command="echo alive"))
    assert r.restarted or after.restarted
    assert hostile_env.tools.run(BashCall(command="echo alive")).output == "alive\n"


@pytest.mark.parametrize("cmd", ["kill -1", "kill -9 -1"])
def test_kill_everything_restarts_the_shell(hostile_env, cmd):
    r = hostile_env.tools.run(BashCall(command=cmd))
    assert r.restarted
    assert hostile_env.tools.run(BashCall(command="echo back")).output == "back\n"
    hostile_env.box.container.reload()
    assert hostile_env.box.container.status == "running"


def test_network_calls_fail(hostile_env):
    r = hostile_env.tools.run(BashCall(
        command="python -c \"import urllib.request; urllib.request.urlopen('http://1.1.1.1', timeout=3)\""))
    assert r.exit_code not in (0, None) and not r.timed_out


def test_deleting_testbed_ends_with_a_status_and_no_resolution(example_tasks):
    task = example_tasks[0]
    policy = ScriptedPolicy([bash("rm -rf /testbed; ls /testbed"), bash("cd / && echo still here"),
                             "I give up."])
    with EpisodeEnvironment(task) as env:
        ep = Agent(policy, env.tools, AgentLimits(max_turns=5, max_format_errors=2)).run("s", "u")
    assert ep.status == ExitStatus.format_errors and ep.patch is None
    assert "No such file or directory" in ep.messages[3].content
    assert "still here" in ep.messages[5].content
    assert grade(task, ep.patch).resolved is False
