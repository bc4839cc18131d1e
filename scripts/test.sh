#!/usr/bin/env bash
# The whole test suite, on a fresh machine too: installs what it needs, lints, then runs pytest.
# Extra arguments go to pytest (e.g. bash scripts/test.sh tests/unit -q).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "test: ruff check (configured in pyproject.toml)" >&2
.venv/bin/ruff check forager tests benchmarks
exec .venv/bin/python -m pytest "${@:--q}"
