"""`forager serve` (local server and vLLM dry runs) and `forager demo` through the real CLI."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import httpx
import pytest

from forager.jsonio import read_lines
from forager.records.trajectory import Trajectory
from tests.conftest import ROOT, forager


def test_vllm_dry_run_prints_the_preset_command():
    res = forager("serve", "--preset", "fp8", "--gpus", "1", "--gpu-mem", "80", "--dry-run")
    assert res.returncode == 0, res.stderr
    assert "--quantization fp8" in res.stdout and "--max-model-len 131072" in res.stdout
    assert "--tensor-parallel-size 1" in res.stdout


def test_vllm_without_vllm_says_how_to_install():
    res = forager("serve", "--preset", "bf16", "--gpus", "2", "--gpu-mem", "80")
    assert res.returncode == 2 and "pip install 'forager[vllm]'" in res.stderr


@pytest.mark.model
def test_serve_local_answers_and_stops_on_sigterm():
    proc = subprocess.Popen([sys.executable, "-m", "forager.cli", "serve", "--local"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        line = proc.stdout.readline()
        endpoint = re.search(r"--endpoint (\S+)", line).group(1)
        assert httpx.get(f"{endpoint}/models", timeout=10).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{endpoint}/models", timeout=3)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.docker
@pytest.mark.model
def test_demo_runs_end_to_end_and_again_reuses_everything(tmp_path, base_image):
    out = tmp_path / "demo"
    first = forager("demo", "--out", str(out), "--tasks", "3")
    assert first.returncode == 0, first.stderr[-3000:]
    text = first.stderr
    assert "tasks: 3" in text and "oracle" in text and "chat (local model)" in text
    oracle_row = re.search(r"oracle\s*│\s*(\d+)\s*│\s*(\d+)", text)
    assert oracle_row and oracle_row.group(1) == oracle_row.group(2) == "3"
    local = list(read_lines(out / "local.jsonl", Trajectory))
    assert local and any(t.turns for t in local), "no local-model episode reached the model"
    assert "exit statuses" in text
    sizes = {p.name: p.read_text() for p in out.glob("*.jsonl")}
    second = forager("demo", "--out", str(out), "--tasks", "3")
    assert second.returncode == 0, second.stderr[-3000:]
    assert {p.name: p.read_text() for p in out.glob("*.jsonl")} == sizes
    # Local episodes that never reached the model (a dead server) fail the demo, in one line.
    (out / "local.jsonl").unlink()
    down = forager("harvest", "--tasks", str(out / "tasks.jsonl"), "--policy", "chat", "--endpoint",
                   "http://127.0.0.1:9/v1", "--limit", "2", "-o", str(out / "local.jsonl"))
    assert down.returncode == 0, down.stderr[-2000:]
    third = forager("demo", "--out", str(out), "--tasks", "3")
    assert third.returncode == 2 and "no local-model episode reached the model (model_error:" in third.stderr
    assert "model_error 2" in third.stderr
