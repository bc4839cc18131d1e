"""`forager gc`: remove every container Forager labelled, and its temporary images."""

from __future__ import annotations

import time

from docker.errors import APIError, NotFound

from forager.engine import LABEL, client


def collect(images: bool = True) -> tuple[int, int]:
    """Remove labelled containers (any state) and images labelled temporary; returns counts."""
    removed_c = removed_i = 0
    # A client killed mid-request can have a create still landing in the daemon: sweep until
    # a pass finds nothing (three passes at most).
    for attempt in range(3):
        found = client().containers.list(all=True, filters={"label": LABEL})
        if not found and attempt:
            break
        for c in found:
            try:
                c.remove(force=True)
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
        client().images.prune(filters={"dangling": True, "label": LABEL})
    return removed_c, removed_i
