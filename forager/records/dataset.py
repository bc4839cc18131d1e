"""Dataset rows and the export manifest: what `forager export` writes and reads back.

A row is one kept trajectory in one training format. Its common columns say where it came
from and why it was kept (cluster, split, counts); the format's own columns hold the text.
The manifest holds every input (with its hash), every setting, the counts at each step and
the kept ids, so `forager export --manifest M` rebuilds the same files byte for byte.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from forager import __version__

Format = Literal["cwm", "openai", "sharegpt"]
FileKind = Literal["parquet", "jsonl"]
OnBad = Literal["skip", "fail"]


# --- rows -----------------------------------------------------------------------------------


class Segment(BaseModel):
    """A stretch of the exact text the model saw, with its loss flag."""

    role: str
    text: str
    loss: bool


class ToolFunction(BaseModel):
    name: str
    arguments: str = Field(description="JSON object, as OpenAI's API writes it")


class ToolCall(BaseModel):
    id: str
    type: str = "function"
    function: ToolFunction


class OpenAIMessage(BaseModel):
    role: str
    content: str
    tool_calls: list[ToolCall] = []
    tool_call_id: str = ""
    name: str = ""


class ShareGPTTurn(BaseModel):
    # `from` is a keyword in Python; the column is written as "from".
    from_: str = Field(alias="from")
    value: str

    model_config = {"populate_by_name": True}


class RowCommon(BaseModel):
    id: str = Field(description="trajectory_id")
    instance_id: str
    repo: str
    variant: str
    policy: str
    model: str
    exit_status: str
    resolved: bool
    reward: float
    split: str
    cluster_id: str = Field(description="trajectory_id of the cluster's kept member (itself when alone); "
                            "'<id>@<source>' when two input lines share that trajectory_id")
    cluster_size: int
    n_turns: int
    n_tokens: int = Field(description="tokens of the model's text; -1 without a tokenizer")
    truncated: bool = Field(description="cut to the longest prefix of whole messages that fits")
    redactions: int
    source: str = Field(description="input file name and line, e.g. oracle.jsonl:12 (the path when two inputs share a name)")


class CwmRow(RowCommon):
    text: str
    segments: list[Segment]


class OpenAIRow(RowCommon):
    messages: list[OpenAIMessage]
    tools: str = Field(description="JSON list of the tools' JSON schemas")


class ShareGPTRow(RowCommon):
    system: str
    conversations: list[ShareGPTTurn]


ROW_MODELS: dict[str, type[RowCommon]] = {"cwm": CwmRow, "openai": OpenAIRow, "sharegpt": ShareGPTRow}


# --- the recipe of an export -------------------------------------------------------------------


class Selection(BaseModel):
    exit_status: list[str] = []
    resolved: bool | None = None
    min_reward: float | None = None
    max_reward: float | None = None
    policy: list[str] = []
    model: list[str] = []
    variant: list[str] = []
    repo: list[str] = []
    operator: list[str] = Field([], description="mutation operators: the trajectory's own, or from the tasks files "
                                "for trajectories written before they carried it")
    min_turns: int | None = None
    max_turns: int | None = None
    min_tokens: int | None = Field(None, description="recorded tokens: the last turn's prompt plus its completion")
    max_tokens: int | None = None
    keep_ids: list[str] = Field([], description="trajectory or instance ids; when given, only these")
    drop_ids: list[str] = []


class Dedupe(BaseModel):
    exact: bool = True
    near: bool = True
    threshold: float = Field(0.5, description="kept trajectories are below this estimated Jaccard similarity")
    num_perm: int = 128
    shingle: int = Field(5, description="word n-grams of the agent's actions")
    patches: bool = True
    rule: str = "resolved first, then higher reward, then fewer turns, then smaller trajectory_id"


class Decontamination(BaseModel):
    blocklists: list[str] = Field(["swe-bench"], description="names of shipped lists or paths to TOML files")
    fork_match: Literal["exact", "name"] = Field(
        "name", description="name: also any owner's repository of the same name (a probable fork)")
    instance_ids: list[str] = []


class Splits(BaseModel):
    fractions: dict[str, float] = {"train": 1.0}
    seed: int = 0


class LengthPolicy(BaseModel):
    tokenizer: str = Field("", description="path of a tokenizer.json")
    tokenizer_sha256: str = ""
    max_tokens: int = 0
    policy: Literal["drop", "truncate"] = "drop"


class ExportSpec(BaseModel):
    formats: list[Format] = ["openai"]
    files: list[FileKind] = ["parquet", "jsonl"]
    shard_rows: int = 10_000
    selection: Selection = Selection()
    dedupe: Dedupe = Dedupe()
    decontamination: Decontamination = Decontamination()
    splits: Splits = Splits()
    length: LengthPolicy = LengthPolicy()
    redact: bool = True
    observation_loss_rate: float = Field(0.5, description="cwm: share of observations trained on")
    on_bad: OnBad = "skip"
    ungraded: Literal["skip", "keep"] = Field("skip", description="keep: as unresolved with reward 0")
    other_versions: Literal["skip", "keep"] = "keep"
    tasks: list[str] = Field([], description="tasks files, for the operator of each instance")
    save_to_disk: bool = False


# --- the manifest --------------------------------------------------------------------------------


class InputFile(BaseModel):
    path: str
    sha256: str
    lines: int


class Problem(BaseModel):
    file: str
    line: int
    kind: str
    message: str
    action: str = Field(description="skipped or kept")

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.kind}: {self.message} ({self.action})"


class Redaction(BaseModel):
    trajectory_id: str
    where: str = Field(description="e.g. messages[4].content, submitted_patch")
    kind: str
    count: int


class KeptRow(BaseModel):
    id: str
    split: str
    cluster_id: str
    cluster_size: int
    file: str = Field("", description="input file of the row's trajectory ('' in manifests written before it)")
    line: int = 0


class OutputFile(BaseModel):
    path: str
    sha256: str
    rows: int


class ExportManifest(BaseModel):
    forager_version: str = __version__
    fingerprint: str = Field("", description="hash of the spec and the inputs; in every data file's name")
    spec: ExportSpec
    inputs: list[InputFile]
    counts: dict[str, int] = Field(description="trajectories after each step, in order")
    split_counts: dict[str, int] = {}
    problems: list[Problem] = []
    redactions: list[Redaction] = []
    kept: list[KeptRow] = []
    outputs: list[OutputFile] = []
