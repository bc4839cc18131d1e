#!/usr/bin/env bash
# A Docker engine of its own for one cluster node on this machine (tests, benchmarks, demos).
#   node-engine.sh start NAME INDEX   # prints the engine's DOCKER_HOST
#   node-engine.sh stop NAME
# Each engine has its own data root, exec root (so its own containerd), socket, pid file and its
# own bridge br-fa<INDEX> on 172.31.<100+INDEX>.0/24. Never --bridge=none on the host network:
# that deletes the host's docker0. iptables stay off: the host engine owns the DOCKER chains, and
# Forager's containers run with --network none anyway. Images come through the registry, which
# the engine itself reaches on 127.0.0.1 (loopback registries need no TLS).
set -euo pipefail
cmd=${1:?start|stop}; name=${2:?NAME}
root=${FORAGER_ENGINES_DIR:-/tmp/forager-engines}/$name
sock=$root/docker.sock
say() { echo "node-engine: $*" >&2; }

start() {
  local index=${1:?INDEX (1..150)}
  local bridge=br-fa$index
  mkdir -p "$root/data" "$root/exec"
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "172.31.$((100 + index)).1/24" dev "$bridge"
    ip link set "$bridge" up
  fi
  echo "$bridge" > "$root/bridge"
  nohup dockerd --data-root "$root/data" --exec-root "$root/exec" -H "unix://$sock" --pidfile "$root/dockerd.pid" \
    --bridge "$bridge" --iptables=false --ip-masq=false --cgroup-parent "/forager-$name" >"$root/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do
    if DOCKER_HOST="unix://$sock" docker info >/dev/null 2>&1; then
      echo "unix://$sock"
      return 0
    fi
    sleep 0.5
  done
  say "$name: dockerd did not answer within 30 s; see $root/dockerd.log"
  exit 1
}

stop() {
  if [ -f "$root/dockerd.pid" ]; then
    local pid; pid=$(cat "$root/dockerd.pid")
    # Containers first: a stopped engine leaves their mounts behind otherwise.
    DOCKER_HOST="unix://$sock" docker ps -aq 2>/dev/null | xargs -r env DOCKER_HOST="unix://$sock" docker rm -f >/dev/null 2>&1 || true
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  if [ -f "$root/bridge" ]; then ip link del "$(cat "$root/bridge")" 2>/dev/null || true; fi
  if [ "${KEEP_DATA:-0}" != 1 ]; then rm -rf "$root" 2>/dev/null || say "$name: could not remove $root"; fi
}

case "$cmd" in
  start) start "${3:-}" ;;
  stop) stop ;;
  *) say "unknown command $cmd (start|stop)"; exit 2 ;;
esac
