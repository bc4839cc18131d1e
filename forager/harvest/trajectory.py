"""Trajectory: one JSONL line per episode, the record dataset curators load."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from forager import __version__


class ExitStatus(str, Enum):
    submitted = "submitted"
    turn_limit = "turn_limit"
    context_limit = "context_limit"
    time_limit = "time_limit"
    format_errors = "format_errors"
    model_error = "model_error"
    environment_error = "environment_error"


class ChatMessage(BaseModel):
    role: str
    content: str
    reasoning: str | None = Field(None, description="assistant: the text before its tool call")


class ToolCallRecord(BaseModel):
    name: str
    arguments: dict[str, Any]
    exit_code: int | None
    duration: float
    truncated: bool
    timed_out: bool = False
    restarted: bool = False
    error: bool = False


class TurnRecord(BaseModel):
    index: int
    prompt_tokens: int | None
    completion_tokens: int | None
    latency: float
    finish_reason: str | None
    tool: ToolCallRecord | None = None
    format_error: str | None = None


class Grading(BaseModel):
    resolved: bool
    applied: bool
    apply_method: str | None = None
    restored_files: list[str] = []
    fail_to_pass: dict[str, str] = {}
    pass_to_pass: dict[str, str] = {}
    exit_code: int | None = None
    error: str | None = None
    duration: float = 0.0


class Timings(BaseModel):
    start_state: float = 0.0
    model: float = 0.0
    tools: float = 0.0
    episode: float = 0.0
    grading: float = 0.0


class Trajectory(BaseModel):
    trajectory_id: str
    instance_id: str
    attempt: int
    variant: str
    repo: str
    commit: str | None
    image: str
    image_id: str
    problem_statement: str
    FAIL_TO_PASS: list[str]
    PASS_TO_PASS: list[str]
    policy: str
    model: str
    sampling: dict[str, Any]
    server: dict[str, Any]
    limits: dict[str, Any]
    messages: list[ChatMessage]
    turns: list[TurnRecord]
    exit_status: ExitStatus
    exit_detail: str = ""
    submitted_patch: str | None
    grading: Grading | None
    reward: float
    timings: Timings
    started_at: str
    forager_version: str = __version__
