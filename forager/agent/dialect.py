"""Dialects: the text around the tool calls, chosen per policy and recorded in every trajectory.

- ``cwm``: CWM's own agent dialect (see `forager.agent.cwm`), with reasoning: every
  generation prompt ends ``<think>\\n``, the call is parsed only after the one ``</think>``.
- ``cwm-nothink``: the same without reasoning (no ``<think>``; the whole turn is parsed).
- ``chat``: Forager's plainer dialect for any chat model (the one before dialects existed).
"""

from __future__ import annotations

from dataclasses import dataclass

from forager.agent import cwm
from forager.errors import ForagerError
from forager.records.episode_settings import DIALECTS


@dataclass(frozen=True)
class Dialect:
    name: str

    def __post_init__(self) -> None:
        if self.name not in DIALECTS:
            raise ForagerError(f"unknown dialect '{self.name}'; choose {', '.join(DIALECTS)}")

    @property
    def is_cwm(self) -> bool:
        return self.name.startswith("cwm")

    @property
    def think(self) -> bool:
        return self.name == "cwm"

    @property
    def assistant_prefix(self) -> str:
        """Text every generation prompt ends with (cwm/rl/envs/prompts.py THINK_TAG_START)."""
        return cwm.THINK_START if self.think else ""

    @property
    def stop(self) -> list[str] | None:
        """Stop strings: CWM's environment has none (it stops on its stop tokens); None: the chat protocol's."""
        return [] if self.is_cwm else None

    def prompt_names(self, user_prompt: str) -> tuple[str, str]:
        """(system, user) template names for a variant whose chat user template is `user_prompt`."""
        if self.is_cwm:
            return "cwm_environment", f"cwm_{user_prompt}"
        return "system", user_prompt


CHAT = Dialect("chat")


def cwm_system_prompt(identity: str, reasoning: str, environment: str, think: bool) -> str:
    """CWM's system prompt assembly (cwm/rl/envs/prompts.py get_cwm_sys_prompt, ENV_PROMPT):
    identity (+ " " + the reasoning format), blank line, ``# Environment``, blank line, environment."""
    head = f"{identity.strip()} {reasoning.strip()}" if think else identity.strip()
    env = f"\n# Environment\n\n{environment}\n".strip()
    return "\n\n".join([head, env]).strip()
