"""The four tools: what each call does in the container and the text the agent gets back."""

from __future__ import annotations

from dataclasses import dataclass

from forager.agent.observation import DEFAULT_MAX_OUTPUT_CHARS, cap_output
from forager.agent.protocol import BashCall, CreateCall, EditCall, SubmitCall
from forager.agent.shell import ShellDied, ShellSession

# The shell server keeps this many times the cap (head and tail) so that a command printing
# gigabytes never crosses the channel; the cut the model sees is made here, by cap_output.
TRANSFER_FACTOR = 4


@dataclass
class ToolResult:
    output: str
    exit_code: int | None = None
    truncated: bool = False
    timed_out: bool = False
    restarted: bool = False
    error: bool = False
    duration: float = 0.0
    patch: str | None = None  # set by an accepted submit


@dataclass
class ToolSettings:
    bash_timeout: float = 120.0
    output_cap: int = DEFAULT_MAX_OUTPUT_CHARS
    max_patch_bytes: int = 1_000_000


def looks_like_diff(text: str) -> bool:
    return ("diff --git " in text or text.startswith("--- ")) and "\n+++ " in text and "\n@@" in text


class Tools:
    def __init__(self, session: ShellSession, settings: ToolSettings | None = None):
        self.session, self.settings = session, settings or ToolSettings()

    def disk_exceeded(self) -> str | None:
        """Why the container was stopped for writing past its disk budget, or None."""
        return self.session.box.disk_exceeded

    def run(self, call) -> ToolResult:
        handler = {BashCall: self.bash, EditCall: self.edit, CreateCall: self.create, SubmitCall: self.submit}
        return handler[type(call)](call)

    def bash(self, call: BashCall) -> ToolResult:
        s = self.settings
        try:
            ans = self.session.request({"op": "bash", "cmd": call.command, "timeout": s.bash_timeout,
                                        "cap": TRANSFER_FACTOR * s.output_cap}, timeout=s.bash_timeout + 60)
        except ShellDied:
            # The command killed the shell server itself (e.g. `kill -9 -1`); ShellDied from
            # restart() means the container is gone, which ends the episode.
            self.session.restart()
            return ToolResult("[the command killed the shell; a new shell was started "
                              "(cd and exports were reset)]", -1, restarted=True)
        text, cut = cap_output(ans["head"] + ans["tail"], s.output_cap, uncounted=ans["dropped"])
        if ans["note"]:
            text += ("\n" if text and not text.endswith("\n") else "") + f"[{ans['note']}]"
        elif ans["exit_code"] != 0:
            text += ("\n" if text and not text.endswith("\n") else "") + f"[exit code {ans['exit_code']}]"
        return ToolResult(text, ans["exit_code"], cut, ans["timed_out"], ans["restarted"],
                          duration=ans["duration"])

    def edit(self, call: EditCall) -> ToolResult:
        ans = self.session.request({"op": "edit", "path": call.path, "search": call.search,
                                    "replace": call.replace}, timeout=60)
        if "error" in ans:
            return ToolResult(f"edit failed: {ans['error']}", error=True)
        return ToolResult(f"edited {call.path}; lines {ans['first']}-{ans['last']} and their surroundings now read:\n"
                          f"{ans['region']}")

    def create(self, call: CreateCall) -> ToolResult:
        ans = self.session.request({"op": "create", "path": call.path, "content": call.content}, timeout=60)
        if "error" in ans:
            return ToolResult(f"create failed: {ans['error']}", error=True)
        return ToolResult(f"created {call.path} ({ans['lines']} lines)")

    def submit(self, call: SubmitCall) -> ToolResult:
        ans = self.session.request({"op": "read", "path": call.path, "cap": self.settings.max_patch_bytes},
                                   timeout=60)
        if "error" in ans:
            return ToolResult(f"submit failed: {ans['error']}", error=True)
        patch = ans["content"]
        if ans["too_big"]:
            return ToolResult(f"submit failed: {call.path} is larger than {self.settings.max_patch_bytes} bytes",
                              error=True)
        if not looks_like_diff(patch):
            return ToolResult(f"submit failed: {call.path} does not hold a git diff "
                              "(write one with: cd /testbed && git diff > /tmp/fix.patch)", error=True)
        files = patch.count("diff --git ") or patch.count("\n+++ ")
        return ToolResult(f"submission recorded: {call.path} ({files} file(s) changed). Reply without a tool "
                          "call to finish, or keep working and submit again.", patch=patch)
