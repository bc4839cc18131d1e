"""`forager gc`: remove the containers Forager left behind, and its temporary images."""

from __future__ import annotations

import os
import socket
import time

from docker.errors import APIError, NotFound

from forager.engine import LABEL, client


def owner_alive(labels: dict[str, str]) -> bool:
    """Whether the process that made the container still runs (on this host)."""
    pid, host = labels.get(f"{LABEL}.pid"), labels.get(f"{LABEL}.host")
    if not pid or not pid.isdigit() or host != socket.gethostname():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def collect(images: bool = True, everything: bool = False) -> tuple[int, int]:
    """Remove labelled containers whose owner is gone (all of them with `everything`), and
    images labelled temporary; returns the counts."""
    removed_c = removed_i = 0
    # A client killed mid-request can have a create still landing in the daemon: sweep until
    # a pass finds nothing more to remove (three passes at most).
    for attempt in range(3):
        # Only containers Forager started carry the pid label; containers that merely inherit
        # `forager=1` from an image (a user's, or a running `docker build` step) are not ours.
        # The low-level list: the high-level one inspects each container and fails on one that
        # vanishes in between (another run removing its own).
        found = [c["Id"] for c in client().api.containers(all=True, filters={"label": f"{LABEL}.pid"})
                 if everything or not owner_alive(c.get("Labels") or {})]
        if not found and attempt:
            break
        for cid in found:
            try:
                client().api.remove_container(cid, force=True)
                removed_c += 1
            except (NotFound, APIError):
                pass
        time.sleep(1.0)
    if images:
        for img in client().images.list(filters={"label": f"{LABEL}.temporary=1"}):
            try:
                client().images.remove(img.id, force=True)
                removed_i += 1
            except (NotFound, APIError):
                pass
    return removed_c, removed_i
