"""`forager gc`: remove every container Forager labelled, and its temporary images."""

from __future__ import annotations

from docker.errors import APIError, NotFound

from forager.engine import LABEL, client


def collect(images: bool = True) -> tuple[int, int]:
    """Remove labelled containers (any state) and images labelled temporary; returns counts."""
    removed_c = removed_i = 0
    for c in client().containers.list(all=True, filters={"label": LABEL}):
        try:
            c.remove(force=True)
            removed_c += 1
        except (NotFound, APIError):
            pass
    if images:
        for img in client().images.list(filters={"label": f"{LABEL}.temporary=1"}):
            try:
                client().images.remove(img.id, force=True)
                removed_i += 1
            except (NotFound, APIError):
                pass
        client().images.prune(filters={"dangling": True, "label": LABEL})
    return removed_c, removed_i
