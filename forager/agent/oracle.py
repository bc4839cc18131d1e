"""The oracle policy: applies the gold patch through the edit tool and submits it.

It proves a task and the whole harness without a model: every hunk becomes one edit call
(old lines -> new lines), new files become create calls (their new folders made first with
`mkdir -p`), deleted files a bash `git rm`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from forager.agent.llama3 import Message
from forager.agent.model import Reply
from forager.agent.protocol import BashCall, CreateCall, EditCall, SubmitCall, render_tool_call
from forager.records.episode_settings import Sampling

PATCH_PATH = "/tmp/fix.patch"
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@")


@dataclass
class FileDiff:
    path: str
    new_file: bool = False
    deleted: bool = False
    hunks: list[tuple[list[str], list[str]]] = field(default_factory=list)  # (old lines, new lines)


def parse_patch(patch: str) -> list[FileDiff]:
    files: list[FileDiff] = []
    cur: FileDiff | None = None
    old: list[str] = []
    new: list[str] = []
    for line in patch.splitlines(keepends=True):
        if line.startswith("diff --git "):
            cur = FileDiff(path=line.split(" b/", 1)[1].strip())
            files.append(cur)
        elif cur is None:
            continue
        elif line.startswith("new file mode"):
            cur.new_file = True
        elif line.startswith("deleted file mode"):
            cur.deleted = True
        elif _HUNK.match(line):
            old, new = [], []
            cur.hunks.append((old, new))
        elif cur.hunks and line[:1] in (" ", "-", "+") and not line.startswith(("--- ", "+++ ")):
            body = line[1:] if line.endswith("\n") else line[1:] + "\n"
            if line[0] in " -":
                old.append(body)
            if line[0] in " +":
                new.append(body)
    return files


def oracle_calls(gold_patch: str) -> list:
    calls: list = []
    new_files = []
    files = parse_patch(gold_patch)
    # The create tool wants an existing parent: folders only new files live in are made first.
    known = {str(PurePosixPath(f.path).parent) for f in files if not f.new_file}
    fresh = sorted({str(PurePosixPath(f.path).parent) for f in files if f.new_file} - known - {"."})
    if fresh:
        calls.append(BashCall(command="cd /testbed && mkdir -p " + " ".join(shlex.quote(d) for d in fresh)))
    for f in files:
        path = f"/testbed/{f.path}"
        if f.deleted:
            calls.append(BashCall(command=f"cd /testbed && git rm -q {f.path}"))
        elif f.new_file:
            content = "".join(line for _, new in f.hunks for line in new)
            calls.append(CreateCall(path=path, content=content))
            new_files.append(f.path)
        else:
            calls += [EditCall(path=path, search="".join(o), replace="".join(n)) for o, n in f.hunks]
    intent = " ".join(shlex.quote(p) for p in new_files)
    # -f: a new file of the fix may match an ignore rule (it is tracked all the same in the fix's commit).
    add = f"git add -f -N {intent} && " if intent else ""
    calls.append(BashCall(command=f"cd /testbed && {add}git diff > {PATCH_PATH}"))
    calls.append(SubmitCall(path=PATCH_PATH))
    return calls


GOLD_COPY = "/tmp/.oracle-gold.patch"
# What the edit tool says when it replaced nothing (forager's dialect, CWM's).
EDIT_FAILED = ("edit failed:", "No replacement was performed")


def file_of(call) -> str | None:
    """The repository file an edit call changes (None for other calls)."""
    return call.path.removeprefix("/testbed/") if isinstance(call, EditCall) else None


def fallback_calls(gold_patch: str, path: str, copied: bool) -> list:
    """One file's hunks by `git apply` instead of edits: a hunk whose old lines occur more than once in
    the file (the edit tool refuses it) still lands where the patch says."""
    calls = [] if copied else [CreateCall(path=GOLD_COPY, content=gold_patch)]
    q = shlex.quote(path)
    calls.append(BashCall(command=f"cd /testbed && git checkout -- {q} && git apply --include={q} {GOLD_COPY}"))
    return calls


class OraclePolicy:
    """Plays the gold patch as a scripted conversation; then answers without a tool call. When an
    edit replaces nothing (its old lines are not unique in the file), that file's remaining hunks are
    dropped and the file is patched with `git apply` instead."""

    name = "oracle"
    sampling = Sampling(temperature=0, top_p=1, max_tokens=0)

    def __init__(self, gold_patch: str):
        self.gold = gold_patch
        self.calls = oracle_calls(gold_patch)
        self.turn = 0
        self.last = None  # the call of the previous turn
        self.copied = False

    @staticmethod
    def _text(i: int, call) -> str:
        return f"Applying the reference fix, step {i + 1}.\n\n{render_tool_call(call)}"

    def complete(self, messages: list[Message]) -> Reply:
        path = file_of(self.last)
        if path and messages and any(m in messages[-1].content for m in EDIT_FAILED):
            rest = [c for c in self.calls[self.turn:] if file_of(c) != path]
            self.calls[self.turn:] = fallback_calls(self.gold, path, self.copied) + rest
            self.copied = True
        if self.turn < len(self.calls):
            self.last = self.calls[self.turn]
            text = self._text(self.turn, self.last)
        else:
            self.last, text = None, "The reference fix is submitted."
        self.turn += 1
        return Reply(text=text, finish_reason="stop", prompt_tokens=None, completion_tokens=None, latency=0.0)

    def info(self) -> dict:
        return {"policy": "oracle"}
