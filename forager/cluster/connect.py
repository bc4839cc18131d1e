"""Joining a Ray cluster as its driver, with one clear line when there is none."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from forager.errors import ForagerError

START_HINT = "start one with 'ray start --head' (see README: Cluster)"
CURRENT_CLUSTER = Path("/tmp/ray/ray_current_cluster")  # where `ray start --head` notes its address


def resolve(address: str) -> str:
    """host:port of the cluster; `auto` reads RAY_ADDRESS or the address the local head noted."""
    if address != "auto":
        return address.removeprefix("ray://")
    found = os.environ.get("RAY_ADDRESS") or (CURRENT_CLUSTER.read_text().strip() if CURRENT_CLUSTER.is_file() else "")
    if not found:
        raise ForagerError(f"--ray auto: no Ray cluster runs on this machine; {START_HINT}")
    return found


def answers(address: str, timeout: float = 3.0) -> bool:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ForagerError(f"--ray {address}: not HOST:PORT (or auto)")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def connect(address: str):
    """The `ray` module, joined to the cluster at `address` (ray.init retries for minutes when
    nothing listens, so the port is tried first)."""
    target = resolve(address)
    if not answers(target):
        raise ForagerError(f"--ray {address}: no Ray cluster answers at {target}; {START_HINT}")
    try:
        import ray
    except ImportError:
        raise ForagerError("--ray needs Ray: pip install 'forager[cluster]'") from None
    if not ray.is_initialized():
        try:
            ray.init(address=target, logging_level="ERROR", log_to_driver=False, configure_logging=True)
        except (ConnectionError, RuntimeError) as exc:
            line = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise ForagerError(f"--ray {address}: could not join the cluster at {target} ({line})") from None
    return ray
