"""Episode environments: no trace of the fix, the shell's limits, hostile commands contained."""

from __future__ import annotations

import hashlib

import pytest

from forager.agent.environment import EnvironmentSettings, EpisodeEnvironment
from forager.agent.loop import Agent
from forager.agent.oracle import parse_patch
from forager.agent.protocol import BashCall
from forager.agent.tools import ToolSettings
from forager.containers import Sandbox
from forager.harvest.grading import grade
from forager.records.episode_settings import AgentLimits
from forager.records.trajectory import ExitStatus
from tests.integration.scripted import ScriptedPolicy, bash

pytestmark = pytest.mark.docker


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_start_state_holds_no_trace_of_the_fix(example_tasks):
    task = example_tasks[0]
    (diff,) = parse_patch(task.bug_patch)
    clean_region = "".join(diff.hunks[0][0])  # the hunk as it reads in the clean file
    with Sandbox.start(task.image, kind="test") as clean_box:
        clean = clean_box.read_file(f"/testbed/{diff.path}")
    assert clean_region in clean.decode()
    with EpisodeEnvironment(task) as env:
        sh = lambda cmd: env.box.exec(cmd).output  # noqa: E731
        assert clean_region not in env.box.read_file(f"/testbed/{diff.path}").decode()
        (start,) = sh("git rev-list --all").split()
        assert set(sh("git reflog --all --format=%H").split()) == {start}
        assert sh("git stash list; git tag; git remote; git branch -a --format='%(refname)'").split() == ["refs/heads/main"]
        assert "unreachable" not in sh("git fsck --unreachable --no-reflogs 2>&1")
        assert git_blob_id(clean) not in sh("git cat-file --batch-all-objects --batch-check")
        every_object = env.box.exec("git cat-file --batch-all-objects --batch").output
        assert clean_region not in every_object
        assert sh("ls /tmp/.forager-bug.patch 2>&1; git status --porcelain").strip().endswith("No such file or directory")


def test_shell_keeps_cwd_and_exports_between_calls(example_tasks):
    with EpisodeEnvironment(example_tasks[0]) as env:
        env.tools.run(BashCall(command="cd /testbed/minilib && export FORAGER_X=42"))
        assert env.tools.run(BashCall(command="pwd; echo $FORAGER_X")).output == "/testbed/minilib\n42\n"
        failing = env.tools.run(BashCall(command="ls /nonexistent"))
        assert failing.exit_code == 2 and "[exit code 2]" in failing.output


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


@pytest.mark.parametrize("cmd", ["kill -TERM -1", "kill -9 -1"])
def test_killing_every_process_leaves_a_working_shell(hostile_env, cmd):
    r = hostile_env.tools.run(BashCall(command=cmd))
    # SIGTERM spares the shell server (it ignores it); SIGKILL takes it down and it is restarted.
    assert r.restarted == cmd.startswith("kill -9")
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
