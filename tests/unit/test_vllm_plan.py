"""vLLM plans for CWM: memory arithmetic, presets, GPU counts and refusals."""

import pytest

from forager.serve.vllm import (
    CWM,
    GIB,
    PRESETS,
    RESERVE_GIB,
    PlanError,
    kv_bytes_per_token,
    kv_room_bytes,
    plan,
    vllm_command,
    weights_bytes,
)

H100_GIB = 80


def test_kv_bytes_per_token():
    # 2 (K, V) * 64 layers * 8 KV heads * 128 dims * 2 bytes = 256 KiB for the whole model.
    assert kv_bytes_per_token(CWM, PRESETS["bf16"], 1) == 262144
    assert kv_bytes_per_token(CWM, PRESETS["bf16"], 2) == 131072
    assert kv_bytes_per_token(CWM, PRESETS["bf16"], 8) == 32768
    # Past 8 GPUs the 8 KV heads are replicated, not split further.
    assert kv_bytes_per_token(CWM, PRESETS["bf16"], 16) == 32768


def test_weights_bytes():
    assert weights_bytes(CWM, PRESETS["bf16"]) == 64e9
    assert weights_bytes(CWM, PRESETS["fp8"]) == 32e9


def test_kv_room():
    expected = 80 * GIB * 0.9 - 64e9 / 2 - RESERVE_GIB * GIB
    assert kv_room_bytes(CWM, PRESETS["bf16"], 2, 80, 0.9) == pytest.approx(expected)


@pytest.mark.parametrize("gpus", [2, 4, 8])
def test_bf16_full_context_on_several_h100s(gpus):
    p = plan(CWM, "bf16", gpus, H100_GIB)
    assert p.max_model_len == 131072
    assert p.tensor_parallel_size == gpus
    assert p.dtype == "bfloat16" and p.quantization is None
    assert p.kv_cache_tokens >= 131072
    assert p.reason.startswith("131072 tokens fit")
    assert p.argv == [
        "--tensor-parallel-size", str(gpus),
        "--dtype", "bfloat16",
        "--max-model-len", "131072",
        "--gpu-memory-utilization", "0.9",
    ]  # fmt: skip


def test_more_gpus_hold_more_tokens():
    tokens = [plan(CWM, "bf16", g, H100_GIB).kv_cache_tokens for g in (2, 4, 8)]
    assert tokens == sorted(tokens) and len(set(tokens)) == 3


def test_bf16_on_one_h100_must_shrink_context():
    p = plan(CWM, "bf16", 1, H100_GIB, allocator="uniform")  # every layer charged the full context
    room = 80 * GIB * 0.9 - 64e9 - RESERVE_GIB * GIB
    capacity = int(room // 262144)
    assert p.kv_cache_tokens == capacity
    assert p.max_model_len == capacity // 1024 * 1024 == 33792
    assert p.max_model_len % 1024 == 0
    assert "context cut from 131072 to 33792" in p.reason
    assert "--max-model-len" in p.argv and "33792" in p.argv


@pytest.mark.parametrize("gpus", [1, 2, 4, 8])
def test_fp8_full_context(gpus):
    p = plan(CWM, "fp8", gpus, H100_GIB)
    assert p.max_model_len == 131072
    assert p.quantization == "fp8"
    assert p.argv == [
        "--tensor-parallel-size", str(gpus),
        "--dtype", "bfloat16",
        "--max-model-len", "131072",
        "--quantization", "fp8",
        "--gpu-memory-utilization", "0.9",
    ]  # fmt: skip


def test_shorter_context_on_request():
    assert plan(CWM, "fp8", 1, H100_GIB, max_len=32768).max_model_len == 32768


def test_short_request_below_rounding_step():
    assert plan(CWM, "bf16", 1, H100_GIB, max_len=512).max_model_len == 512


def test_lower_utilization_shrinks_context():
    p = plan(CWM, "fp8", 1, H100_GIB, gpu_memory_utilization=0.7, allocator="uniform")
    assert p.max_model_len < 131072 and p.max_model_len % 1024 == 0
    assert "--gpu-memory-utilization" in p.argv and "0.7" in p.argv


def test_weights_do_not_fit_bf16():
    with pytest.raises(PlanError, match=r"does not fit: its weights take 59\.6 GiB per GPU.*fp8 preset"):
        plan(CWM, "bf16", 1, 48)


def test_weights_do_not_fit_fp8():
    with pytest.raises(PlanError, match=r"does not fit.*use more GPUs$"):
        plan(CWM, "fp8", 1, 24)


def test_weights_fit_but_no_room_for_context():
    # bf16 on one 70.8 GiB card: 63.7 GiB usable, 59.6 of weights, 4 reserved: ~470 tokens.
    with pytest.raises(PlanError, match=r"KV cache of only \d+ tokens"):
        plan(CWM, "bf16", 1, 70.8)


def test_plan_error_is_value_error():
    assert issubclass(PlanError, ValueError)


@pytest.mark.parametrize("gpus", [0, 3, 5, 6])
def test_gpu_counts_that_do_not_split(gpus):
    with pytest.raises(PlanError):
        plan(CWM, "bf16", gpus, H100_GIB)


def test_bad_inputs():
    with pytest.raises(PlanError, match="unknown preset"):
        plan(CWM, "int4", 1, H100_GIB)
    with pytest.raises(PlanError, match="max_len"):
        plan(CWM, "fp8", 1, H100_GIB, max_len=262144)
    with pytest.raises(PlanError, match="gpu_memory_utilization"):
        plan(CWM, "fp8", 1, H100_GIB, gpu_memory_utilization=1.5)


def test_preset_defaults_match_the_design():
    assert PRESETS["bf16"].default_gpus == 2 and PRESETS["fp8"].default_gpus == 1


def test_vllm_command():
    p = plan(CWM, "fp8", 1, H100_GIB)
    assert vllm_command(p, "0.0.0.0", 8000, "cwm", python="python") == [
        "python", "-m", "vllm.entrypoints.openai.api_server",
        "--model", "facebook/cwm",
        "--host", "0.0.0.0",
        "--port", "8000",
        "--served-model-name", "cwm",
        "--tensor-parallel-size", "1",
        "--dtype", "bfloat16",
        "--max-model-len", "131072",
        "--quantization", "fp8",
        "--gpu-memory-utilization", "0.9",
    ]  # fmt: skip


def test_plan_serialises():
    p = plan(CWM, "bf16", 2, H100_GIB)
    assert type(p).model_validate_json(p.model_dump_json()) == p


# ---------------------------------------------------------------- CWM's attention layout


def test_hybrid_allocator_keeps_only_the_window_for_sliding_layers():
    from forager.serve.vllm import sequence_kv_bytes
    # 16 global layers (i % 4 == 0) hold every token; 48 sliding layers at most 8192.
    per_layer = 2 * 4 * 128 * 2  # tp 2: 4 KV heads per GPU, bf16
    assert sequence_kv_bytes(CWM, PRESETS["bf16"], 2, 131072, "hybrid") == per_layer * (16 * 131072 + 48 * 8192)
    assert sequence_kv_bytes(CWM, PRESETS["bf16"], 2, 4096, "hybrid") == per_layer * 64 * 4096
    assert sequence_kv_bytes(CWM, PRESETS["bf16"], 2, 131072, "uniform") == per_layer * 64 * 131072


def test_uniform_plan_undercounts_episodes_by_about_half():
    hybrid = plan(CWM, "bf16", 2, H100_GIB, allocator="hybrid")
    uniform = plan(CWM, "bf16", 2, H100_GIB, allocator="uniform")
    assert hybrid.allocator == "hybrid" and uniform.allocator == "uniform"
    assert uniform.episodes_at_once / hybrid.episodes_at_once < 0.5
    assert hybrid.full_length_at_once >= 3 * uniform.full_length_at_once
    assert hybrid.argv == uniform.argv  # hybrid is vLLM's default: no flag


def test_fp8_kv_cache_doubles_what_fits_and_says_so():
    auto = plan(CWM, "fp8", 1, H100_GIB, allocator="hybrid")
    fp8 = plan(CWM, "fp8", 1, H100_GIB, allocator="hybrid", kv_cache_dtype="fp8")
    assert fp8.argv[-2:] == ["--kv-cache-dtype", "fp8"] and "--kv-cache-dtype" not in auto.argv
    assert fp8.episodes_at_once >= 2 * auto.episodes_at_once


def test_hybrid_gives_bf16_on_one_card_a_longer_context():
    assert plan(CWM, "bf16", 1, H100_GIB, allocator="hybrid").max_model_len > 100_000


def test_serve_dry_run_prints_the_plan_and_a_harvest_line_with_sampling_and_concurrency(capsys):
    from forager.serve.launch import plan_summary, serve_vllm
    summary = plan_summary(plan(CWM, "bf16", 2, H100_GIB, allocator="hybrid"))
    assert "hybrid KV-cache manager" in summary and "21 episodes of 32768 tokens" in summary
    serve_vllm("facebook/cwm", "bf16", 2, 80.0, 131072, "127.0.0.1", 8000, True, 1)
    out = capsys.readouterr().out
    assert "--tensor-parallel-size 2" in out
    assert out.strip().splitlines()[-1].endswith("--policy cwm --endpoint http://127.0.0.1:8000/v1 --model "
                                                 "facebook/cwm --temperature 1.0 --top-p 0.95 --concurrency 21")
