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


class CwmTools:
    """The four tools with CWM's feedback shapes (facebookresearch/cwm cwm/rl/swerl/tools.py and
    plugins/): a tool gets its whole input text and answers with CWM's exact feedback text.

    bash: the raw output, trailing newline kept, stdout and stderr in one stream, no exit code;
    a timeout or a dead shell is replaced by CWM's session sentence. edit and create: the
    plugin's message plus the newline its print() adds. submit: the patch in CWM's
    submission block, or CWM's refusal.
    """

    def __init__(self, tools: Tools):
        self.tools = tools

    @property
    def session(self) -> ShellSession:
        return self.tools.session

    def run(self, name: str, tool_input: str) -> tuple[ToolResult, dict]:
        """The result and the arguments to record, for a call CWM's parser accepted."""
        return getattr(self, name)(tool_input)

    def bash(self, command: str) -> tuple[ToolResult, dict]:
        return self._raw_bash(command), {"command": command}

    def _raw_bash(self, command: str) -> ToolResult:
        """CWM's bash: the whole output, or its session sentence. Output past 480 KiB ends the
        session (cwm/rl/swerl/remote/session.py max_buffer_size): the shell server keeps at most
        that much (plus a margin) on the channel and counts the rest, so a command printing
        gigabytes stays bounded; the shell is then restarted, as CWM starts a fresh session."""
        from forager.agent import cwm
        s = self.tools.settings
        limit = cwm.MAX_BASH_OUTPUT_BYTES
        try:
            ans = self.session.request({"op": "bash", "cmd": command, "timeout": s.bash_timeout,
                                        "cap": limit + 4096}, timeout=s.bash_timeout + 60)
        except ShellDied:
            self.session.restart()
            return ToolResult(cwm.SESSION_DIED, -1, restarted=True, error=True)
        text = ans["head"] + ans["tail"]
        if ans["dropped"] or len(text.encode()) > limit:  # before a timeout too: CWM stops reading there
            if not ans["restarted"]:
                self.session.restart()
            return ToolResult(cwm.SESSION_TOO_LONG, ans["exit_code"], truncated=True, timed_out=ans["timed_out"],
                              restarted=True, error=True, duration=ans["duration"])
        if ans["timed_out"]:
            return ToolResult(cwm.SESSION_TIMEOUT, ans["exit_code"], timed_out=True, restarted=True, error=True,
                              duration=ans["duration"])
        if ans["restarted"]:  # the shell exited under the command, or a fork bomb was contained
            return ToolResult(cwm.SESSION_DIED, -1 if ans["exit_code"] == -1 else ans["exit_code"],
                              restarted=True, error=True, duration=ans["duration"])
        return ToolResult(text, ans["exit_code"], False, False, False, duration=ans["duration"])

    def edit(self, tool_input: str) -> tuple[ToolResult, dict]:
        ans = self.session.request({"op": "cwm_edit", "command": tool_input}, timeout=60)
        args = {}
        if ans.get("parts"):
            path, search, replace = ans["parts"]
            args = {"path": path, "search": search, "replace": replace}
        return ToolResult(ans["message"] + "\n", error=not ans["ok"]), args

    def create(self, tool_input: str) -> tuple[ToolResult, dict]:
        ans = self.session.request({"op": "cwm_create", "command": tool_input}, timeout=60)
        path, _, content = tool_input.partition("\n")
        return ToolResult(ans["message"] + "\n", error=not ans["ok"]), {"path": path, "content": content}

    def submit(self, tool_input: str) -> tuple[ToolResult, dict]:
        from forager.agent import cwm
        path = tool_input.strip()
        s = self.tools.settings
        ans = self.session.request({"op": "bash", "cmd": f"cat {path}", "timeout": s.bash_timeout,
                                    "cap": 2 * s.max_patch_bytes}, timeout=s.bash_timeout + 60)
        ok = ans["exit_code"] == 0 and not ans["timed_out"] and not ans["dropped"]
        content = ans["head"] + ans["tail"] if ok else None
        refused = cwm.submit_failure(path, content)
        if refused:
            return ToolResult(refused, error=True), {"path": path}
        return ToolResult(cwm.submission_feedback(content), patch=content), {"path": path}
