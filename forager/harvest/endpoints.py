"""Several model endpoints: each episode takes the least busy one at its first turn and keeps it.

The pool counts the episodes on each endpoint. Locally it is this object; on a cluster one Ray
actor holds it and every node's episodes ask it (forager/cluster/endpoints.py), with the same
acquire/release calls.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence


def least_busy(endpoints: Sequence[str], busy: Mapping[str, int]) -> str:
    """The endpoint with the fewest episodes on it; the first listed on ties."""
    if not endpoints:
        raise ValueError("no endpoints")
    return min(endpoints, key=lambda e: (busy.get(e, 0), endpoints.index(e)))


class EndpointPool:
    def __init__(self, endpoints: Sequence[str]):
        self.endpoints = list(dict.fromkeys(endpoints))
        self.busy = {e: 0 for e in self.endpoints}
        self._lock = threading.Lock()

    def acquire(self) -> str:
        with self._lock:
            chosen = least_busy(self.endpoints, self.busy)
            self.busy[chosen] += 1
            return chosen

    def release(self, endpoint: str) -> None:
        with self._lock:
            if self.busy.get(endpoint, 0) > 0:
                self.busy[endpoint] -= 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self.busy)

    def __getstate__(self):  # sent to another process it starts empty (a cluster uses its own pool)
        return {"endpoints": self.endpoints}

    def __setstate__(self, state):
        self.__init__(state["endpoints"])
