"""Which nodes an image's work goes to: rendezvous hashing of its content-hashed tag over the live nodes (pure)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence


def _score(key: str, node: str) -> int:
    return int.from_bytes(hashlib.blake2b(f"{key}\0{node}".encode(), digest_size=8).digest(), "big")


def rank(key: str, nodes: Sequence[str]) -> list[str]:
    """Nodes in rendezvous order for `key`: each key's order is fixed, and losing a node only
    moves the keys that ranked it first (the others keep their nodes and their cached images)."""
    return sorted(nodes, key=lambda n: (-_score(key, n), n))


def homes(key: str, nodes: Sequence[str], replicas: int) -> list[str]:
    """The `replicas` nodes an image's work goes to; every node when there is no key."""
    ordered = rank(key, nodes) if key else list(nodes)
    return ordered if not key else ordered[:max(1, replicas)]


def pick_node(key: str, nodes: Sequence[str], free: Mapping[str, int], replicas: int) -> str | None:
    """The home of `key` with a free slot (most free first, rendezvous order on ties); None: all busy."""
    candidates = [n for n in homes(key, nodes, replicas) if free.get(n, 0) > 0]
    if not candidates:
        return None
    order = {n: i for i, n in enumerate(candidates)}
    return max(candidates, key=lambda n: (free[n], -order[n]))
