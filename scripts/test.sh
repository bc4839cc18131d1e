#!/usr/bin/env bash
# The whole test suite, on a fresh machine too: installs what it needs, then runs pytest.
# Extra arguments go to pytest (e.g. bash scripts/test.sh tests/unit -q).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "${@:--q}"
