"""The settings of an episode that its trajectory records: sampling and limits, with the defaults
every stage and the CLI read from here."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Sampling(BaseModel):
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = Field(4096, description="new tokens per model turn at most")
    seed: int | None = None


class AgentLimits(BaseModel):
    max_turns: int = 128
    max_context_tokens: int = 131_072
    max_seconds: float = 3600.0
    max_format_errors: int = Field(3, description="consecutive format errors that end the episode; 0: no "
                                   "limit (the cwm dialect's default, as CWM's eval: the turn limit bounds them)")


# The text around tool calls. cwm: CWM's own agent dialect with reasoning (<think> ... </think>);
# cwm-nothink: the same without reasoning; chat: Forager's plainer dialect for any chat model.
DIALECTS = ("cwm", "cwm-nothink", "chat")
DEFAULT_DIALECT = {"cwm": "cwm", "chat": "chat", "oracle": "chat"}

# CWM's SWE-RL sampling (facebookresearch/cwm evals/configs/eval_sbv.yaml) and its per-turn cap
# (cwm/rl/envs/envs/swerl_tool.py max_action_len), capped per request at the context left.
# CWM's eval feeds every format error back and goes on (evals/configs/eval_sbv.yaml -> SWERLConfig
# strict_format=False): the cwm dialects end no episode for format errors.
CWM_MAX_FORMAT_ERRORS = 0
CWM_SAMPLING = Sampling(temperature=1.0, top_p=0.95, max_tokens=65536)
