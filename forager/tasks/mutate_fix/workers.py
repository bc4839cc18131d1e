"""Workers: warm containers of one image that check mutants in parallel, in candidate order.

Results are handed back strictly in the order of the candidates, and whether a candidate is
still wanted is asked again when its turn comes, so the tasks and the ledger are the same as
with one worker: parallel checks only run ahead, and a result nobody wants is dropped.
"""

from __future__ import annotations

import queue
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from forager.containers import Sandbox
from forager.records.manifest import Manifest
from forager.tasks.mutate_fix.candidates import MutantCandidate
from forager.tasks.mutate_fix.check import Check, check, verify
from forager.testsuite.warm_pytest import Unavailable, WarmPytest


@dataclass
class Worker:
    box: Sandbox
    warm: WarmPytest | None = None


class Workers:
    def __init__(self, m: Manifest, first: Sandbox, count: int, stack: ExitStack, serve: bool,
                 on_fallback: Callable[[str], None], covering_only: bool = True,
                 durations: dict[str, float] | None = None):
        """`first` is already running; count - 1 more containers are started (and removed by `stack`).
        `covering_only`: let the server run only the tests that can change (check.check).
        `durations`: each test's time in the coverage run, for the server's per-test hang limits."""
        self.m, self.on_fallback, self.covering_only = m, on_fallback, covering_only
        self.durations = durations
        boxes = [first] + [stack.enter_context(Sandbox.start(m.image_tag, kind="mutate", labels={"forager.image": m.id}))
                           for _ in range(count - 1)]
        self.workers = [Worker(b) for b in boxes]
        if serve:
            with ThreadPoolExecutor(len(boxes)) as pool:
                for w, warm in zip(self.workers, pool.map(self._start_server, boxes)):
                    w.warm = warm

    def _start_server(self, box: Sandbox) -> WarmPytest | None:
        """The image's pytest server; None (and why) if unusable."""
        try:
            warm = WarmPytest(box, self.m.recipe.test, stable_pass=set(self.m.passing()), durations=self.durations)
        except Unavailable as exc:
            self.on_fallback(str(exc))
            return None
        # No whole baseline run here: check() confirms, test by test, that what a kept mutant
        # fails passes in a fork of the unchanged suite (WarmPytest.confirm).
        return warm

    def check(self, w: Worker, cand: MutantCandidate) -> Check:
        """check(); a server that stops mid-run is dropped and the mutant judged in new processes."""
        try:
            return check(w.box, self.m, cand, w.warm, self.covering_only)
        except Unavailable as exc:
            self.on_fallback(str(exc))
            w.warm = None
            return check(w.box, self.m, cand, None)

    def verify(self, cand: MutantCandidate, result: Check) -> Check:
        """check.verify() in the first worker (call it when no checks are running)."""
        w = self.workers[0]
        try:
            return verify(w.box, self.m, cand, result, w.warm)
        except Unavailable as exc:
            self.on_fallback(str(exc))
            w.warm = None
            return verify(w.box, self.m, cand, result, None)

    def checks(self, cands: Iterable[MutantCandidate], wanted: Callable[[MutantCandidate], bool]) -> Iterator[tuple[MutantCandidate, Check]]:
        """(candidate, result) in candidate order, for candidates still wanted when their turn comes."""
        free: queue.Queue[Worker] = queue.Queue()
        for w in self.workers:
            free.put(w)

        def job(cand: MutantCandidate) -> Check:
            w = free.get()
            try:
                return self.check(w, cand)
            finally:
                free.put(w)

        todo, pending = iter(cands), deque()
        with ThreadPoolExecutor(len(self.workers)) as pool:
            def refill() -> None:
                while len(pending) < len(self.workers):
                    cand = next(todo, None)
                    if cand is None:
                        return
                    if wanted(cand):
                        pending.append((cand, pool.submit(job, cand)))

            try:
                refill()
                while pending:
                    cand, fut = pending.popleft()
                    if wanted(cand):
                        yield cand, fut.result()
                    refill()
            finally:
                for _, fut in pending:
                    fut.cancel()
