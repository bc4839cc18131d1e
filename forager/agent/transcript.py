"""Rebuild what the model saw from a trajectory, and a readable view of an episode."""

from __future__ import annotations

import json

from forager.agent.dialect import Dialect
from forager.agent.llama3 import render_prompt
from forager.agent.model import CHAT_ROLES
from forager.records.trajectory import Trajectory


def turn_messages(traj: Trajectory, turn: int):
    """The messages before the assistant message of `turn` (0-based): the prompt of that turn."""
    seen = -1
    for i, m in enumerate(traj.messages):
        if m.role == "assistant":
            seen += 1
            if seen == turn:
                return traj.messages[:i]
    if seen + 1 == turn and turn < len(traj.turns):  # a turn whose reply was never recorded
        return traj.messages
    raise IndexError(f"{traj.trajectory_id} has {seen + 1} assistant turns; --turn must be 0..{seen}")


def raw_prompt(traj: Trajectory, turn: int) -> str:
    """The exact text of `turn`'s prompt.

    cwm policy: the Llama-3 text the model read, byte for byte, with <|begin_of_text|> first
    (whether Forager sent it or the server added it); bodies as sent: exact with token ids,
    with special-token look-alikes escaped with a text prompt. chat policy: the server applied its own
    chat template, so this is the JSON message list Forager sent.
    """
    msgs = turn_messages(traj, turn)
    if traj.policy == "cwm":
        prefix = Dialect(traj.dialect).assistant_prefix if traj.dialect else ""
        escape = traj.server.prompt_encoding != "token-ids"  # token ids: bodies reached the model unescaped
        return render_prompt(msgs, bos=True, assistant_prefix=prefix, escape=escape)
    wire = [{"role": m.role if m.role in CHAT_ROLES else "user", "content": m.content} for m in msgs]
    return json.dumps(wire, indent=2, ensure_ascii=False)


def print_episode(traj: Trajectory, console) -> None:
    """A readable view in the terminal: one panel per message, with each turn's numbers."""
    from rich.panel import Panel
    from rich.text import Text
    console.print(f"[bold]{traj.trajectory_id}[/] {traj.repo} {traj.variant} policy={traj.policy} "
                  f"dialect={traj.dialect or '-'} model={traj.model}")
    console.print(f"exit: {traj.exit_status.value} {traj.exit_detail}  reward: {traj.reward}  "
                  f"resolved: {traj.grading.resolved}")
    styles = {"system": "magenta", "user": "cyan", "assistant": "green"}
    turn = -1
    for m in traj.messages:
        title = m.role
        if m.role == "assistant":
            turn += 1
            t = traj.turns[turn] if turn < len(traj.turns) else None
            if t is not None:
                title += (f"  turn {turn}  {t.prompt_tokens}+{t.completion_tokens} tokens  {t.latency:.1f}s"
                          f"  {t.finish_reason}" + (f"  tool={t.tool.name}" if t.tool.name else ""))
        console.print(Panel(Text(m.content), title=title, title_align="left",
                            border_style=styles.get(m.role, "yellow")))
