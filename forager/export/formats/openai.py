"""`openai`: chat messages with `tool_calls` and `tool` messages, and a `tools` JSON-schema column,
as TRL's SFTTrainer (and most chat templates) take them.

Messages are built as dicts of `OpenAIMessage`'s shape and validated with the whole row.
An assistant turn with a valid call keeps its reasoning as `content` and the call in
`tool_calls` (arguments as a JSON string, as OpenAI's API writes them); the tool's output is a
`tool` message answering that call. A turn without a valid call keeps its raw text, and the
error it got back is a `user` message.
"""

from __future__ import annotations

import json

from forager.records.trajectory import Trajectory

_ARGS = {"bash": ("command",), "edit": ("path", "search", "replace"), "create": ("path", "content"), "submit": ("path",)}
_DESCRIBE = {
    "bash": ("Run shell commands in the persistent shell of the episode.", {"command": "the commands to run"}),
    "edit": ("Replace the lines that match exactly once in a file.",
             {"path": "file to edit", "search": "lines to find", "replace": "replacement lines"}),
    "create": ("Create a new file; its parent directory must exist.", {"path": "file to create", "content": "its content"}),
    "submit": ("Submit a patch file (a git diff) as the solution.", {"path": "path of the patch file"}),
}


def tools_schema() -> list[dict]:
    return [{"type": "function", "function": {
        "name": name, "description": desc,
        "parameters": {"type": "object", "properties": {k: {"type": "string", "description": v} for k, v in props.items()},
                       "required": list(props)}}} for name, (desc, props) in _DESCRIBE.items()]


TOOLS_JSON = json.dumps(tools_schema(), sort_keys=True)


def messages(t: Trajectory) -> list[dict]:
    """The messages as plain dicts of `OpenAIMessage`'s shape; the row model validates them once, whole
    (a model per message and per call costs more than the rest of the row)."""
    out: list[dict] = []
    turn = -1
    pending = ""  # id of the call the next tool message answers
    for m in t.messages:
        if m.role == "assistant":
            turn += 1
            tool = t.turns[turn].tool if turn < len(t.turns) else None
            if tool is not None and tool.name in _ARGS:
                args = {k: getattr(tool.arguments, k) for k in _ARGS[tool.name]}
                pending = f"call_{turn}"
                call = {"id": pending, "type": "function", "function": {"name": tool.name, "arguments": json.dumps(args)}}
                out.append(_message("assistant", m.reasoning, [call]))
            else:
                pending = ""
                out.append(_message("assistant", m.content))
        elif m.role.startswith("tool: "):
            name = m.role.removeprefix("tool: ")
            if pending and name in _ARGS:
                out.append(_message("tool", m.content, tool_call_id=pending, name=name))
            else:
                out.append(_message("user", m.content))
            pending = ""
        else:
            out.append(_message(m.role, m.content))
    return out


def _message(role: str, content: str, tool_calls: list | None = None, tool_call_id: str = "", name: str = "") -> dict:
    return {"role": role, "content": content, "tool_calls": tool_calls or [], "tool_call_id": tool_call_id, "name": name}
