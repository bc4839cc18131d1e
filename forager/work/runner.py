"""run_items: one item at a time per worker, results to the driver, failures recorded, clean stops."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from forager.errors import ForagerError
from forager.progress import console, progress
from forager.work.executor import Executor, ThreadExecutor

T = TypeVar("T")
R = TypeVar("R")


class Interrupted(Exception):
    """The run is shutting down: an item's work that raises this is dropped, not failed (a rerun does it)."""


@dataclass(frozen=True)
class Item(Generic[T]):
    key: str  # unique within the run: what resume and the failure list go by
    value: T
    label: str = ""  # shown in progress; the key when empty
    # On a cluster: what places it (an image's content-hashed tag), and the image its node must
    # hold first (default: the place) with that image's id.
    place: str = ""
    image: str = ""
    image_id: str = ""


@dataclass
class ItemContext:
    """What a worker gets beside its item."""

    say: Callable[[str], None]  # this item's status in the progress display
    stop: threading.Event  # set on Ctrl-C or SIGTERM: stop at the next safe point


@dataclass
class RunReport:
    done: int = 0
    skipped: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # key -> reason
    interrupted: bool = False
    seconds: float = 0.0


def describe(exc: BaseException) -> str:
    """One line for a failed item: a ForagerError says it all; anything else names its type."""
    text = str(exc).strip()
    if isinstance(exc, ForagerError):
        return text
    last = text.splitlines()[-1][:300] if text else ""
    return f"{type(exc).__name__}: {last}" if last else type(exc).__name__


class _TermAsInterrupt:
    """SIGTERM ends a run the way Ctrl-C does (only where signals can be set: the main thread)."""

    def __enter__(self):
        self.old = None
        if threading.current_thread() is threading.main_thread():
            self.old = signal.signal(signal.SIGTERM, self._raise)
        return self

    @staticmethod
    def _raise(*_):
        raise KeyboardInterrupt

    def __exit__(self, *exc):
        if self.old is not None:
            signal.signal(signal.SIGTERM, self.old)


@dataclass
class RunSpec(Generic[T, R]):
    """How a stage runs its items; only `title` and `work` are required."""

    title: str
    work: Callable[[T, ItemContext], R]
    on_result: Callable[[Item[T], R], None] = lambda item, result: None
    on_failure: Callable[[Item[T], str], None] = lambda item, reason: None
    is_done: Callable[[Item[T]], bool] = lambda item: False
    cleanup: Callable[[], None] = lambda: None  # after an interruption: remove what the stopped items left
    item_bars: bool = True  # one progress line per item (images, repositories) or only a status line (episodes)
    status: Callable[[RunReport, int], str] = lambda report, running: ""
    grace: float = 120.0  # seconds running items get to stop after an interruption


def run_items(items: Iterable[Item[T]], spec: RunSpec[T, R], jobs: int = 1,
              executor: Executor | None = None) -> RunReport:
    report, t0 = RunReport(), time.monotonic()
    todo = []
    for item in items:
        if spec.is_done(item):
            report.skipped += 1
        else:
            todo.append(item)
    stop = threading.Event()
    running = [0]
    lock = threading.Lock()
    own_executor = executor is None
    executor = executor or ThreadExecutor(jobs)
    with _TermAsInterrupt(), progress() as bar:
        overall = bar.add_task(spec.title, total=len(todo), status="")

        def one(item: Item[T]) -> R:
            line = bar.add_task(item.label or item.key, total=1, status="starting") if spec.item_bars else None
            say = (lambda msg: bar.update(line, status=msg)) if line is not None else (lambda msg: None)
            with lock:
                running[0] += 1
            try:
                return spec.work(item.value, ItemContext(say=say, stop=stop))
            except BaseException:
                say("interrupted" if stop.is_set() else "failed")
                raise
            finally:
                if line is not None:
                    bar.update(line, completed=1)
                with lock:
                    running[0] -= 1

        if hasattr(executor, "submit_work"):
            # A cluster: the stage's own work goes to a node (progress and counts stay here).
            futures = {executor.submit_work(spec.work, item.value, item.place, item.image or item.place,
                                                item.image_id): item for item in todo}
            running = _Running(executor)
        else:
            futures = {executor.submit(one, item): item for item in todo}
        try:
            _collect(futures, spec, report, bar, overall, running)
        except KeyboardInterrupt:
            report.interrupted = True
            stop.set()
            if hasattr(executor, "stop"):
                executor.stop()
            console.print("interrupted: finishing cleanup (Ctrl-C again to force)")
            for f in futures:
                f.cancel()
            try:
                wait(list(futures), timeout=spec.grace)
            except KeyboardInterrupt:
                pass
            spec.cleanup()
        finally:
            if own_executor:
                executor.shutdown(wait=not report.interrupted)
    report.seconds = time.monotonic() - t0
    return report


class _Running:
    """`running[0]` of an executor that counts its running items itself."""

    def __init__(self, executor):
        self.executor = executor

    def __getitem__(self, i: int) -> int:
        return self.executor.running()


def _collect(futures: dict[Future, Item], spec: RunSpec, report: RunReport, bar, overall, running) -> None:
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
        for f in done:
            item = futures[f]
            try:
                result = f.result()
            except Interrupted:
                continue
            except Exception as exc:  # noqa: BLE001 - one item's crash never stops the run
                reason = describe(exc)
                report.failed[item.key] = reason
                spec.on_failure(item, reason)
            else:
                spec.on_result(item, result)
                report.done += 1
            bar.advance(overall)
        bar.update(overall, status=spec.status(report, running[0]))
