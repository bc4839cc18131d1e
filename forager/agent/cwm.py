"""CWM's own agent dialect: the formats of facebookresearch/cwm's SWE-RL tool environment.

Every rule here is a format CWM was trained on, cited by the file of facebookresearch/cwm
(commit 7930e02) it comes from; the prose around it lives in Forager's template files.

- `cwm/rl/envs/prompts.py`: reasoning opens with ``<think>\\n`` (the generation prompt),
  ends with the model's ``</think>``.
- `cwm/rl/envs/envs/swerl_tool.py` (`step`): exactly one ``</think>``; only the text after
  it is parsed; errors go back as ``user`` messages ``ErrorClass: message``; observations are
  ``<output>\\n...\\n</output>\\n\\n<budget>...</budget>`` with role ``tool: NAME``.
- `cwm/rl/swerl/default_tools.py` (`parse_tool_calls`): the call grammar and its errors.
- `cwm/rl/swerl/tools.py`: bash and submit feedback; `cwm/rl/swerl/plugins/{edit,create}.py`
  (run by Forager's shell server, see `forager/images/helpers/shell_server.py`): edit and create.

The short feedback sentences are kept word for word: they are formats the model keys on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

THINK_START = "<think>\n"
THINK_END = "</think>"

# cwm/rl/swerl/default_tools.py L16
TOOL_CALL_REGEX = re.compile(r"<tool:\s([a-zA-Z_]+)>\n(.*?)\n</tool>", re.DOTALL)

# cwm/rl/swerl/default_tools.py L10-13 + cwm/rl/swerl/default_configs.py L31 (plugins)
TOOL_NAMES = ("bash", "edit", "create", "submit")

# swerl_tool.py L239-268
OUTPUT_TEMPLATE = "<output>\n{feedback}\n</output>"
BUDGET_TEMPLATE = "<budget>\n* Remaining turns: {remaining_turns}\n* Remaining tokens: {remaining_tokens}\n</budget>"
SUBMISSION_TEMPLATE = (
    "The following patch content is marked as your final submission:\n\n<submission>\n{pred_patch}\n</submission>\n\n"
    "Review the patch content and ensure it correctly resolves the issue. If necessary, you can continue refining "
    "the patch and submit an updated version."
)
# swerl_tool.py L126: an observation's tool message is cut to this many tokens, from the right,
# after the budget block is added; the kept tokens end with this (cwm/rl/envs/utils/dialogs.py).
MAX_OBSERVATION_TOKENS = 32768
ABBREVIATION = "[...]"
# cwm/rl/swerl/remote/session.py max_buffer_size: more bash output than this ends the session.
MAX_BASH_OUTPUT_BYTES = 480 * 1024

# swerl_tool.py L386-413: terminal details (no observation; failed even after a submit).
MAX_TURNS_REACHED = "Max turns reached"


def context_exceeded(used: int, limit: int) -> str:
    return f"Context size exceeded: {used} > {limit}"

# cwm/rl/swerl/tools.py L85-97
RESTART = " A fresh session has started with the current working directory reset to default."
SESSION_TIMEOUT = "The current session has terminated due to timeout." + RESTART
SESSION_TOO_LONG = "The current session has terminated because your previous command produced too much output." + RESTART
SESSION_DIED = "The current session has terminated unexpectedly." + RESTART


class CwmError(Exception):
    """A turn CWM's environment answers with an error: `kind` is the class name it shows."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message

    @property
    def feedback(self) -> str:
        """The body of the user message (swerl_tool.py L478-503: f"{type(e).__name__}: {e}")."""
        return f"{self.kind}: {self.message}"


def format_error(message: str) -> CwmError:
    return CwmError("FormatError", message)


@dataclass(frozen=True)
class CwmTurn:
    reasoning: str  # text between the generation prompt's <think>\n and </think>
    answer: str  # text after </think> (the whole text without reasoning)
    name: str
    tool_input: str


def split_reasoning(text: str, think: bool) -> tuple[str, str]:
    """(reasoning, answer) of a generated turn (`text` excludes the prompt's ``<think>\\n``).

    swerl_tool.py L415-425: exactly one ``</think>``, else FormatError; the answer is what
    follows the first one. A call drafted inside the reasoning is never parsed.
    """
    if not think:
        return "", text
    count = text.count(THINK_END)
    if count != 1:
        raise format_error(f"Expected exactly one thinking end token, got {count}")
    reasoning, answer = text.split(THINK_END, 1)
    return reasoning, answer


def parse_tool_calls(answer: str) -> tuple[str, str]:
    """The one (name, input) of `answer`, with the checks of default_tools.py L16-56, in order."""
    matches = TOOL_CALL_REGEX.findall(answer)
    if len(matches) > 1:
        names = ", ".join(name for name, _ in matches)
        raise format_error(f"Expected one tool call, but found {len(matches)}: {names}. "
                           "Ensure only one <tool:...></tool> block is present in the response.")
    opening, closing = answer.count("<tool:"), answer.count("</tool>")
    if opening != len(matches) or closing != len(matches):
        raise format_error(f"Mismatch in tool tag counts: found {len(matches)} tool calls via regex, "
                           f"but counted {opening} opening tags and {closing} closing tags.")
    if not matches:
        raise format_error("No tool calls found")
    name, tool_input = matches[0]
    if tool_input.strip() == "":
        raise format_error(f"Tool '{name}' requires non-empty arguments, but received empty or whitespace-only input.")
    return name, tool_input


def parse_turn(text: str, think: bool = True, tools: tuple[str, ...] = TOOL_NAMES) -> CwmTurn:
    """Parse a generated turn; raises CwmError (FormatError or NoSuchToolError)."""
    reasoning, answer = split_reasoning(text, think)
    name, tool_input = parse_tool_calls(answer)
    if name not in tools:  # cwm/rl/swerl/tools.py L64-76
        raise CwmError("NoSuchToolError", f"Tool '{name}' not found.")
    return CwmTurn(reasoning=reasoning, answer=answer, name=name, tool_input=tool_input)


def observation_body(output: str, remaining_turns: int | str, remaining_tokens: int | str) -> str:
    """The body of a ``tool: NAME`` message: output block, blank line, budget block (no newline after)."""
    budget = BUDGET_TEMPLATE.format(remaining_turns=remaining_turns, remaining_tokens=remaining_tokens)
    return f"{OUTPUT_TEMPLATE.format(feedback=output)}\n\n{budget}"


def budget_probe(output: str) -> str:
    """The body whose token count is subtracted from the remaining tokens (swerl_tool.py L547-569):
    the observation with the budget template's placeholders left unfilled."""
    return f"{OUTPUT_TEMPLATE.format(feedback=output)}\n\n{BUDGET_TEMPLATE}"


def truncate_by_count(body: str, limit: int, count) -> tuple[str, bool]:
    """`body` cut from the right so that its message (`count(body)` tokens) fits `limit` with
    ``[...]`` after the kept text: for a model whose tokenizer Forager cannot read token by
    token (the servers that can, cut on token boundaries: `forager.agent.model`)."""
    if count(body) <= limit:
        return body, False
    lo, hi = 0, len(body)  # the longest prefix that fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count(body[:mid] + ABBREVIATION) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return body[:lo] + ABBREVIATION, True


def submission_feedback(patch: str) -> str:
    return SUBMISSION_TEMPLATE.format(pred_patch=patch)


def submit_failure(path: str, content: str | None) -> str | None:
    """CWM's refusal of a submission (tools.py L158-170), or None when it is accepted."""
    if content is None:
        return f"Failed to submit {path}. Make sure it exists and is readable."
    if content.strip() == "":
        return f"Failed to submit {path}. It is an empty file."
    if not content.startswith("diff"):
        return f"Failed to submit {path}. It is not a valid diff file."
    return None
