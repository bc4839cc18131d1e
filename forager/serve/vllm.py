"""Plan a vLLM OpenAI server for CWM: parallelism, precision and the largest context that fits.

Everything here is arithmetic on numbers the caller supplies (GPU count and memory), so it
runs and is tested without a GPU. Memory per GPU, in GiB::

    budget   = gpu_mem * gpu_memory_utilization
    weights  = params * bytes_per_param / tp
    kv room  = budget - weights - RESERVE_GIB
    context  = kv room / (2 * layers * kv_heads_per_gpu * head_dim * kv_dtype_bytes)

The context is capped at the requested length (131072 by default); when less fits it is
rounded down to a multiple of 1024 and the plan says why.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from pydantic import BaseModel, Field

from forager.errors import ForagerError

GIB = 1024**3

# Per-GPU memory that is neither weights nor KV cache: the activation peak vLLM measures
# during its profiling run (about 1-2 GiB for a 32B model at the default batched-token
# budget), CUDA graphs, NCCL buffers for tensor parallelism and the CUDA context. 4 GiB
# covers these with room to spare; it also absorbs the embedding and output matrices
# (~1.6e9 parameters) that vLLM's fp8 mode keeps in bf16.
RESERVE_GIB = 4.0

DEFAULT_UTILIZATION = 0.9
CONTEXT_STEP = 1024


@dataclass(frozen=True)
class ModelSpec:
    """The architecture numbers that decide memory use."""

    hf_id: str
    params: float
    num_layers: int
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    hidden_size: int
    max_context: int
    sliding_window: int = 0  # tokens a sliding-window layer attends to (0: none)
    global_every: int = 1  # one full-attention layer in this many (the rest slide)


# Checked against the CwmConfig defaults in Hugging Face transformers (written to mirror
# facebook/cwm) and CWM's model card. CWM's layers alternate local (8192-token window) and
# global attention 3:1 (layer i is global when i % 4 == 0: 16 global, 48 sliding). Under vLLM's
# hybrid KV-cache manager (the "hybrid" allocator, vLLM's default for such models) a sliding
# layer keeps only its window; the "uniform" allocator charges every layer the full context.
CWM = ModelSpec(
    hf_id="facebook/cwm",
    params=32e9,
    num_layers=64,
    num_attention_heads=48,
    num_kv_heads=8,
    head_dim=128,
    hidden_size=6144,
    max_context=131072,
    sliding_window=8192,
    global_every=4,
)

ALLOCATORS = ("hybrid", "uniform")
# A typical harvest episode's context (tokens) for the concurrency estimate.
TYPICAL_EPISODE_TOKENS = 32768


@dataclass(frozen=True)
class Preset:
    name: str
    dtype: str
    quantization: str | None
    bytes_per_param: int
    kv_dtype_bytes: int
    default_gpus: int


# fp8 quantizes the weights only; vLLM keeps the KV cache in the model dtype (bf16) unless
# told otherwise, which also keeps long-context quality intact.
PRESETS = {
    "bf16": Preset("bf16", "bfloat16", None, bytes_per_param=2, kv_dtype_bytes=2, default_gpus=2),
    "fp8": Preset("fp8", "bfloat16", "fp8", bytes_per_param=1, kv_dtype_bytes=2, default_gpus=1),
}


class PlanError(ForagerError, ValueError):
    """The requested server cannot run on the given GPUs."""


class ServePlan(BaseModel):
    """How to start vLLM for one model on one machine, and why."""

    model: str
    preset: str
    tensor_parallel_size: int
    dtype: str
    quantization: str | None
    gpu_memory_utilization: float
    max_model_len: int
    kv_cache_tokens: int = Field(description="tokens the KV cache can hold across all sequences")
    reason: str = Field(description="one sentence on how max_model_len was chosen")
    argv: list[str] = Field(description="engine arguments, without the command, model, host or port")
    allocator: str = Field("uniform", description="KV-cache allocator the numbers assume: hybrid or uniform")
    kv_cache_dtype: str = Field("auto", description="auto (the model dtype) or fp8")
    typical_tokens: int = Field(TYPICAL_EPISODE_TOKENS, description="episode length the concurrency is for")
    episodes_at_once: int = Field(0, description="episodes of typical_tokens whose KV cache fits at once: "
                                  "the harvest concurrency to use with this server")
    full_length_at_once: int = Field(0, description="max_model_len sequences that fit at once")


# ---------------------------------------------------------------- memory arithmetic


def weights_bytes(model: ModelSpec, preset: Preset) -> float:
    """Bytes of all weights at the preset's precision."""
    return model.params * preset.bytes_per_param


def kv_heads_per_gpu(model: ModelSpec, tp: int) -> int:
    # Beyond num_kv_heads GPUs vLLM replicates KV heads: each GPU still holds one.
    return max(1, model.num_kv_heads // tp)


def kv_bytes_per_token(model: ModelSpec, preset: Preset, tp: int) -> int:
    """KV-cache bytes one token takes on each GPU (K and V, every layer)."""
    return 2 * model.num_layers * kv_heads_per_gpu(model, tp) * model.head_dim * preset.kv_dtype_bytes


def global_layers(model: ModelSpec) -> int:
    return len(range(0, model.num_layers, model.global_every)) if model.sliding_window else model.num_layers


def sequence_kv_bytes(model: ModelSpec, preset: Preset, tp: int, tokens: int, allocator: str,
                      kv_dtype_bytes: int | None = None) -> int:
    """KV-cache bytes per GPU of one sequence of `tokens`.

    uniform: every layer holds every token. hybrid (vLLM's hybrid KV-cache manager): a
    sliding-window layer holds at most its window.
    """
    per_layer = 2 * kv_heads_per_gpu(model, tp) * model.head_dim * (kv_dtype_bytes or preset.kv_dtype_bytes)
    if allocator == "uniform" or not model.sliding_window:
        return per_layer * model.num_layers * tokens
    full = global_layers(model)
    return per_layer * (full * tokens + (model.num_layers - full) * min(tokens, model.sliding_window))


def kv_room_bytes(model: ModelSpec, preset: Preset, tp: int, gpu_mem_gib: float, utilization: float) -> float:
    """Bytes per GPU left for the KV cache; negative when the weights alone do not fit."""
    budget = gpu_mem_gib * GIB * utilization
    return budget - weights_bytes(model, preset) / tp - RESERVE_GIB * GIB


def check_tensor_parallel(model: ModelSpec, tp: int) -> None:
    """vLLM splits attention heads evenly; refuse GPU counts it would reject at start-up."""
    if not _splits_evenly(model, tp):
        good = [n for n in (1, 2, 4, 8, 16) if _splits_evenly(model, n)]
        raise PlanError(
            f"{model.hf_id} cannot be split across {tp} GPUs: vLLM needs its "
            f"{model.num_attention_heads} attention heads and {model.num_kv_heads} KV heads "
            f"divided evenly; use {_either(good)} GPUs"
        )


def _splits_evenly(model: ModelSpec, tp: int) -> bool:
    heads_ok = model.num_attention_heads % tp == 0
    kv_ok = model.num_kv_heads % tp == 0 or tp % model.num_kv_heads == 0
    return tp >= 1 and heads_ok and kv_ok


# ---------------------------------------------------------------- the plan


def plan(
    model: ModelSpec,
    preset: str,
    gpus: int,
    gpu_mem_gib: float,
    max_len: int = 131072,
    *,
    gpu_memory_utilization: float = DEFAULT_UTILIZATION,
    allocator: str = "hybrid",
    kv_cache_dtype: str = "auto",
    typical_tokens: int = TYPICAL_EPISODE_TOKENS,
) -> ServePlan:
    """Choose vLLM settings for `model` on `gpus` GPUs of `gpu_mem_gib` GiB each.

    Tensor parallelism spans all GPUs. Raises PlanError when the weights do not fit or
    the KV cache would not hold even CONTEXT_STEP tokens.
    """
    chosen = _preset(preset)
    if allocator not in ALLOCATORS:
        raise PlanError(f"unknown allocator {allocator!r}; choose {' or '.join(ALLOCATORS)}")
    if kv_cache_dtype not in ("auto", "fp8"):
        raise PlanError(f"kv_cache_dtype must be auto or fp8, not {kv_cache_dtype!r}")
    kv_bytes = 1 if kv_cache_dtype == "fp8" else chosen.kv_dtype_bytes
    _check_inputs(model, gpus, gpu_mem_gib, max_len, gpu_memory_utilization)
    room = kv_room_bytes(model, chosen, gpus, gpu_mem_gib, gpu_memory_utilization)
    if room <= 0:
        raise PlanError(_no_room_for_weights(model, chosen, gpus, gpu_mem_gib, gpu_memory_utilization))
    per_token = kv_bytes_per_token(model, chosen, gpus) * kv_bytes // chosen.kv_dtype_bytes
    capacity = int(room // per_token)
    if allocator == "hybrid":  # the longest single sequence the pool holds
        seq = lambda n: sequence_kv_bytes(model, chosen, gpus, n, allocator, kv_bytes)  # noqa: E731
        capacity = _longest(seq, room, model.max_context * 64)
    max_model_len, reason = _choose_length(capacity, max_len, room, chosen)
    if max_model_len == 0:  # less than CONTEXT_STEP fits
        raise PlanError(
            f"after the weights, {gpus} x {gpu_mem_gib:g} GiB leaves a KV cache of only "
            f"{capacity} tokens for {model.hf_id} ({chosen.name}); {_hint(chosen)}"
        )
    seq_bytes = lambda n: sequence_kv_bytes(model, chosen, gpus, n, allocator, kv_bytes)  # noqa: E731
    at_once = int(room // seq_bytes(min(typical_tokens, max_model_len))) if max_model_len else 0
    full_at_once = int(room // seq_bytes(max_model_len)) if max_model_len else 0
    argv = _engine_args(chosen, gpus, max_model_len, gpu_memory_utilization)
    if kv_cache_dtype == "fp8":
        argv += ["--kv-cache-dtype", "fp8"]
    if allocator == "hybrid" and max_model_len == max_len:
        reason = (f"{max_len} tokens fit: {_gib(room)} GiB per GPU are left for the KV cache, room for "
                  f"{full_at_once} full-length sequences under vLLM's hybrid KV-cache manager")
    return ServePlan(
        allocator=allocator, kv_cache_dtype=kv_cache_dtype, typical_tokens=typical_tokens,
        episodes_at_once=at_once, full_length_at_once=full_at_once,
        model=model.hf_id,
        preset=chosen.name,
        tensor_parallel_size=gpus,
        dtype=chosen.dtype,
        quantization=chosen.quantization,
        gpu_memory_utilization=gpu_memory_utilization,
        max_model_len=max_model_len,
        kv_cache_tokens=capacity,
        reason=reason,
        argv=argv,
    )


def _longest(seq_bytes, room: float, upper: int) -> int:
    """The largest token count whose sequence fits in `room` (seq_bytes grows with tokens)."""
    lo, hi = 0, upper
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if seq_bytes(mid) <= room:
            lo = mid
        else:
            hi = mid - 1
    return lo


def vllm_command(
    plan: ServePlan, host: str, port: int, served_name: str, *, python: str = sys.executable
) -> list[str]:
    """The full command line that starts vLLM's OpenAI-compatible server for `plan`."""
    return [
        python, "-m", "vllm.entrypoints.openai.api_server",
        "--model", plan.model,
        "--host", host,
        "--port", str(port),
        "--served-model-name", served_name,
        *plan.argv,
    ]  # fmt: skip


def _preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise PlanError(f"unknown preset {name!r}; choose {' or '.join(PRESETS)}") from None


def _check_inputs(model: ModelSpec, gpus: int, gpu_mem_gib: float, max_len: int, utilization: float) -> None:
    if gpus < 1:
        raise PlanError(f"vLLM for {model.hf_id} needs at least one GPU, got {gpus}")
    check_tensor_parallel(model, gpus)
    if gpu_mem_gib <= 0:
        raise PlanError(f"GPU memory must be positive, got {gpu_mem_gib} GiB")
    if not 0 < utilization <= 1:
        raise PlanError(f"gpu_memory_utilization must be in (0, 1], got {utilization}")
    if not 0 < max_len <= model.max_context:
        raise PlanError(f"max_len must be between 1 and {model.max_context} for {model.hf_id}, got {max_len}")


def _choose_length(capacity: int, wanted: int, room: float, preset: Preset) -> tuple[int, str]:
    if capacity >= wanted:
        return wanted, (
            f"{wanted} tokens fit: {_gib(room)} GiB per GPU are left for the KV cache, "
            f"room for {capacity} tokens ({capacity / wanted:.1f} full-length sequences)"
        )
    fitted = capacity // CONTEXT_STEP * CONTEXT_STEP
    return fitted, (
        f"context cut from {wanted} to {fitted} tokens: only {_gib(room)} GiB per GPU are "
        f"left for the KV cache after weights and a {RESERVE_GIB:g} GiB reserve, room for "
        f"{capacity} tokens; to get more, {_hint(preset)}"
    )


def _no_room_for_weights(model: ModelSpec, preset: Preset, gpus: int, gpu_mem_gib: float, util: float) -> str:
    per_gpu = weights_bytes(model, preset) / gpus
    usable = gpu_mem_gib * util
    return (
        f"{model.hf_id} ({preset.name}) does not fit: its weights take {_gib(per_gpu)} GiB per GPU "
        f"plus a {RESERVE_GIB:g} GiB reserve, but {gpus} x {gpu_mem_gib:g} GiB at utilization "
        f"{util:g} gives {usable:.1f} GiB per GPU; {_hint(preset)}"
    )


def _engine_args(preset: Preset, tp: int, max_model_len: int, utilization: float) -> list[str]:
    args = [
        "--tensor-parallel-size", str(tp),
        "--dtype", preset.dtype,
        "--max-model-len", str(max_model_len),
    ]  # fmt: skip
    if preset.quantization:
        args += ["--quantization", preset.quantization]
    return args + ["--gpu-memory-utilization", f"{utilization:g}"]


def _hint(preset: Preset) -> str:
    return "use more GPUs" if preset.quantization else "use more GPUs or the fp8 preset"


def _either(numbers: list[int]) -> str:
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / GIB:.1f}"
