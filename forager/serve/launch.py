"""`forager serve`: start vLLM (CWM presets) or the local CPU server and keep it up until Ctrl-C."""

from __future__ import annotations

import importlib.util
import shlex
import signal
import time

from forager import paths
from forager.errors import ForagerError
from forager.progress import console
from forager.serve import gpus as gpu_info
from forager.serve.local import MODEL_NAME, local_command, start_local
from forager.serve.process import ServerProcess
from forager.serve.vllm import CWM, PRESETS, TYPICAL_EPISODE_TOKENS, ServePlan, plan, vllm_command


def plan_summary(p: ServePlan) -> str:
    """Which allocator the plan assumes, the KV dtype, and how many episodes fit at once."""
    layout = ("hybrid KV-cache manager: the 48 sliding-window layers keep only their last 8192 tokens"
              if p.allocator == "hybrid" else "uniform allocator: every layer keeps the full context")
    kv = "fp8 KV cache" if p.kv_cache_dtype == "fp8" else "KV cache in the model dtype (try --kv-cache-dtype fp8)"
    return (f"memory plan: {layout}; {kv}; {p.full_length_at_once} sequences of {p.max_model_len} tokens or "
            f"{p.episodes_at_once} episodes of {p.typical_tokens} tokens fit at once -> harvest --concurrency "
            f"{max(1, p.episodes_at_once)}")


def _harvest_line(endpoint: str, model: str, policy: str, sampling: str = "", concurrency: int = 0) -> str:
    line = (f"forager harvest --variant mutate-fix --tasks tasks.jsonl --policy {policy} "
            f"--endpoint {endpoint} --model {model}")
    return line + (f" {sampling}" if sampling else "") + (f" --concurrency {concurrency}" if concurrency else "")


# CWM's SWE-RL sampling (facebookresearch/cwm evals/configs/eval_sbv.yaml), as harvest flags.
CWM_SAMPLING_FLAGS = "--temperature 1.0 --top-p 0.95"


def _hold(server: ServerProcess) -> None:
    """Keep serving until Ctrl-C or SIGTERM, then stop the server cleanly."""
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        while server.proc.poll() is None:
            time.sleep(1)
        raise ForagerError(f"the model server exited with code {server.proc.returncode} (log: {server.log_path})")
    except KeyboardInterrupt:
        console.print("stopping the model server")
    finally:
        server.stop()


def serve_local(port: int | None, dry_run: bool) -> None:
    if dry_run:
        print(shlex.join(local_command(port or 8080)))
        return
    server, endpoint = start_local(port)
    console.print(f"serving {MODEL_NAME} at {endpoint}")
    print(_harvest_line(endpoint, MODEL_NAME, "chat"), flush=True)
    _hold(server)


def _gpu_setup(preset: str, gpus: int | None, gpu_mem: float | None) -> tuple[int, float]:
    found = gpu_info.detect()
    if preset not in PRESETS:
        raise ForagerError(f"--preset must be one of {', '.join(PRESETS)}, not '{preset}'")
    count = gpus or min(PRESETS[preset].default_gpus, len(found) or PRESETS[preset].default_gpus)
    mem = gpu_mem or (min(found) if found else 80.0)
    return count, mem


def serve_vllm(model: str, preset: str, gpus: int | None, gpu_mem: float | None, max_len: int,
               host: str, port: int, dry_run: bool, wait: float, allocator: str = "hybrid",
               kv_cache_dtype: str = "auto", typical_len: int = TYPICAL_EPISODE_TOKENS) -> None:
    count, mem = _gpu_setup(preset, gpus, gpu_mem)
    if model != CWM.hf_id:
        raise ForagerError(f"presets are defined for {CWM.hf_id} only, not '{model}'")
    p = plan(CWM, preset, count, mem, max_len, allocator=allocator, kv_cache_dtype=kv_cache_dtype,
             typical_tokens=typical_len)
    argv = vllm_command(p, host, port, served_name=model)
    if allocator == "uniform":
        argv.append("--disable-hybrid-kv-cache-manager")
    console.print(p.reason)
    console.print(plan_summary(p))
    concurrency = max(1, p.episodes_at_once)
    if dry_run:
        print(shlex.join(argv))
        print(_harvest_line(f"http://{host}:{port}/v1", model, "cwm", CWM_SAMPLING_FLAGS, concurrency), flush=True)
        return
    if importlib.util.find_spec("vllm") is None:
        raise ForagerError("vLLM is not installed: pip install 'forager[vllm]' (needs NVIDIA GPUs and CUDA)")
    if not gpu_info.detect():
        raise ForagerError("no NVIDIA GPU found (nvidia-smi): vLLM cannot serve CWM here; "
                           "use 'forager serve --local' for the CPU model")
    endpoint = f"http://{host}:{port}/v1"
    server = ServerProcess(argv, f"http://{host}:{port}/health", paths.cache("logs") / "vllm.log")
    console.print(f"starting vLLM ({preset}, {count} GPU(s)); log: {server.log_path}")
    server.wait_healthy(wait)
    server.check_completion(f"{endpoint}/completions", {"model": model, "prompt": "Hello", "max_tokens": 1},
                            timeout=600)
    console.print(f"serving {model} at {endpoint}")
    print(_harvest_line(endpoint, model, "cwm", CWM_SAMPLING_FLAGS, concurrency), flush=True)
    _hold(server)
