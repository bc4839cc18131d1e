"""Real episodes through llama.cpp's OpenAI-compatible server (SmolLM2), with both model policies."""

from __future__ import annotations

import pytest

from forager.jsonio import read_lines
from forager.records.trajectory import ExitStatus, Trajectory
from tests.conftest import ALL_OPERATORS_TASKS, forager

pytestmark = [pytest.mark.docker, pytest.mark.model]


def _harvest(policy, endpoint, tasks_file, out, *extra):
    return forager("harvest", "--tasks", str(tasks_file), "--policy", policy, "--endpoint", endpoint,
                   "--model", "smollm2", "--limit", "1", "--max-turns", "3", "--max-context", "4096",
                   "--max-tokens", "160", "--temperature", "0.2", "--concurrency", "1", "-o", str(out), *extra)


@pytest.mark.parametrize("policy", ["chat", "cwm"])
def test_local_model_drives_real_episodes(policy, local_server, example_tasks, tasks_dir, tmp_path):
    out = tmp_path / f"{policy}.jsonl"
    res = _harvest(policy, local_server, tasks_dir / ALL_OPERATORS_TASKS, out)
    assert res.returncode == 0, res.stderr[-2000:]
    (t,) = list(read_lines(out, Trajectory))
    assert t.policy == policy and t.exit_status in set(ExitStatus)
    assert [m.role for m in t.messages[:2]] == ["system", "user"]
    assistant = [m for m in t.messages if m.role == "assistant"]
    assert assistant and len(assistant) == len(t.turns) <= 3
    for turn in t.turns:
        assert turn.prompt_tokens and turn.completion_tokens and turn.latency > 0
    # Whatever the model wrote, every observation is a tool message with the budget block.
    for m in t.messages[2:]:
        assert m.role == "assistant" or (m.role.startswith("tool: ") and "<budget>" in m.content) or (
            policy == "cwm" and m.role == "user" and m.content.startswith(("FormatError: ", "NoSuchToolError: ")))
    assert t.server.endpoint.startswith("http://127.0.0.1") and t.server.models


def test_trajectories_load_with_datasets(local_server, example_tasks, tasks_dir, tmp_path):
    import datasets
    model_out, oracle_out = tmp_path / "model.jsonl", tmp_path / "oracle.jsonl"
    assert _harvest("cwm", local_server, tasks_dir / ALL_OPERATORS_TASKS, model_out).returncode == 0
    assert forager("harvest", "--tasks", str(tasks_dir / ALL_OPERATORS_TASKS), "--policy", "oracle",
                   "--limit", "1", "-o", str(oracle_out)).returncode == 0
    ds = datasets.load_dataset("json", data_files=[str(model_out), str(oracle_out)], split="train")
    assert ds.num_rows == 2 and sorted(ds["policy"]) == ["cwm", "oracle"]
    assert {"instance_id", "messages", "turns", "exit_status", "reward"} <= set(ds.column_names)


def test_a_file_of_episodes_without_a_model_turn_loads_alone_and_mixed(local_server, example_tasks, tasks_dir,
                                                                      tmp_path):
    from forager.records.features import load_trajectories
    down, model_out, oracle_out = tmp_path / "down.jsonl", tmp_path / "model.jsonl", tmp_path / "oracle.jsonl"
    # A server that is not there: every episode ends before its first model turn (turns: []).
    res = forager("harvest", "--tasks", str(tasks_dir / ALL_OPERATORS_TASKS), "--policy", "chat",
                  "--endpoint", "http://127.0.0.1:9/v1", "--limit", "2", "--concurrency", "2", "-o", str(down))
    assert res.returncode == 0, res.stderr[-2000:]
    assert all(not t.turns and t.exit_status == ExitStatus.model_error for t in read_lines(down, Trajectory))
    assert _harvest("cwm", local_server, tasks_dir / ALL_OPERATORS_TASKS, model_out).returncode == 0
    assert forager("harvest", "--tasks", str(tasks_dir / ALL_OPERATORS_TASKS), "--policy", "oracle",
                   "--limit", "1", "-o", str(oracle_out)).returncode == 0
    alone = load_trajectories(down, cache_dir=str(tmp_path / "cache"))
    assert alone.num_rows == 2 and alone["turns"] == [[], []]
    for files in ([down, model_out, oracle_out], [model_out, down, oracle_out], [oracle_out, down, model_out]):
        ds = load_trajectories(files, cache_dir=str(tmp_path / "cache"))
        assert ds.num_rows == 4, files
        by_policy = {p: n for p, n in zip(ds["policy"], (len(t) for t in ds["turns"]))}
        assert by_policy["oracle"] >= 2 and by_policy["cwm"] >= 1


def test_unreachable_server_is_a_model_error(example_tasks, tasks_dir, tmp_path):
    out = tmp_path / "down.jsonl"
    res = _harvest("chat", "http://127.0.0.1:9/v1", tasks_dir / ALL_OPERATORS_TASKS, out)
    assert res.returncode == 0, res.stderr[-2000:]
    (t,) = list(read_lines(out, Trajectory))
    assert t.exit_status == ExitStatus.model_error and "unreachable" in t.exit_detail
