"""Trajectory: one JSONL line per episode, the record dataset curators load."""

from __future__ import annotations

from enum import Enum

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
    disk_limit = "disk_limit"


# No field below is ever null: `datasets.load_dataset("json")` fixes each column's type from
# the first file it reads, and a column that is null throughout one file (say, no tool call
# in any episode of a weak model) cannot take the values of the next file.


class ChatMessage(BaseModel):
    role: str
    content: str
    reasoning: str = Field("", description="assistant: the text before its tool call")
    stop_token: str = Field("", description="assistant, cwm dialect: the special token that ended the generation "
                            "('<|eot_id|>', '<|eom_id|>', '<|end_of_text|>'; '' when it hit max_tokens)")


class ToolArguments(BaseModel):
    command: str = ""
    path: str = ""
    search: str = ""
    replace: str = ""
    content: str = ""


class ToolCallRecord(BaseModel):
    name: str = Field("", description="empty when the turn had no valid tool call")
    arguments: ToolArguments = ToolArguments()
    exit_code: int = Field(-1, description="bash exit code; -1 for other tools and killed commands")
    duration: float = 0.0
    truncated: bool = False
    timed_out: bool = False
    restarted: bool = False
    error: bool = False


class TurnRecord(BaseModel):
    index: int
    prompt_tokens: int = Field(0, description="0 when the policy is not a model (oracle)")
    completion_tokens: int = 0
    latency: float
    finish_reason: str = ""
    tool: ToolCallRecord = ToolCallRecord()
    format_error: str = ""
    max_tokens: int = Field(0, description="the max_tokens sent: the sampling's, capped at the context left")


class ServerInfo(BaseModel):
    endpoint: str = ""
    models: list[str] = []
    tokenizer: str = Field("", description="the server's tokenize route Forager used ('' when it has none)")
    bos: str = Field("", description="who puts <|begin_of_text|> first: 'forager' (in the text) or 'server'")
    max_model_len: int = Field(0, description="the context the server reported (0: not reported)")
    prompt_encoding: str = Field("", description="cwm policy: 'token-ids' (structural tokens by id, bodies as "
                                 "ordinary text, as CWM encodes them) or 'escaped-text' (a text prompt, special-token "
                                 "look-alikes in bodies written '< |...|>'); '' in files written before it: escaped text")
    prompt_encoding_note: str = Field("", description="why the prompt went as escaped text")


class TestResult(BaseModel):
    __test__ = False
    test: str
    status: str


class Grading(BaseModel):
    resolved: bool
    applied: bool
    apply_method: str = ""
    restored_files: list[str] = []
    fail_to_pass: list[TestResult] = []
    pass_to_pass: list[TestResult] = []
    exit_code: int = -1
    error: str = ""
    duration: float = 0.0
    log: str = Field("", description="how grading went: apply method, files put back, canary, test output tail")
    log_file: str = Field("", description="the grading log's file, relative to the trajectory file's folder")


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
    operator: str = Field("", description="mutate-fix: the task's mutation operator (its meta.operator); '' for "
                          "other variants and in files written before trajectories carried it")
    repo: str
    commit: str = ""
    image: str
    image_id: str
    problem_statement: str
    FAIL_TO_PASS: list[str]
    PASS_TO_PASS: list[str]
    policy: str
    dialect: str = Field("", description="cwm, cwm-nothink or chat (empty in files written before dialects)")
    model: str
    sampling: dict[str, float]
    server: ServerInfo
    limits: dict[str, float]
    messages: list[ChatMessage]
    turns: list[TurnRecord]
    exit_status: ExitStatus
    exit_detail: str = ""
    submitted_patch: str = ""
    grading: Grading
    reward: float
    timings: Timings
    started_at: str
    forager_version: str = __version__
