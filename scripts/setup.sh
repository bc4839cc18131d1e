#!/usr/bin/env bash
# Everything a fresh machine needs before Forager runs: a Docker engine (with debootstrap for
# the offline base image) and a virtualenv at .venv with Forager and its extras installed.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/docker-up.sh

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip >/dev/null
fi
# llama-cpp-python first, built portably, so the extras below find it installed.
bash scripts/llama-build.sh
stamp=.venv/.forager-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Forager with its test, local-model and cluster extras" >&2
  .venv/bin/pip install -q -e '.[dev,local,cluster]'
  touch "$stamp"
fi

# --- export: headless Chromium for the `forager view` page test (tests/integration/test_export.py)
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing chromium (headless browser for the view test)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: chromium is missing (the view test needs it): install Debian's chromium package as root" >&2
  fi
fi
# --- end export

# --- cluster: Debian's registry, which images go to Ray nodes through (tests/integration/test_cluster.py)
if ! command -v docker-registry >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing docker-registry (the image registry of --ray clusters)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null
  else
    echo "setup: docker-registry is missing (the cluster tests need it): install Debian's docker-registry package as root" >&2
  fi
fi
# --- end cluster
