"""`sharegpt`: a `system` column and `conversations` of {from, value}: human (the task and any
format error), gpt (the assistant's raw text, its call in Forager's text protocol) and
observation (tool output), as LLaMA-Factory and Axolotl read ShareGPT."""

from __future__ import annotations

from forager.records.dataset import ShareGPTTurn
from forager.records.trajectory import Trajectory


def conversation(t: Trajectory) -> tuple[str, list[ShareGPTTurn]]:
    system = ""
    out: list[ShareGPTTurn] = []
    for m in t.messages:
        if m.role == "system":
            system += m.content
        elif m.role == "assistant":
            out.append(ShareGPTTurn(from_="gpt", value=m.content))
        elif m.role.startswith("tool: ") and m.role != "tool: error":
            out.append(ShareGPTTurn(from_="observation", value=m.content))
        else:
            out.append(ShareGPTTurn(from_="human", value=m.content))
    return system, out
