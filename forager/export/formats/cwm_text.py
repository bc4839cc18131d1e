"""The ONE place the export gets the text the model saw, message by message.

Today it renders the trajectory's messages with the agent's Llama-3 functions (what the cwm
policy sends to `/v1/completions`: each stored assistant message already starts with the
forced "<think>\\n" prefix). When trajectories record the renderer's own output, switch
`pieces` to read it; nothing else in the export renders text.
"""

from __future__ import annotations

from dataclasses import dataclass

from forager.agent.llama3 import BEGIN_OF_TEXT, header, render_message
from forager.records.trajectory import ChatMessage


@dataclass(frozen=True)
class Piece:
    role: str  # "bos", or the message's role
    header: str  # text the model read before the message's content ("" for bos)
    body: str  # the content and its end-of-turn token
    index: int  # the message's index in the trajectory, -1 for bos


def pieces(messages: list[ChatMessage], *, bos: bool = True) -> list[Piece]:
    out = [Piece("bos", "", BEGIN_OF_TEXT, -1)] if bos else []
    for i, m in enumerate(messages):
        # The agent's own renderer (escaping, a kept non-eot stop token), so the two never differ.
        out.append(Piece(m.role, header(m.role), render_message(m)[len(header(m.role)):], i))
    return out
