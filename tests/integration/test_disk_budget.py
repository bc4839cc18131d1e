"""Disk budgets: a container that writes past its budget is stopped, says so, and leaves nothing."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest
from docker.errors import NotFound

from forager.agent.environment import EnvironmentSettings, EpisodeEnvironment
from forager.agent.protocol import BashCall
from forager.agent.tools import ToolSettings
from forager.containers import Limits, Sandbox
from forager.disk import DiskLimitExceeded
from forager.engine import client
from forager.harvest.episode import HarvestSettings, run_episode
from forager.records.trajectory import ExitStatus
from tests.integration.scripted import SUBMIT, ScriptedPolicy, bash

pytestmark = pytest.mark.docker

BUDGET = "200m"
# 4 x 100 MB in separate files: no single file reaches the budget (that is RLIMIT_FSIZE's job),
# the total does; fsync'd so the bytes are really on the disk.
FILL = ("for i in 1 2 3 4; do dd if=/dev/zero of=/tmp/fill$i bs=1M count=100 conv=fsync status=none; done; "
        "echo wrote it all")
MARGIN = 150 << 20  # growth of the host disk we tolerate (other work shares this engine)


def host_used() -> int:
    return shutil.disk_usage("/var/lib/docker").used


def gone(container_id: str) -> bool:
    try:
        client().containers.get(container_id)
    except NotFound:
        return True
    return False


@dataclass
class Scripted(HarvestSettings):
    turns: tuple = ()

    def make_model(self, task):
        return ScriptedPolicy(list(self.turns))


@pytest.fixture
def started(monkeypatch) -> list[Sandbox]:
    """Every Sandbox the test starts."""
    seen = []
    real_start = Sandbox.start.__func__

    def spy(cls, *a, **kw):
        box = real_start(cls, *a, **kw)
        seen.append(box)
        return box

    monkeypatch.setattr(Sandbox, "start", classmethod(spy))
    return seen


def test_episode_that_fills_its_budget_ends_with_disk_limit(example_tasks, started):
    settings = Scripted(env=EnvironmentSettings(limits=Limits(memory="1g", pids=256, disk=BUDGET)),
                        turns=(bash("echo warming up"), bash(FILL), bash("echo should never run")))
    before = host_used()
    traj = run_episode(example_tasks[0], 0, settings, server={}, labels={})
    after = host_used()
    assert traj.exit_status == ExitStatus.disk_limit
    assert traj.exit_detail == "the episode container wrote more than 200 MB (its disk budget); the episode was stopped"
    assert len(traj.turns) == 2 and "warming up" in traj.messages[3].content
    assert not any("wrote it all" in m.content for m in traj.messages if m.role != "assistant")
    assert traj.grading.resolved is False
    (box,) = started  # no patch: grading ran no container
    assert box.watchdog.mode == "upper" and box.watchdog.size_at_stop < (200 << 20) + MARGIN
    assert gone(box.id)
    assert after - before < MARGIN, f"the host disk grew by {(after - before) >> 20} MB"


def test_episode_shell_caps_single_files(example_tasks):
    settings = EnvironmentSettings(limits=Limits(memory="1g", pids=256, disk=BUDGET), tools=ToolSettings(bash_timeout=30))
    with EpisodeEnvironment(example_tasks[0], settings) as env:
        r = env.tools.run(BashCall(command="ulimit -f; ulimit -c"))
        assert r.output == f"{200 * 1024}\n0\n"
        assert env.tools.disk_exceeded() is None


def test_grading_container_is_stopped_past_its_budget(example_tasks, started, monkeypatch):
    task = example_tasks[0]
    # A submission that fixes the bug and writes 400 MB whenever the package is imported.
    with Sandbox.start(task.image, kind="test", limits=Limits(disk=None)) as box:
        box.write_file("/tmp/bug.patch", task.bug_patch.encode())
        box.write_file("/tmp/fill.py", b"import os as _os\nfor _i in range(4):\n"
                       b"    with open(f'/tmp/fill{_i}', 'wb') as _f:\n"
                       b"        [_f.write(bytes(1 << 20)) for _ in range(100)]\n"
                       b"        _f.flush(); _os.fsync(_f.fileno())\n")
        res = box.exec("git apply /tmp/bug.patch && git -c user.email=t@t -c user.name=t commit -qam bug && "
                       "git apply -R /tmp/bug.patch && cat /tmp/fill.py >> minilib/__init__.py && git diff", timeout=60)
        assert res.exit_code == 0 and "_os.fsync" in res.output, res.output
        patch = res.output
    monkeypatch.setenv("FORAGER_DISK_BUDGET", BUDGET)  # grading's budget (episodes keep theirs)
    create = f"Writing the patch.\n<tool: create>\n/tmp/fix.patch\n{patch}</tool>"
    settings = Scripted(turns=(create, SUBMIT, "Done."))
    before = host_used()
    traj = run_episode(task, 0, settings, server={}, labels={})
    assert traj.exit_status == ExitStatus.submitted, traj.exit_detail
    g = traj.grading
    assert not g.resolved and traj.reward == 0.0
    assert g.error == "the grade container wrote more than 200 MB (its disk budget) and was stopped; not resolved"
    grading_box = started[-1]
    assert grading_box.kind == "grade" and grading_box.disk_exceeded and gone(grading_box.id)
    assert host_used() - before < MARGIN


def test_plain_exec_past_the_budget_raises_and_later_calls_say_why(base_image):
    with Sandbox.start(base_image, kind="validate", limits=Limits(disk=BUDGET)) as box:
        with pytest.raises(DiskLimitExceeded, match="validate container wrote more than 200 MB"):
            box.exec(FILL, workdir="/")
        with pytest.raises(DiskLimitExceeded):
            box.exec("true", workdir="/")
        cid = box.id
    assert gone(cid)


def test_exec_keeps_its_results_and_times_out(base_image):
    with Sandbox.start(base_image, kind="test", limits=Limits(disk=None)) as box:
        r = box.exec("echo out; echo err >&2; exit 3", workdir="/")
        assert (r.exit_code, sorted(r.output.split()), r.timed_out) == (3, ["err", "out"], False)
        r = box.exec("sleep 30", timeout=1, workdir="/")
        assert r.timed_out and r.exit_code == 124 and r.duration < 10
        assert box.exec("exit 124", workdir="/").timed_out is False  # its own code, not the default limit
