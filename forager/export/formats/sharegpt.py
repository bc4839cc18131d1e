"""`sharegpt`: a `system` column and `conversations` of {from, value}: human (the task and any
format error), gpt (the assistant's raw text, its call in Forager's text protocol) and
observation (tool output), as LLaMA-Factory and Axolotl read ShareGPT."""

from __future__ import annotations

from forager.records.trajectory import Trajectory


def conversation(t: Trajectory) -> tuple[str, list[dict]]:
    """The system text and the turns as dicts of `ShareGPTTurn`'s shape (validated with the whole row)."""
    system = ""
    out: list[dict] = []
    for m in t.messages:
        if m.role == "system":
            system += m.content
        elif m.role == "assistant":
            out.append({"from": "gpt", "value": m.content})
        elif m.role.startswith("tool: ") and m.role != "tool: error":
            out.append({"from": "observation", "value": m.content})
        else:
            out.append({"from": "human", "value": m.content})
    return system, out
