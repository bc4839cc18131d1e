"""What the model sees after a tool call: the tool's output and the budget it has left.

An observation is a message with role ``tool: NAME`` and this content::

    <output>
    TEXT
    </output>
    <budget>
    turns left: 12
    tokens left: 80431
    </budget>

- One trailing newline of TEXT is dropped, because nearly every command ends its output
  with one and the closing tag already starts a new line. Empty output is an empty line.
- TEXT is not escaped: the model must see what the command printed, even "</output>".
- "turns left" counts the assistant turns still allowed after this observation; "tokens
  left" the context tokens not used yet. Both are whole numbers, never below zero, so the
  model can plan (for example submit before it runs out).
"""

from __future__ import annotations

from forager.agent.llama3 import Message

# About 4-5k tokens of typical shell output: enough for a pytest failure with its traceback,
# small enough that a stray `cat` of a big file does not eat the context.
DEFAULT_MAX_OUTPUT_CHARS = 16_000

# Below this a cut output would be mostly the notice itself.
MIN_CAP = 100


def observation_role(tool: str) -> str:
    """The role string of an observation from `tool`."""
    return f"tool: {tool}"


def format_budget(turns_left: int, tokens_left: int) -> str:
    """The budget block, without a newline before or after it."""
    return f"<budget>\nturns left: {max(turns_left, 0)}\ntokens left: {max(tokens_left, 0)}\n</budget>"


def format_observation(output: str, *, turns_left: int, tokens_left: int) -> str:
    """Observation content: the output block followed by the budget block."""
    text = output[:-1] if output.endswith("\n") else output
    return f"<output>\n{text}\n</output>\n{format_budget(turns_left, tokens_left)}"


def observation_message(tool: str, output: str, *, turns_left: int, tokens_left: int) -> Message:
    """The message that carries `tool`'s output back to the model."""
    return Message(
        role=observation_role(tool),
        content=format_observation(output, turns_left=turns_left, tokens_left=tokens_left),
    )


def cap_output(text: str, max_chars: int = DEFAULT_MAX_OUTPUT_CHARS, uncounted: int = 0) -> tuple[str, bool]:
    """Shorten `text` to at most `max_chars`, keeping its head and tail.

    The start of an output usually says what ran and its end says how it went (a
    traceback, a test summary), so the middle is what goes. A line in its place states
    how many bytes were cut. Returns the text and whether it was cut. `uncounted`:
    bytes already taken from the middle before this call (the shell server bounds what
    crosses the channel); the notice counts them too, and `text` is then cut whatever its size.
    """
    if max_chars < MIN_CAP:
        raise ValueError(f"max_chars must be at least {MIN_CAP}, got {max_chars}")
    if len(text) <= max_chars and not uncounted:
        return text, False
    # Size the notice for the largest count it could show, so the result never overflows.
    room = max_chars - len(_notice(len(text.encode()) + uncounted)) - 2  # the newlines around the notice
    head = _head(text, room // 2)
    tail = _tail(text, room - room // 2)
    cut = len(text[len(head): len(text) - len(tail)].encode()) + uncounted
    head = head if head.endswith("\n") else head + "\n"
    return f"{head}{_notice(cut)}\n{tail}", True


def _notice(cut: int) -> str:
    return f"[... {cut} bytes of output cut from the middle ...]"


def _head(text: str, size: int) -> str:
    # End on a line break when one is near, so the cut does not split a line.
    head = text[:size]
    newline = head.rfind("\n")
    return head[: newline + 1] if newline >= size // 2 else head


def _tail(text: str, size: int) -> str:
    tail = text[len(text) - size :] if size else ""
    newline = tail.find("\n")
    return tail[newline + 1 :] if 0 <= newline < size // 2 else tail
