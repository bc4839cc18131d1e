#!/usr/bin/env bash
# A Docker engine of its own for one cluster node on this machine (tests, benchmarks, demos).
#   node-engine.sh start NAME INDEX   # prints the engine's DOCKER_HOST
#   node-engine.sh stop NAME
# Each engine has its own data root, exec root (so its own containerd), socket, pid file and its
# own bridge br-fa<INDEX> on 198.18.<INDEX>.0/24 (a benchmarking range, RFC 2544, that no
# Docker address pool uses). Never --bridge=none on the host network:
# that deletes the host's docker0. The engine's own iptables stay off (the host engine owns the
# DOCKER chains); this script adds only the rules of its own bridge (NAT out, forwarding), so
# image builds on the node reach package indexes; episodes run with --network none anyway.
# Images come through the registry, which the engine reaches on 127.0.0.1 (no TLS needed there).
set -euo pipefail
cmd=${1:?start|stop}; name=${2:?NAME}
root=${FORAGER_ENGINES_DIR:-/tmp/forager-engines}/$name
sock=$root/docker.sock
say() { echo "node-engine: $*" >&2; }

# The bridge's own rules, added (-A) once or deleted (-D): masquerade out, forward both ways.
rules() {
  local bridge=$1 subnet=$2 op=$3
  local nat=(POSTROUTING -s "$subnet" ! -o "$bridge" -j MASQUERADE)
  local out=(FORWARD -i "$bridge" ! -o "$bridge" -j ACCEPT)
  local back=(FORWARD -o "$bridge" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT)
  if [ "$op" = -A ]; then
    iptables -t nat -C "${nat[@]}" 2>/dev/null || iptables -t nat -A "${nat[@]}"
    iptables -C "${out[@]}" 2>/dev/null || iptables -I "${out[@]}"
    iptables -C "${back[@]}" 2>/dev/null || iptables -I "${back[@]}"
  else
    iptables -t nat -D "${nat[@]}" 2>/dev/null || true
    iptables -D "${out[@]}" 2>/dev/null || true
    iptables -D "${back[@]}" 2>/dev/null || true
  fi
}

start() {
  local index=${1:?INDEX (1..250)}
  local bridge=br-fa$index
  mkdir -p "$root/data" "$root/exec"
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "198.18.$index.1/24" dev "$bridge"
    ip link set "$bridge" up
  fi
  echo "$bridge" > "$root/bridge"
  rules "$bridge" "198.18.$index.0/24" -A
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
  if [ -f "$root/bridge" ]; then
    local bridge; bridge=$(cat "$root/bridge")
    rules "$bridge" "198.18.${bridge#br-fa}.0/24" -D
    ip link del "$bridge" 2>/dev/null || true
  fi
  if [ "${KEEP_DATA:-0}" != 1 ]; then rm -rf "$root" 2>/dev/null || say "$name: could not remove $root"; fi
}

case "$cmd" in
  start) start "${3:-}" ;;
  stop) stop ;;
  *) say "unknown command $cmd (start|stop)"; exit 2 ;;
esac
