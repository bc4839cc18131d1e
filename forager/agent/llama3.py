"""Render a message list in the Llama-3 header format that CWM reads on raw `/v1/completions`.

    <|begin_of_text|><|start_header_id|>ROLE<|end_header_id|>\\n\\nCONTENT<|eot_id|>...
    <|start_header_id|>assistant<|end_header_id|>\\n\\n

Forager renders the prompt itself (instead of a server-side chat template) so that the
logged text is exactly the text the model was given. Roles are system, user, assistant and
``tool: NAME``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, field_validator

BEGIN_OF_TEXT = "<|begin_of_text|>"
START_HEADER = "<|start_header_id|>"
END_HEADER = "<|end_header_id|>"
END_OF_TURN = "<|eot_id|>"

# Anything shaped like a special token. A server tokenizes prompt text with special tokens
# enabled, so a file the agent `cat`s that contains "<|eot_id|>" would otherwise end the
# turn for real and let tool output pose as another speaker.
_SPECIAL = re.compile(r"<\|([A-Za-z0-9_]+)\|>")


class Message(BaseModel):
    """One chat message as the model sees it."""

    role: str
    content: str
    # A special token the model generated to end its turn other than <|eot_id|> (e.g.
    # "<|eom_id|>"): CWM's history keeps it, followed by an inserted <|eot_id|>.
    end: str = ""

    @field_validator("role")
    @classmethod
    def _plain_role(cls, v: str) -> str:
        if not v or "\n" in v or "<|" in v:
            raise ValueError(f"role {v!r} must be one line of plain text")
        return v


def escape_special_tokens(text: str) -> str:
    """Defuse special-token look-alikes: "<|eot_id|>" becomes "< |eot_id|>".

    One visible space is the smallest change that keeps the text readable and stops the
    tokenizer from turning it into a control token.
    """
    return _SPECIAL.sub(lambda m: "< |" + m.group(1) + "|>", text)


def render_message(message: Message | Mapping[str, Any], *, escape: bool = True) -> str:
    """One message: header, blank line, content, end of turn."""
    msg = _as_message(message)
    content = escape_special_tokens(msg.content) if escape else msg.content
    end = msg.end if msg.end != END_OF_TURN else ""
    return f"{header(msg.role)}{content}{end}{END_OF_TURN}"


def header(role: str) -> str:
    """The header that opens a message of `role`, including the blank line after it."""
    return f"{START_HEADER}{role}{END_HEADER}\n\n"


def render_prompt(
    messages: Iterable[Message | Mapping[str, Any]],
    *,
    bos: bool = True,
    generation_prompt: bool = True,
    assistant_prefix: str = "",
    escape: bool = True,
) -> str:
    """The whole prompt for a completion request.

    bos: start with <|begin_of_text|>; turn it off for servers that add BOS themselves
        (two BOS tokens shift the model off its training distribution).
    generation_prompt: end with an open assistant header so the model writes the next turn.
    assistant_prefix: text the assistant turn is forced to start with, e.g. "<think>\\n"
        for CWM's reasoning mode. Only with `generation_prompt`.
    escape: defuse special-token look-alikes in contents (see `escape_special_tokens`).
    """
    if assistant_prefix and not generation_prompt:
        raise ValueError("assistant_prefix needs generation_prompt=True")
    parts = [BEGIN_OF_TEXT] if bos else []
    parts += [render_message(m, escape=escape) for m in messages]
    if generation_prompt:
        parts.append(header("assistant") + assistant_prefix)
    return "".join(parts)


def _as_message(message: Message | Mapping[str, Any] | Any) -> Message:
    if isinstance(message, Message):
        return message
    if isinstance(message, Mapping):
        return Message(role=message["role"], content=message["content"], end=message.get("stop_token", ""))
    # Richer message models (the trajectory's) only need role, content and end token here.
    return Message(role=message.role, content=message.content, end=getattr(message, "stop_token", "") or "")
