"""The agent loop: ask the model, run its one tool call, feed back the observation, repeat.

Control flow is by exceptions: anything that ends an episode raises EpisodeEnd with its status.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from forager.agent import cwm
from forager.agent.dialect import CHAT, Dialect
from forager.agent.llama3 import END_OF_TURN, Message, header
from forager.agent.model import ContextExceeded, Model, ModelError, estimate_tokens
from forager.agent.observation import observation_message, observation_role
from forager.agent.protocol import FormatError, has_tool_call, parse_tool_call
from forager.agent.shell import ShellDied
from forager.agent.tools import CwmTools, ToolResult, Tools
from forager.disk import DiskLimitExceeded
from forager.records.episode_settings import AgentLimits
from forager.records.trajectory import ChatMessage, ExitStatus, ToolArguments, ToolCallRecord, TurnRecord
from forager.work.runner import Interrupted


def disk_detail(reason: str) -> str:
    """'the episode container wrote more than 2 GB (its disk budget) and was stopped' for an episode."""
    return reason.replace(" and was stopped", "; the episode was stopped")


class EpisodeEnd(Exception):
    def __init__(self, status: ExitStatus, detail: str = ""):
        super().__init__(detail)
        self.status, self.detail = status, detail


@dataclass
class Episode:
    """What the loop produced; the harvester adds task, grading and ids."""

    messages: list[ChatMessage] = field(default_factory=list)
    turns: list[TurnRecord] = field(default_factory=list)
    status: ExitStatus = ExitStatus.environment_error
    detail: str = ""
    patch: str | None = None
    model_seconds: float = 0.0
    tool_seconds: float = 0.0
    # cwm dialect: CWM evaluates only an episode its final answer ended (swerl_tool.py L462-477);
    # turn and context limits fail it even after a submit.
    graded: bool = True


class Agent:
    def __init__(self, model: Model, tools: Tools, limits: AgentLimits | None = None, stop=None,
                 dialect: Dialect = CHAT):
        self.model, self.tools, self.limits = model, tools, limits or AgentLimits()
        self.dialect = dialect
        self.stop = stop  # a threading.Event set on Ctrl-C / SIGTERM
        self.ep = Episode()
        self.format_errors = 0
        self.context_used = 0
        self.deadline = 0.0

    def run(self, system: str, user: str) -> Episode:
        if self.dialect.is_cwm:  # CWM's encoder strips system and user bodies (cwm/text/tokenizers.py)
            system, user = system.strip(), user.strip()
        self.ep.messages = [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
        self.deadline = time.monotonic() + self.limits.max_seconds
        try:
            while True:
                self.step()
        except EpisodeEnd as end:
            self.ep.status, self.ep.detail = end.status, end.detail
        if self.dialect.is_cwm and self.ep.status != ExitStatus.submitted:
            self.ep.graded = False
        return self.ep

    def step(self) -> None:
        self._check_limits()
        reply = self._ask()
        turn = TurnRecord(index=len(self.ep.turns), prompt_tokens=reply.prompt_tokens or 0,
                          completion_tokens=reply.completion_tokens or 0, latency=round(reply.latency, 4),
                          finish_reason=reply.finish_reason or "", max_tokens=reply.max_tokens)
        self.ep.turns.append(turn)
        if self.dialect.is_cwm:
            self._step_cwm(reply, turn)
            return
        if self.ep.patch is not None and not has_tool_call(reply.text):
            self.ep.messages.append(ChatMessage(role="assistant", content=reply.text, reasoning=reply.text.strip()))
            raise EpisodeEnd(ExitStatus.submitted)
        try:
            parsed = parse_tool_call(reply.text)
        except FormatError as exc:
            self.ep.messages.append(ChatMessage(role="assistant", content=reply.text))
            self._format_error(turn, exc.message)
            return
        self.format_errors = 0
        self.ep.messages.append(ChatMessage(role="assistant", content=reply.text, reasoning=parsed.reasoning))
        result = self._run_tool(parsed.call)
        turn.tool = ToolCallRecord(name=parsed.call.tool, arguments=ToolArguments(**parsed.call.model_dump(exclude={"tool"})),
                                   exit_code=-1 if result.exit_code is None else result.exit_code,
                                   duration=round(result.duration, 4),
                                   truncated=result.truncated, timed_out=result.timed_out,
                                   restarted=result.restarted, error=result.error)
        if result.patch is not None:
            self.ep.patch = result.patch
        self._observe(parsed.call.tool, result.output)

    def _step_cwm(self, reply, turn: TurnRecord) -> None:
        """One turn in CWM's dialect (cwm/rl/envs/envs/swerl_tool.py `step`)."""
        prefix = self.dialect.assistant_prefix
        generated = reply.text[len(prefix):] if reply.text.startswith(prefix) else reply.text
        msg = ChatMessage(role="assistant", content=reply.text, stop_token=reply.stop_token)
        self.ep.messages.append(msg)
        # swerl_tool.py L386-413: the action is in the context, but past the context or at the
        # last turn it is not acted upon (so at most max_turns - 1 actions run).
        if self.context_used > self.limits.max_context_tokens:
            raise EpisodeEnd(ExitStatus.context_limit,
                             cwm.context_exceeded(self.context_used, self.limits.max_context_tokens))
        if len(self.ep.turns) >= self.limits.max_turns:
            raise EpisodeEnd(ExitStatus.turn_limit, cwm.MAX_TURNS_REACHED)
        try:
            parsed = cwm.parse_turn(generated, think=self.dialect.think)
        except cwm.CwmError as exc:
            one_end = not self.dialect.think or generated.count(cwm.THINK_END) == 1
            if self.ep.patch is not None and one_end:  # the final response (swerl_tool.py L462-477)
                msg.reasoning = generated.split(cwm.THINK_END, 1)[0].strip() if self.dialect.think else ""
                raise EpisodeEnd(ExitStatus.submitted) from None
            self._format_error_cwm(turn, exc)
            return
        self.format_errors = 0
        msg.reasoning = parsed.reasoning.strip()
        t0 = time.monotonic()
        try:
            result, args = CwmTools(self.tools).run(parsed.name, parsed.tool_input)
        except DiskLimitExceeded as exc:
            raise EpisodeEnd(ExitStatus.disk_limit, disk_detail(str(exc))) from None
        except ShellDied as exc:
            raise EpisodeEnd(ExitStatus.environment_error, str(exc)) from None
        self.ep.tool_seconds += time.monotonic() - t0
        turn.tool = ToolCallRecord(name=parsed.name, arguments=ToolArguments(**args),
                                   exit_code=-1 if result.exit_code is None or parsed.name != "bash" else result.exit_code,
                                   duration=round(result.duration or time.monotonic() - t0, 4),
                                   truncated=result.truncated, timed_out=result.timed_out,
                                   restarted=result.restarted, error=result.error)
        if result.patch is not None:
            self.ep.patch = result.patch
        if self._observe_cwm(parsed.name, result.output):
            turn.tool.truncated = True

    def _observe_cwm(self, tool: str, output: str) -> bool:
        """CWM's observation: output and budget blocks (swerl_tool.py L539-575). Remaining tokens
        = context - tokens so far (this turn's included) - tokens of this tool message with the
        budget's placeholders unfilled, at most 32768. The whole message is then cut to 32768
        tokens from the right, ending "[...]" (dialogs.py maybe_truncate_message). Returns
        whether it was cut."""
        role = observation_role(tool)
        size = min(self._message_tokens(role, cwm.budget_probe(output)), cwm.MAX_OBSERVATION_TOKENS)
        turns_left = self.limits.max_turns - len(self.ep.turns)
        tokens_left = self.limits.max_context_tokens - self.context_used - size
        body, cut = self._truncate(role, cwm.observation_body(output, turns_left, tokens_left))
        self.ep.messages.append(ChatMessage(role=role, content=body))
        return cut

    def _message_tokens(self, role: str, body: str) -> int:
        """Tokens of a whole message (header, body, <|eot_id|>) by the server's tokenizer."""
        if hasattr(self.model, "message_tokens"):
            return self.model.message_tokens(role, body)
        text = header(role) + body + END_OF_TURN
        count = getattr(self.model, "count_tokens", None)
        return count(text) if count else estimate_tokens(text)

    def _truncate(self, role: str, body: str, limit: int = cwm.MAX_OBSERVATION_TOKENS) -> tuple[str, bool]:
        if hasattr(self.model, "truncate_message"):
            return self.model.truncate_message(role, body, limit)
        return cwm.truncate_by_count(body, limit, lambda b: self._message_tokens(role, b))

    def _format_error_cwm(self, turn: TurnRecord, exc: cwm.CwmError) -> None:
        """Errors go back as a user message `ErrorClass: message` (swerl_tool.py L478-516).
        CWM's eval never ends an episode for them (max_format_errors 0 by default here)."""
        self.format_errors += 1
        turn.format_error = exc.feedback
        if self.limits.max_format_errors and self.format_errors >= self.limits.max_format_errors:
            raise EpisodeEnd(ExitStatus.format_errors, f"{self.format_errors} format errors in a row")
        body, _ = self._truncate("user", exc.feedback)
        self.ep.messages.append(ChatMessage(role="user", content=body))

    def _check_limits(self) -> None:
        if self.stop is not None and self.stop.is_set():
            raise Interrupted()
        if self.tools.disk_exceeded():  # e.g. a background job kept writing while the model thought
            raise EpisodeEnd(ExitStatus.disk_limit, disk_detail(self.tools.disk_exceeded()))
        if len(self.ep.turns) >= self.limits.max_turns:
            raise EpisodeEnd(ExitStatus.turn_limit, f"{self.limits.max_turns} turns")
        if self.context_used >= self.limits.max_context_tokens:
            raise EpisodeEnd(ExitStatus.context_limit, f"{self.context_used} tokens")
        if time.monotonic() >= self.deadline:
            raise EpisodeEnd(ExitStatus.time_limit, f"{self.limits.max_seconds:g} s")

    def _ask(self):
        msgs = [Message(role=m.role, content=m.content, end=m.stop_token) for m in self.ep.messages]
        try:
            reply = self.model.complete(msgs)
        except ContextExceeded as exc:
            raise EpisodeEnd(ExitStatus.context_limit, str(exc)[:300]) from None
        except ModelError as exc:
            raise EpisodeEnd(ExitStatus.model_error, str(exc)[:500]) from None
        self.ep.model_seconds += reply.latency
        if reply.prompt_tokens is not None:
            self.context_used = reply.prompt_tokens + (reply.completion_tokens or 0)
        return reply

    def _run_tool(self, call) -> ToolResult:
        t0 = time.monotonic()
        try:
            result = self.tools.run(call)
        except DiskLimitExceeded as exc:
            raise EpisodeEnd(ExitStatus.disk_limit, disk_detail(str(exc))) from None
        except ShellDied as exc:
            raise EpisodeEnd(ExitStatus.environment_error, str(exc)) from None
        self.ep.tool_seconds += time.monotonic() - t0
        return result

    def _budget(self) -> dict:
        return {"turns_left": self.limits.max_turns - len(self.ep.turns),
                "tokens_left": self.limits.max_context_tokens - self.context_used}

    def _observe(self, tool: str, output: str) -> None:
        msg = observation_message(tool, output, **self._budget())
        self.ep.messages.append(ChatMessage(role=msg.role, content=msg.content))

    def _format_error(self, turn: TurnRecord, message: str) -> None:
        self.format_errors += 1
        turn.format_error = message
        if self.format_errors >= self.limits.max_format_errors:
            raise EpisodeEnd(ExitStatus.format_errors, f"{self.format_errors} format errors in a row")
        if self.ep.patch is None and "no tool call" in message.lower():
            message += " You have not submitted a patch yet."
        self._observe("error", message)
