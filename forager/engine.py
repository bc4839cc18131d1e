"""The connection to the Docker engine, and the one-line answer when there is none."""

from __future__ import annotations

import functools

import docker
from docker.errors import DockerException

from forager.errors import EngineUnavailable

START_HINT = "start one with 'bash scripts/docker-up.sh' (as root) or your system's Docker service"

# Every container and image Forager creates carries this label, so `forager gc` finds them.
LABEL = "forager"


@functools.lru_cache(maxsize=1)
def client() -> docker.DockerClient:
    """A docker SDK client that has answered a ping (cached for the process)."""
    try:
        c = docker.from_env(timeout=600)
        c.ping()
    except DockerException as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise EngineUnavailable(f"no Docker engine answers ({reason[:160]}); {START_HINT}") from None
    return c
