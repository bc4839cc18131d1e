"""Token counts with the user's tokenizer (a local tokenizer.json) and the length policy.

A trajectory is measured on the text the model saw (cwm_text). Too long: `drop` leaves it out;
`truncate` keeps the longest prefix of whole messages that fits and ends after an assistant
message or an observation (never cut inside a message, never before the first assistant turn).
"""

from __future__ import annotations

from pathlib import Path

from forager.errors import ForagerError
from forager.export.formats.cwm_text import pieces
from forager.records.trajectory import ChatMessage


class Counter:
    def __init__(self, path: str):
        try:
            from tokenizers import Tokenizer
        except ImportError:
            raise ForagerError("token counts need the `tokenizers` package: pip install 'forager[export]'") from None
        if not Path(path).is_file():
            raise ForagerError(f"{path}: no such tokenizer file")
        try:
            self.tok = Tokenizer.from_file(path)
        except Exception as exc:  # the library raises its own exception types
            raise ForagerError(f"{path}: not a tokenizer.json ({exc})") from None

    def per_piece(self, messages: list[ChatMessage]) -> list[int]:
        """Tokens of the bos piece and of each message (header and body)."""
        texts = [p.header + p.body for p in pieces(messages)]
        return [len(e.ids) for e in self.tok.encode_batch(texts, add_special_tokens=False)]


def fit(messages: list[ChatMessage], counts: list[int], limit: int) -> int:
    """How many messages to keep so the text fits in `limit` tokens; 0 when no useful prefix fits."""
    total, best = counts[0], 0  # counts[0] is the bos piece
    for i, m in enumerate(messages):
        total += counts[i + 1]
        if total > limit:
            break
        if m.role == "assistant" or (m.role != "system" and i > 1 and any(x.role == "assistant" for x in messages[:i])):
            best = i + 1
    return best
