"""Executors: where the work of one item runs. Local threads now; a Ray cluster can take their place."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol


class Executor(Protocol):
    def submit(self, fn, /, *args) -> Future: ...

    def shutdown(self, wait: bool = True) -> None: ...


class ThreadExecutor:
    """Items run in threads of this process (the work is mostly waiting on containers)."""

    def __init__(self, workers: int):
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers))

    def submit(self, fn, /, *args) -> Future:
        return self._pool.submit(fn, *args)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
