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
