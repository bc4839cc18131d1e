"""A scripted policy for tests: plays fixed assistant turns (a policy, like the oracle, not a server mock)."""

from __future__ import annotations

from forager.agent.model import Reply
from forager.records.episode_settings import Sampling


class ScriptedPolicy:
    name = "scripted"
    sampling = Sampling(temperature=0, max_tokens=0)

    def __init__(self, turns: list[str]):
        self.turns, self.i = turns, 0

    def complete(self, messages) -> Reply:
        text = self.turns[self.i] if self.i < len(self.turns) else "Done."
        self.i += 1
        return Reply(text=text, finish_reason="stop", prompt_tokens=None, completion_tokens=None, latency=0.0)

    def info(self) -> dict:
        return {}


def bash(cmd: str) -> str:
    return f"Running a command.\n<tool: bash>\n{cmd}\n</tool>"


SUBMIT = "Submitting.\n<tool: submit>\n/tmp/fix.patch\n</tool>"
DIFF = bash("cd /testbed && git add -N . && git diff > /tmp/fix.patch")


class CwmScriptedPolicy(ScriptedPolicy):
    """Plays fixed turns in CWM's dialect: each text follows the prompt's "<think>\\n" and ends on <|eot_id|>."""

    def complete(self, messages) -> Reply:
        text = self.turns[self.i] if self.i < len(self.turns) else "Nothing left.\n</think>\nDone."
        self.i += 1
        return Reply(text="<think>\n" + text, finish_reason="stop", prompt_tokens=None, completion_tokens=None,
                     latency=0.0, stop_token="<|eot_id|>")


def cwm_call(name: str, tool_input: str, reasoning: str = "Next step.") -> str:
    return f"{reasoning}\n</think>\n<tool: {name}>\n{tool_input}\n</tool>"


def cwm_edits(gold_patch: str) -> list[tuple[str, str, str]]:
    """(path, search, replace) per hunk of a patch that only edits files, CWM's edit form (no final newline)."""
    from forager.agent.oracle import parse_patch
    edits = []
    for f in parse_patch(gold_patch):
        assert not (f.new_file or f.deleted), "the scripted cwm fix only edits files"
        edits += [(f"/testbed/{f.path}", "".join(o)[:-1], "".join(n)[:-1]) for o, n in f.hunks]
    return edits


def cwm_edit_message(path: str, content: str, search: str, replace: str) -> tuple[str, str]:
    """(new content, CWM's success message) of an edit, as facebookresearch/cwm
    cwm/rl/swerl/plugins/edit.py computes them (SNIPPET_LINES = 8)."""
    file_content, search_text = "\n" + content, "\n" + search
    occurrence = file_content.index(search_text)
    new = file_content.replace(search_text, "\n" + replace)[1:]
    line = file_content.count("\n", 0, occurrence) + 1
    start, end = max(1, line - 8), line + 8 + ("\n" + replace).count("\n") - 1
    snippet = "\n".join(f"{i:6}\t{text}" for i, text in enumerate(new.split("\n")[start - 1:end], start=start))
    return new, (f"File {path} has been successfully updated at line {line} and now contains {new.count(chr(10)) + 1} "
                 f"lines. The surrounding lines after the edit are shown below:\n{snippet}\n"
                 "Review the changes and make sure they are as expected.")
