"""Ordered, bounded parallel map for the export's per-line work.

Results come back in input order, so the output does not depend on the number of workers; at
most `window` chunks are in flight, so memory stays bounded whatever the input size (a plain
`Pool.imap` reads its whole input ahead). One worker runs everything in this process.
"""

from __future__ import annotations

import multiprocessing
import os
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

    def __enter__(self) -> Workers:
        if self.n == 1:
            self.init(*self.initargs)
        else:
            # fork: the workers start with the parent's imported modules (no re-import per worker).
            ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
            self.pool = (ctx or multiprocessing).Pool(self.n, self.init, self.initargs)
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            if exc[0] is None:
                self.pool.close()
            else:
                self.pool.terminate()
            self.pool.join()

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
