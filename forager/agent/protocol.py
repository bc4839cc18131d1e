"""CWM's native tool-call text format: parse an assistant turn, and write calls back as text.

A turn is free reasoning followed by exactly one block::

    <tool: NAME>
    INPUT
    </tool>

Rules this parser keeps (each break raises `FormatError` with a message for the model):

- The opening tag starts its own line; the input starts on the next line. A tag in the
  middle of a line is taken as a mention, not a call, but if there is no other call the
  error says where the tag has to go.
- The block ends at the first ``</tool>`` after the opening tag (that is also where a
  completion server stops, see `STOP`). The newline just before ``</tool>`` belongs to the
  format, not to the input.
- After ``</tool>``: whitespace and plain text are ignored (kept in `ParsedTurn.trailing`);
  another opening tag at a line start is a second call, which is an error.
- Tool names are exact and lower case: bash, edit, create, submit.

Inputs per tool:

- bash: the commands, kept byte for byte; must not be blank.
- edit: first line the path, then one SEARCH/REPLACE block. `EditCall.search` and
  `EditCall.replace` hold whole lines, each ending in a newline ("" means no lines).
- create: first line the path, the rest the content. A non-empty content always ends
  with a newline: created files are POSIX text files.
- submit: one line, the path of a patch file.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

TOOLS = ("bash", "edit", "create", "submit")

OPEN_TAG = "<tool: {name}>"
CLOSE_TAG = "</tool>"

# Stop strings for a completion API: the server ends the turn right after the call, so the
# model cannot run on and invent the tool's answer.
STOP = (CLOSE_TAG,)

SEARCH_MARK = "<<<<<<< SEARCH"
DIVIDER_MARK = "======="
REPLACE_MARK = ">>>>>>> REPLACE"
_MARKS = (SEARCH_MARK, DIVIDER_MARK, REPLACE_MARK)

# Opening tag at the start of a line; group 1 is the name as written (maybe empty or wrong).
_OPEN_AT_LINE_START = re.compile(r"^<tool:[ \t]*([^>\n]*?)[ \t]*>", re.MULTILINE)
_OPEN_ANYWHERE = re.compile(r"<tool:[^>\n]*>")

FORMAT_REMINDER = (
    "Write your reasoning, then exactly one tool call:\n"
    "<tool: bash>\n"
    "COMMANDS\n"
    "</tool>\n"
    "The tools are bash, edit, create and submit."
)

_EDIT_LAYOUT = (
    "An edit call looks like this:\n"
    "<tool: edit>\n"
    "PATH\n"
    f"{SEARCH_MARK}\n"
    "LINES AS THEY ARE NOW\n"
    f"{DIVIDER_MARK}\n"
    "LINES AS THEY SHOULD BE\n"
    f"{REPLACE_MARK}\n"
    "</tool>"
)


class FormatError(Exception):
    """The assistant's turn does not hold exactly one well-formed tool call.

    `message` is written for the model: it says what is wrong and how to write it instead.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Call(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BashCall(_Call):
    tool: Literal["bash"] = "bash"
    command: str


class EditCall(_Call):
    tool: Literal["edit"] = "edit"
    path: str
    search: str
    replace: str

    @field_validator("search", "replace")
    @classmethod
    def _whole_lines(cls, v: str) -> str:
        # A line equal to a marker could not be told apart from the marker when written back.
        if any(_is_mark(line) for line in v.split("\n")):
            raise ValueError("a line equal to an edit marker cannot be written in an edit call")
        return v if v == "" or v.endswith("\n") else v + "\n"


class CreateCall(_Call):
    tool: Literal["create"] = "create"
    path: str
    content: str

    @field_validator("content")
    @classmethod
    def _ends_with_newline(cls, v: str) -> str:
        return v if v == "" or v.endswith("\n") else v + "\n"


class SubmitCall(_Call):
    tool: Literal["submit"] = "submit"
    path: str


ToolCall = Annotated[Union[BashCall, EditCall, CreateCall, SubmitCall], Field(discriminator="tool")]


class ParsedTurn(BaseModel):
    """One assistant turn split into its parts."""

    model_config = ConfigDict(frozen=True)

    reasoning: str = Field(description="text before the call, stripped of outer whitespace")
    call: ToolCall
    call_text: str = Field(description="the call exactly as written, from '<tool:' to '</tool>'")
    trailing: str = Field("", description="ignored text after '</tool>', stripped")


# ---------------------------------------------------------------- parsing


def has_tool_call(text: str) -> bool:
    """True when the text tries a tool call: an opening tag at the start of a line.

    An inline mention ("the <tool: edit> tool") does not count, so a final answer that
    talks about tools still ends the episode.
    """
    return _OPEN_AT_LINE_START.search(text) is not None


def parse_tool_call(text: str) -> ParsedTurn:
    """Split an assistant turn into reasoning and its one tool call; see the module rules."""
    opening = _first_opening(text)
    name = opening.group(1)
    _check_name(name)
    body_start = _body_start(text, opening)
    close = text.find(CLOSE_TAG, body_start)
    if close < 0:
        raise FormatError(
            f"The <tool: {name}> block is never closed. End it with a line holding only {CLOSE_TAG}."
        )
    body = text[body_start:close]
    body = body[:-1] if body.endswith("\n") else body
    end = close + len(CLOSE_TAG)
    _check_single(text[end:])
    return ParsedTurn(
        reasoning=text[: opening.start()].strip(),
        call=_PARSERS[name](body),
        call_text=text[opening.start() : end],
        trailing=text[end:].strip(),
    )


def _first_opening(text: str) -> re.Match[str]:
    opening = _OPEN_AT_LINE_START.search(text)
    if opening is not None:
        return opening
    inline = _OPEN_ANYWHERE.search(text)
    if inline is not None:
        raise FormatError(
            f"{inline.group(0)} must start its own line, with the tool's input on the lines "
            f"below and {CLOSE_TAG} on a line after them."
        )
    if CLOSE_TAG in text:
        raise FormatError(f"Found {CLOSE_TAG} but no opening <tool: NAME> line before it.")
    raise FormatError("Your reply has no tool call. " + FORMAT_REMINDER)


def _check_name(name: str) -> None:
    if name in TOOLS:
        return
    known = ", ".join(TOOLS)
    if not name:
        raise FormatError(f"The tool tag names no tool. Write <tool: NAME> with NAME one of {known}.")
    raise FormatError(f"There is no tool named '{name}'. The tools are {known}.")


def _body_start(text: str, opening: re.Match[str]) -> int:
    newline = text.find("\n", opening.end())
    rest_of_line = text[opening.end() : newline if newline >= 0 else len(text)]
    if rest_of_line.strip():
        raise FormatError(
            f"Put the input of <tool: {opening.group(1)}> on the lines after the tag, "
            "not on the same line."
        )
    if newline < 0:
        raise FormatError(
            f"The <tool: {opening.group(1)}> block is never closed. "
            f"End it with a line holding only {CLOSE_TAG}."
        )
    return newline + 1


def _check_single(after: str) -> None:
    extra = len(_OPEN_AT_LINE_START.findall(after))
    if extra:
        raise FormatError(
            f"Your reply has {extra + 1} tool calls. Make exactly one call per turn; you will "
            "see its result before your next turn."
        )


def _parse_bash(body: str) -> BashCall:
    if not body.strip():
        raise FormatError("The bash call is empty. Put the commands between <tool: bash> and </tool>.")
    _reject_nested_opening(body, "bash")
    return BashCall(command=body)


def _parse_submit(body: str) -> SubmitCall:
    _reject_nested_opening(body, "submit")
    lines = [line.strip() for line in body.split("\n") if line.strip()]
    if not lines:
        raise FormatError("The submit call names no file. Give the path of your patch file.")
    if len(lines) > 1:
        raise FormatError(
            "The submit call takes one line: the path of a file holding your changes as a git diff."
        )
    return SubmitCall(path=lines[0])


def _parse_create(body: str) -> CreateCall:
    path, _, rest = body.partition("\n")
    path = _require_path(path, "create", "the path of the new file")
    return CreateCall(path=path, content=rest + "\n" if rest else "")


def _parse_edit(body: str) -> EditCall:
    lines = body.split("\n")
    path = _require_path(lines[0], "edit", "the path of the file to change")
    s, d, r = _edit_markers(lines)
    _require_blank(lines[1:s], f"Nothing may stand between the path and {SEARCH_MARK}.")
    _require_blank(lines[r + 1 :], f"Nothing may follow {REPLACE_MARK} before {CLOSE_TAG}.")
    search, replace = _join(lines[s + 1 : d]), _join(lines[d + 1 : r])
    if not search:
        raise FormatError(
            f"The {SEARCH_MARK} part of the edit is empty. Copy the exact lines you want to "
            "change, indentation included; to make a new file use create instead."
        )
    return EditCall(path=path, search=search, replace=replace)


def _edit_markers(lines: list[str]) -> tuple[int, int, int]:
    """Line indexes of the SEARCH, divider and REPLACE markers, checked for count and order."""
    searches = _mark_lines(lines, SEARCH_MARK)
    replaces = _mark_lines(lines, REPLACE_MARK)
    for mark, found in ((SEARCH_MARK, searches), (REPLACE_MARK, replaces)):
        if not found:
            raise FormatError(f"The edit has no {mark} line. {_EDIT_LAYOUT}")
        if len(found) > 1:
            raise FormatError(
                f"The edit has {len(found)} {mark} lines. Make one change per edit call; "
                "use another turn for the next change."
            )
    s, r = searches[0], replaces[0]
    if r < s:
        raise FormatError(f"{REPLACE_MARK} comes before {SEARCH_MARK}. {_EDIT_LAYOUT}")
    dividers = [i for i in _mark_lines(lines, DIVIDER_MARK) if s < i < r]
    if not dividers:
        problem = (
            f"Its {DIVIDER_MARK} line must stand between {SEARCH_MARK} and {REPLACE_MARK}."
            if _mark_lines(lines, DIVIDER_MARK)
            else f"It has no {DIVIDER_MARK} line between the search and replacement lines."
        )
        raise FormatError(f"The edit is malformed. {problem} {_EDIT_LAYOUT}")
    if len(dividers) > 1:
        raise FormatError(
            f"The edit has {len(dividers)} {DIVIDER_MARK} lines, so it is unclear where the search "
            f"lines end. Choose search lines that do not include a {DIVIDER_MARK} line."
        )
    return s, dividers[0], r


def _is_mark(line: str, mark: str | None = None) -> bool:
    # Trailing spaces after a marker are a typing slip, not a different line.
    stripped = line.rstrip()
    return stripped == mark if mark else stripped in _MARKS


def _mark_lines(lines: list[str], mark: str) -> list[int]:
    return [i for i, line in enumerate(lines) if i > 0 and _is_mark(line, mark)]


def _join(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _require_path(line: str, tool: str, what: str) -> str:
    path = line.strip()
    if not path or _is_mark(path):
        raise FormatError(f"The {tool} call has no path: its first line must be {what}.")
    return path


def _require_blank(lines: list[str], message: str) -> None:
    if any(line.strip() for line in lines):
        raise FormatError(f"{message} {_EDIT_LAYOUT}")


def _reject_nested_opening(body: str, tool: str) -> None:
    # A tag line inside bash or submit input means the model forgot to close the block.
    if _OPEN_AT_LINE_START.search(body):
        raise FormatError(
            f"A new <tool: ...> line appears inside the {tool} call. Close each call with "
            f"{CLOSE_TAG}, and make only one call per turn."
        )


_PARSERS = {"bash": _parse_bash, "edit": _parse_edit, "create": _parse_create, "submit": _parse_submit}


# ---------------------------------------------------------------- writing


def render_tool_call(call: BashCall | EditCall | CreateCall | SubmitCall) -> str:
    """The call as the model would write it; `parse_tool_call` reads it back unchanged."""
    head = OPEN_TAG.format(name=call.tool) + "\n"
    if isinstance(call, BashCall):
        body = call.command + "\n"
    elif isinstance(call, SubmitCall):
        body = call.path + "\n"
    elif isinstance(call, CreateCall):
        body = call.path + "\n" + call.content
    else:
        body = (
            f"{call.path}\n{SEARCH_MARK}\n{call.search}{DIVIDER_MARK}\n"
            f"{call.replace}{REPLACE_MARK}\n"
        )
    return head + body + CLOSE_TAG


# ---------------------------------------------------------------- completion stops


def stop_strings() -> list[str]:
    """The `stop` list for a completion request, so generation ends right after a call."""
    return list(STOP)


def restore_stop(text: str, stop_reason: str | int | None = None, finish_reason: str | None = None) -> str:
    """Put back the ``</tool>`` a server removed from the end of a completion.

    vLLM leaves the matched stop string out of the text and names it in `stop_reason`.
    Servers that do not report it (llama.cpp's OpenAI endpoint) only say
    ``finish_reason == "stop"``; then the string is restored when the text ends inside an
    open tool block, the only place where it can have stopped on ``</tool>``.
    """
    if text.endswith(CLOSE_TAG):
        return text
    if stop_reason == CLOSE_TAG:
        return text + CLOSE_TAG
    if stop_reason is None and finish_reason == "stop" and _ends_inside_block(text):
        return text + CLOSE_TAG
    return text


def _ends_inside_block(text: str) -> bool:
    openings = list(_OPEN_AT_LINE_START.finditer(text))
    return bool(openings) and CLOSE_TAG not in text[openings[-1].end() :]
