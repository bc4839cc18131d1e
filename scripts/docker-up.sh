#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine.
# 1. An engine already answers: nothing to do.
# 2. Otherwise, as root: install Debian's docker.io if dockerd is missing, start dockerd
#    in the background (log: /var/log/forager-dockerd.log) and wait until it answers.
# Exits non-zero with one line saying what to do when neither works.
set -euo pipefail

log=/var/log/forager-dockerd.log
say() { echo "docker-up: $*" >&2; }

engine_answers() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

if engine_answers; then
  say "engine already running"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  say "no Docker engine answers and this is not root: start Docker yourself (e.g. 'sudo systemctl start docker') or rerun as root"
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  say "installing Debian's docker.io (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq docker.io >/dev/null
fi
# debootstrap builds the offline base image; install it alongside the engine.
if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq debootstrap >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  say "starting dockerd (log: $log)"
  nohup dockerd >"$log" 2>&1 &
fi

for _ in $(seq 1 60); do
  if engine_answers; then
    say "engine ready"
    exit 0
  fi
  sleep 1
done
say "dockerd did not answer within 60 s; see $log"
exit 1
