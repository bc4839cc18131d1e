#!/usr/bin/env bash
# Build llama-cpp-python portably and install it into .venv.
#
# Its default build uses -march=native. Some virtual machines report CPU features (AMX) that
# they do not enable, and that build dies with SIGSEGV on the first completion. So: no native
# flags, AVX2/FMA/F16C always, AVX-512 only when a probe program using it runs here.
# pip's wheel cache keys a source build by its download, not by CMAKE_ARGS, so the build
# bypasses it and keeps its own wheel under a folder named by the flags.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${LLAMA_CPP_VERSION:-0.3.36}
say() { echo "llama-build: $*" >&2; }

flags="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
flags="$flags -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT
cat >"$probe_dir/p.c" <<'C'
#include <immintrin.h>
int main(void) { volatile float o[16]; __m512 a = _mm512_set1_ps(1.5f); _mm512_storeu_ps((float *)o, _mm512_add_ps(a, a)); return o[3] == 3.0f ? 0 : 1; }
C
if gcc -O1 -mavx512f "$probe_dir/p.c" -o "$probe_dir/p" 2>/dev/null && "$probe_dir/p" 2>/dev/null; then
  flags="$flags -DGGML_AVX512=ON"
else
  flags="$flags -DGGML_AVX512=OFF"
fi

key=$(printf '%s %s' "$version" "$flags" | sha256sum | cut -c1-12)
if [ "$(cat .venv/.llama-build 2>/dev/null)" = "$key" ] && .venv/bin/python -c 'import llama_cpp' 2>/dev/null; then
  exit 0
fi
wheels="${XDG_CACHE_HOME:-$HOME/.cache}/forager/llama-wheels/$key"
if ! ls "$wheels"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  say "compiling llama-cpp-python $version portably (about 5 min on 2 cores): $flags"
  mkdir -p "$wheels"
  CMAKE_ARGS="$flags" .venv/bin/pip wheel -q --no-cache-dir --no-deps -w "$wheels" "llama-cpp-python==$version"
fi
.venv/bin/pip install -q --no-index --find-links "$wheels" --force-reinstall --no-deps "llama-cpp-python==$version"
.venv/bin/pip install -q "llama-cpp-python[server]==$version"
echo "$key" > .venv/.llama-build
