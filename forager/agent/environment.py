"""EpisodeEnvironment: a fresh, limited container in the task's start state, with its shell and tools."""

from __future__ import annotations

from dataclasses import dataclass, field

from forager.agent.shell import ShellSession
from forager.agent.tools import Tools, ToolSettings
from forager.containers import Limits, Sandbox
from forager.errors import ForagerError
from forager.records.task import Task
from forager.tasks.variants import variant_of


class StartStateError(ForagerError):
    """The task's start state could not be prepared (the bug patch does not apply, ...)."""


@dataclass
class EnvironmentSettings:
    limits: Limits = Limits(memory="2g", cpus=1.0, pids=256, network=False, disk="2g")
    tools: ToolSettings = field(default_factory=ToolSettings)


class EpisodeEnvironment:
    def __init__(self, task: Task, settings: EnvironmentSettings | None = None,
                 labels: dict[str, str] | None = None):
        self.task = task
        settings = settings or EnvironmentSettings()
        self.box = Sandbox.start(task.image, kind="episode", limits=settings.limits,
                                 labels={"forager.instance": task.instance_id, **(labels or {})})
        try:
            self._prepare()
            self.session = ShellSession(self.box)
        except BaseException:
            self.box.remove()
            raise
        self.tools = Tools(self.session, settings.tools)

    def _prepare(self) -> None:
        patch_path = "/tmp/.forager-bug.patch"
        if self.task.bug_patch:
            self.box.write_file(patch_path, self.task.bug_patch.encode())
        script = variant_of(self.task.variant).start_script(self.task, patch_path)
        res = self.box.exec(script, timeout=300, workdir="/")
        if res.exit_code != 0:
            raise StartStateError(f"start state of {self.task.instance_id} failed: {res.output.strip()[-300:]}")

    def close(self) -> None:
        self.session.close() if hasattr(self, "session") else None
        self.box.remove()

    def __enter__(self) -> "EpisodeEnvironment":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
