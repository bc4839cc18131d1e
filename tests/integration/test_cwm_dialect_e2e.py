"""The cwm policy in CWM's reasoning dialect, end to end: real llama.cpp server, real containers."""

from __future__ import annotations

import pytest

from forager.jsonio import read_lines
from forager.records.trajectory import ExitStatus, Trajectory
from tests.conftest import ALL_OPERATORS_TASKS, forager

pytestmark = [pytest.mark.docker, pytest.mark.model]


def test_cwm_reasoning_dialect_harvest_and_show(local_server, example_tasks, tasks_dir, tmp_path):
    out = tmp_path / "cwm.jsonl"
    res = forager("harvest", "--tasks", str(tasks_dir / ALL_OPERATORS_TASKS), "--policy", "cwm",
                  "--endpoint", local_server, "--model", "smollm2", "--limit", "1", "--max-turns", "3",
                  "--max-context", "4096", "--max-tokens", "4000", "--concurrency", "1", "-o", str(out))
    assert res.returncode == 0, res.stderr[-2000:]
    (t,) = list(read_lines(out, Trajectory))
    assert t.policy == "cwm" and t.dialect == "cwm" and t.exit_status in set(ExitStatus)
    assert t.sampling["temperature"] == 1.0 and t.sampling["top_p"] == 0.95
    assert t.server.tokenizer and t.server.bos in ("forager", "server")
    # llama-cpp-python takes no token ids: the prompt went as escaped text, and the trajectory says why.
    assert t.server.prompt_encoding == "escaped-text" and "llama-cpp-python" in t.server.prompt_encoding_note
    assert t.limits["max_format_errors"] == 0  # CWM's eval: format errors never end an episode
    system = t.messages[0].content
    assert "\n\n# Environment\n\n" in system and "<think>\n" in system and "4096 tokens" in system
    assert "<issue_description>\n" in t.messages[1].content
    for turn in t.turns:  # max_tokens capped at the context left: the server never refused
        assert 0 < turn.max_tokens <= 4096 - 1 and turn.prompt_tokens + turn.max_tokens <= 4096
    for m in t.messages[2:]:
        if m.role == "assistant":
            assert m.content.startswith("<think>\n")
        elif m.role == "user":
            assert m.content.startswith(("FormatError: ", "NoSuchToolError: "))
        else:
            assert m.role.startswith("tool: ") and m.content.startswith("<output>\n")
            assert "</output>\n\n<budget>\n* Remaining turns: " in m.content
    # The rebuilt prompt of the first turn is what the server counted, token for token.
    shown = forager("show", str(out), "--id", t.trajectory_id, "--turn", "0", "--raw")
    assert shown.returncode == 0, shown.stderr[-2000:]
    prompt = shown.stdout
    assert prompt.startswith("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n")
    assert prompt.endswith("<|start_header_id|>assistant<|end_header_id|>\n\n<think>\n")
    import httpx
    sent = prompt if t.server.bos == "forager" else prompt.removeprefix("<|begin_of_text|>")
    tokens = httpx.post(local_server.removesuffix("/v1") + "/extras/tokenize", json={"input": sent}).json()["tokens"]
    assert len(tokens) == t.turns[0].prompt_tokens
    view = forager("show", str(out))
    assert view.returncode == 0 and "dialect=cwm" in view.stdout + view.stderr
