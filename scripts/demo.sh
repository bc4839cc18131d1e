#!/usr/bin/env bash
# The demo on a fresh machine: installs what it needs, then runs `forager demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/forager demo "$@"
