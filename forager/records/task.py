"""Task: one JSONL line of tasks.jsonl, everything an episode and its grading need."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from forager.records.recipe import TestSpec


class TaskMeta(BaseModel):
    model_config = ConfigDict(extra="allow")

    operator: str | None = None
    file: str | None = None
    function: str | None = None
    lines: list[int] | None = Field(None, description="[first, last] line of the function")
    seed: int | None = None
    description: str | None = None
    source_commit: str | None = Field(None, description="issue-fix: the fixing commit")


class Task(BaseModel):
    instance_id: str
    variant: Literal["mutate-fix", "issue-fix"]
    image: str = Field(description="image tag")
    image_id: str
    manifest_id: str
    repo: str
    commit: str | None
    problem_statement: str
    bug_patch: str = Field("", description="clean tree -> buggy tree (mutate-fix)")
    gold_patch: str
    test_patch: str = Field("", description="issue-fix: tests that show the bug, withheld from the agent")
    FAIL_TO_PASS: list[str]
    PASS_TO_PASS: list[str]
    test_spec: TestSpec
    meta: TaskMeta = TaskMeta()
