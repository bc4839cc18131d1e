"""`cwm`: the exact text the model saw, cut into segments with a loss flag.

Headers, the system prompt and the task never carry loss; every assistant message does; each
observation (tool output, format errors) carries loss with probability `observation_loss_rate`,
decided by a hash of the seed, the trajectory and the message index, so a rebuild is identical.
CWM trained on both agent and environment turns with the loss masked on half the observations.
"""

from __future__ import annotations

import hashlib

from forager.export.formats.cwm_text import pieces
from forager.records.dataset import Segment
from forager.records.trajectory import ChatMessage


def observation_trained(seed: int, trajectory_id: str, index: int, rate: float) -> bool:
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    h = hashlib.blake2b(f"{seed}\0{trajectory_id}\0{index}".encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") / 2**64 < rate


def segments(messages: list[ChatMessage], trajectory_id: str, *, seed: int, rate: float) -> list[Segment]:
    out = []
    for p in pieces(messages):
        if p.header:
            out.append(Segment(role=p.role, text=p.header, loss=False))
        if p.role == "assistant":
            loss = True
        elif p.role.startswith("tool") or (p.role == "user" and p.index > 1):
            loss = observation_trained(seed, trajectory_id, p.index, rate)
        else:
            loss = False
        out.append(Segment(role=p.role, text=p.body, loss=loss))
    return out
