"""Ordered, bounded parallel map for the export's per-line work.

Results come back in input order, so the output does not depend on the number of workers; at
most `window` chunks are in flight, so memory stays bounded whatever the input size (a plain
`Pool.imap` reads its whole input ahead). One worker runs everything in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Workers:
    """`with Workers(n, init, args) as w: for r in w.map(fn, chunks): ...`; `init(*args)` runs once
    in each worker (and here, with one worker) to set the worker's state."""

    def __init__(self, n: int, init: Callable, initargs: tuple = ()):
        self.n = max(1, n)
        self.init, self.initargs = init, initargs
        self.pool = None
        self.join_timeout = 60.0  # seconds the workers get to exit once the work is done

    def __enter__(self) -> Workers:
        if self.n == 1:
            self.init(*self.initargs)
        else:
            # fork: the workers start with the parent's imported modules (no re-import per worker).
            ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
            self.pool = (ctx or multiprocessing).Pool(self.n, self.init, self.initargs)
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is None:
            return
        if exc[0] is not None:
            self.pool.terminate()
            self.pool.join()
        else:
            self.pool.close()
            if self._reap(self.join_timeout):
                self.pool.join()

    def _reap(self, timeout: float) -> bool:
        """Wait for the workers to take their stop signal and exit; True when they all did
        within `timeout`. Those that did not are killed (every result is in by now, so nothing
        is lost), and the pool is left to its daemon threads: Pool.join() and terminate() both
        wait on queue locks a dead worker may hold. Seen in CI: a forked worker left waiting
        forever for the queue's lock, and Pool.join() waiting for it."""
        deadline = time.monotonic() + timeout
        workers = list(getattr(self.pool, "_pool", ()))
        for w in workers:
            w.join(max(0.0, deadline - time.monotonic()))
        stuck = [w for w in workers if w.is_alive()]
        for w in stuck:
            w.kill()  # SIGKILL: a stopped or blocked worker ignores nothing
            w.join()
        if stuck and hasattr(getattr(self.pool, "_terminate", None), "cancel"):
            self.pool._terminate.cancel()  # its clean-up at exit would wait on those locks too
        return not stuck

    def map(self, fn: Callable, chunks: Iterable, window: int = 0) -> Iterator:
        if self.pool is None:
            for c in chunks:
                yield fn(c)
            return
        window = window or 3 * self.n
        pending: deque = deque()
        for c in chunks:
            pending.append(self.pool.apply_async(fn, (c,)))
            if len(pending) >= window:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
