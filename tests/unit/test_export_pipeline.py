"""The export pipeline on small hand-made trajectory files (no Docker, no model): repeated
trajectory ids, the operator filter with and without tasks files, and the same output with any
number of worker processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forager.errors import ForagerError
from forager.export.pipeline import export
from forager.records.dataset import ExportSpec
from forager.records.trajectory import (
    ChatMessage,
    ExitStatus,
    Grading,
    ServerInfo,
    Timings,
    ToolArguments,
    ToolCallRecord,
    Trajectory,
    TurnRecord,
)
from tests.conftest import forager


def _traj(tid: str, words: str, **changes) -> Trajectory:
    """One bash turn whose command is `words`, then a submit."""
    cmd = f"grep -rn {words} src/"
    fields = dict(
        trajectory_id=tid, instance_id=tid.split("#")[0], attempt=0, variant="mutate-fix", repo="o/r", image="img",
        image_id="sha256:0", problem_statement="fix it", FAIL_TO_PASS=["a"], PASS_TO_PASS=["b"], policy="chat",
        model="m", sampling={"temperature": 0.2}, server=ServerInfo(), limits={"max_turns": 3},
        messages=[ChatMessage(role="system", content="s"), ChatMessage(role="user", content="fix it"),
                  ChatMessage(role="assistant", content=f"look\n<tool: bash>\n{cmd}\n</tool>", reasoning="look"),
                  ChatMessage(role="tool: bash", content="src/x.py:1: x"),
                  ChatMessage(role="assistant", content="<tool: submit>\n/tmp/p.diff\n</tool>"),
                  ChatMessage(role="tool: submit", content="ok")],
        turns=[TurnRecord(index=0, latency=0.1, tool=ToolCallRecord(name="bash", arguments=ToolArguments(command=cmd))),
               TurnRecord(index=1, latency=0.1, tool=ToolCallRecord(name="submit", arguments=ToolArguments(path="/tmp/p.diff")))],
        exit_status=ExitStatus.submitted, submitted_patch=f"--- a/x.py\n+++ b/x.py\n+# {words}\n",
        grading=Grading(resolved=True, applied=True), reward=1.0, timings=Timings(), started_at="2026-12-01T00:00:00")
    fields.update(changes)
    return Trajectory(**fields)


def _write(path: Path, *lines) -> Path:
    path.write_text("".join((x if isinstance(x, str) else x.model_dump_json()) + "\n" for x in lines))
    return path


def _spec(**kw) -> ExportSpec:
    base = dict(formats=["openai"], files=["jsonl"], decontamination=dict(blocklists=[]))
    return ExportSpec.model_validate({**base, **kw})


def _rows(out: Path, fmt: str = "openai") -> list[dict]:
    return [json.loads(ln) for f in sorted((out / fmt).glob("*.jsonl")) for ln in f.read_text().splitlines()]


def test_repeated_trajectory_id_is_reported_and_rows_stay_unambiguous(tmp_path):
    a = _write(tmp_path / "a.jsonl", _traj("x#0", "alpha beta gamma delta epsilon zeta"), _traj("y#0", "one two three four five six"))
    # the same id in another file (an old harvest wrote it), different work: both are kept
    b = _write(tmp_path / "b.jsonl", _traj("x#0", "lorem ipsum dolor sit amet consectetur", repo="o/other"))
    m = export([a, b], tmp_path / "out", _spec(), workers=1)
    rep = [p for p in m.problems if p.kind == "repeated id"]
    assert [(p.file, p.line, p.action) for p in rep] == [(str(b), 1, "kept")]
    assert f"{a}:1" in rep[0].message
    assert m.counts["repeated ids"] == 1 and m.counts["written"] == 3
    rows = _rows(tmp_path / "out")
    assert sorted(r["source"] for r in rows) == ["a.jsonl:1", "a.jsonl:2", "b.jsonl:1"]
    x_rows = [r for r in rows if r["id"] == "x#0"]
    assert len({r["cluster_id"] for r in x_rows}) == 2
    assert {r["cluster_id"] for r in x_rows} == {"x#0@a.jsonl:1", "x#0@b.jsonl:1"}
    assert next(r["cluster_id"] for r in rows if r["id"] == "y#0") == "y#0"  # an id seen once stays as it is
    assert sorted((k.file, k.line) for k in m.kept) == [(str(a), 1), (str(a), 2), (str(b), 1)]


def test_repeated_id_of_an_exact_copy_is_one_cluster_named_by_its_kept_source(tmp_path):
    t = _traj("x#0", "alpha beta gamma delta epsilon zeta")
    a = _write(tmp_path / "a.jsonl", t)
    b = _write(tmp_path / "b.jsonl", _traj("z#0", "unrelated words here and there again"), t)
    m = export([a, b], tmp_path / "out", _spec(), workers=1)
    assert m.counts["repeated ids"] == 1 and m.counts["after exact duplicates"] == 2
    kept = {(k.id, k.cluster_id, k.cluster_size, Path(k.file).name, k.line) for k in m.kept}
    assert kept == {("x#0", "x#0@a.jsonl:1", 2, "a.jsonl", 1), ("z#0", "z#0", 1, "b.jsonl", 1)}


def test_operator_filter_uses_the_trajectorys_own_then_the_tasks_file(tmp_path):
    new = _traj("n#0", "alpha beta gamma delta epsilon zeta", operator="swap_variables")
    other = _traj("o#0", "one two three four five six", operator="remove_return")
    issue = _traj("i#0", "lorem ipsum dolor sit amet consectetur", variant="issue-fix")
    f = _write(tmp_path / "new.jsonl", new, other, issue)
    m = export([f], tmp_path / "a", _spec(selection=dict(operator=["swap_variables", "issue"])), workers=1)
    assert sorted(k.id for k in m.kept) == ["i#0", "n#0"] and m.counts["dropped by selection: operator"] == 1
    # A trajectory written before trajectories carried the operator: only with its tasks file.
    old = _write(tmp_path / "old.jsonl", _traj("old#0", "red green blue cyan magenta yellow"))
    with pytest.raises(ForagerError, match=r"old\.jsonl:1: .*does not carry its mutation operator.*--tasks"):
        export([f, old], tmp_path / "b", _spec(selection=dict(operator=["swap_variables"])), workers=1)
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"instance_id": "old", "variant": "mutate-fix", "meta": {"operator": "swap_variables"}}) + "\n")
    m = export([f, old], tmp_path / "c", _spec(selection=dict(operator=["swap_variables"]), tasks=[str(tasks)]), workers=1)
    assert sorted(k.id for k in m.kept) == ["n#0", "old#0"]


def test_operator_error_is_one_line_from_the_cli(tmp_path):
    old = _write(tmp_path / "old.jsonl", _traj("old#0", "red green blue cyan magenta yellow"))
    res = forager("export", str(old), "-o", str(tmp_path / "o"), "--operator", "swap_variables", "--blocklist", "none",
                  "--workers", "2")
    said = res.stdout + res.stderr
    assert res.returncode != 0 and "Traceback" not in said
    assert f"{old}:1:" in said and "--tasks" in said


def test_any_number_of_workers_writes_the_same_bytes(tmp_path):
    lines = [_traj(f"t{i}#0", " ".join(f"w{(i * 7 + j) % 40}" for j in range(12)), repo=f"o/r{i % 5}") for i in range(300)]
    lines.insert(17, "{not json")
    secret = _traj("secret#0", "quite unlike any other line in this file", repo="o/secret")
    secret.messages[3].content += "\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
    lines[40] = secret
    f = _write(tmp_path / "in.jsonl", *lines)
    spec = dict(formats=["openai", "sharegpt", "cwm"], files=["jsonl", "parquet"], shard_rows=40,
                splits=dict(fractions={"train": 0.7, "test": 0.3}))
    one = export([f], tmp_path / "one", _spec(**spec), workers=1)
    two = export([f], tmp_path / "two", _spec(**spec), workers=2)
    assert one.counts == two.counts and one.counts["bad lines skipped"] == 1 and one.counts["after near duplicates"] < 300
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    assert len([p for p in files if p.suffix == ".parquet"]) > 4
    assert files == sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*") if p.is_file())
    for rel in files:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes(), rel
    # JSONL rows are the row models' own JSON, Parquet the same rows
    import pyarrow.parquet as pq

    from forager.records.dataset import ROW_MODELS
    for fmt in ("openai", "sharegpt", "cwm"):
        lines = [ln for p in sorted((tmp_path / "two" / fmt).glob("train-*.jsonl")) for ln in p.read_text().splitlines(keepends=True)]
        assert lines and all(ln == json.dumps(ROW_MODELS[fmt].model_validate(json.loads(ln)).model_dump(by_alias=True),
                                              ensure_ascii=False) + "\n" for ln in lines)
        table_rows = [r for p in sorted((tmp_path / "two" / fmt).glob("train-*.parquet")) for r in pq.read_table(p).to_pylist()]
        assert table_rows == [json.loads(ln) for ln in lines]
    sizes = [json.loads(ln)["cluster_size"] for ln in lines]
    assert max(sizes) > 1 and all(json.loads(ln)["split"] == "train" for ln in lines)
    # the planted secret: found by the batch probe in a worker, reported once, gone from every file
    assert [(r.trajectory_id, r.kind) for r in two.redactions] == [(secret.trajectory_id, "aws_access_key")]
    assert not any(b"AKIAIOSFODNN7EXAMPLE" in (tmp_path / "two" / rel).read_bytes() for rel in files if rel.suffix == ".jsonl")


def test_on_bad_fail_stops_at_the_first_bad_line_in_a_worker_too(tmp_path):
    f = _write(tmp_path / "in.jsonl", _traj("a#0", "alpha beta gamma delta epsilon zeta"), "{not json")
    with pytest.raises(ForagerError, match=r"in\.jsonl:2: malformed JSON"):
        export([f], tmp_path / "o", _spec(on_bad="fail"), workers=2)
