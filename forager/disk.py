"""Disk budgets for Forager's containers: a host-side watchdog on the container's writable layer.

overlay2 over ext4 has no per-container quota (`--storage-opt size` needs xfs with pquota), so
a container could fill the host's disk. Each Sandbox with a budget gets a DiskWatchdog thread:

- It measures the writable layer (GraphDriver.Data.UpperDir) with an os.scandir walk that sums
  allocated blocks (st_blocks, so sparse files cost what they use; hard links count once).
- A full walk runs at least every `interval` seconds (1 s, stretched so that walks take at most
  COST_SHARE of one core), and at once when the host filesystem's used space (one statvfs every
  TICK seconds) grew by half the remaining headroom since the last walk: a fast writer is caught
  within about one tick of crossing the budget, and a quiet container costs one statvfs per tick.
- Over budget, it SIGKILLs the container's PID 1 (all its processes die with it) and records
  why; the owner removes the container, and the written files go with it.

Where the upper directory cannot be read (a remote engine, no root), the engine's own size
report (SizeRw) is polled every API_INTERVAL seconds instead, with a one-line warning.
See docs/disk.md for the figures.
"""

from __future__ import annotations

import os
import re
import threading
import time

from docker.errors import DockerException

from forager.errors import ForagerError

TICK = 0.1
MIN_INTERVAL = 1.0
COST_SHARE = 0.02  # routine walks: at most 2% of one core per container
URGENT_SHARE = 0.25  # walks triggered by fast growth: at most 25% of one core
API_INTERVAL = 5.0

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_warned = False


class DiskLimitExceeded(ForagerError):
    """The container wrote past its disk budget and was stopped."""


def parse_size(text: str | int) -> int:
    """Bytes of '2g', '200m', '1.5G', '512k', '1024' (binary units, as Docker's memory limits)."""
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*", str(text).lower())
    if not m:
        raise ForagerError(f"not a size: {text!r} (use e.g. 500m or 2g)")
    return int(float(m.group(1)) * _UNITS[m.group(2)])


def format_size(n: int) -> str:
    for unit, scale in (("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            v = n / scale
            return f"{v:.0f} {unit}" if v == int(v) else f"{v:.1f} {unit}"
    return f"{n} B"


def layer_size(root: str, stop: threading.Event | None = None) -> tuple[int, int]:
    """(allocated bytes, entries) under root, not following symlinks; hard links counted once."""
    total, entries, seen = 0, 0, set()
    stack = [root]
    while stack:
        if stop is not None and stop.is_set():
            break
        try:
            it = os.scandir(stack.pop())
        except OSError:  # removed meanwhile, or not a directory any more
            continue
        with it:
            for entry in it:
                try:
                    st = entry.stat(follow_symlinks=False)
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                entries += 1
                if st.st_nlink > 1 and not is_dir:
                    if st.st_ino in seen:
                        continue
                    seen.add(st.st_ino)
                total += st.st_blocks * 512
                if is_dir:
                    stack.append(entry.path)
    return total, entries


def _fs_used(path: str) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def upper_dir(container) -> str | None:
    """The container's writable layer on this host, when Forager can read it."""
    try:
        graph = container.attrs.get("GraphDriver") or {}
        if not (graph.get("Data") or {}).get("UpperDir"):
            container.reload()
            graph = container.attrs.get("GraphDriver") or {}
    except DockerException:
        return None
    path = (graph.get("Data") or {}).get("UpperDir")
    if graph.get("Name") in ("overlay2", "overlay") and path and os.path.isdir(path) and os.access(path, os.R_OK | os.X_OK):
        return path
    return None


class DiskWatchdog(threading.Thread):
    """Stops `box`'s container when its writable layer holds more than `budget` bytes."""

    def __init__(self, box, budget: int):
        super().__init__(daemon=True, name=f"forager-disk-{box.container.id[:10]}")
        self.box, self.budget = box, budget
        self.tripped: str | None = None  # the reason, once the container was stopped
        self.size = 0  # bytes at the last measurement
        self.size_at_stop: int | None = None  # measured right after the stop
        self.walks = 0
        self.cpu = 0.0  # CPU seconds this thread used
        self.upper = upper_dir(box.container)
        self.mode = "upper" if self.upper else "api"
        self._halt = threading.Event()
        if self.mode == "api":
            _warn_once()

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=2)

    def run(self) -> None:
        try:
            self._watch_upper() if self.mode == "upper" else self._watch_api()
        except Exception:  # noqa: BLE001 - a watchdog never takes the harvester down
            pass
        finally:
            self.cpu = time.thread_time()

    def measure(self) -> int:
        if self.mode == "upper":
            size, _ = layer_size(self.upper, self._halt)
        else:
            from forager.engine import client
            rows = client().api.containers(all=True, size=True, filters={"id": self.box.container.id})
            size = int((rows[0].get("SizeRw") if rows else 0) or 0)
        self.walks += 1
        return size

    def _watch_upper(self) -> None:
        interval, urgent_gap = MIN_INTERVAL, TICK
        last_walk, fs_at_walk = -1e9, 0
        while not self._halt.wait(TICK):
            now = time.monotonic()
            try:
                fs_now = _fs_used(self.upper)
            except OSError:
                return  # the layer is gone: the container was removed
            headroom = self.budget - self.size
            due = now - last_walk >= interval
            urgent = fs_now - fs_at_walk >= headroom / 2 and now - last_walk >= urgent_gap
            if not (due or urgent):
                continue
            fs_at_walk, last_walk = fs_now, now
            c0 = time.thread_time()
            self.size = self.measure()
            cost = time.thread_time() - c0
            interval, urgent_gap = max(MIN_INTERVAL, cost / COST_SHARE), max(TICK, cost / URGENT_SHARE)
            self.cpu = time.thread_time()
            if self.size > self.budget and not self._halt.is_set():
                self._trip()
                return

    def _watch_api(self) -> None:
        while not self._halt.wait(API_INTERVAL):
            try:
                self.size = self.measure()
            except DockerException:
                return
            self.cpu = time.thread_time()
            if self.size > self.budget and not self._halt.is_set():
                self._trip()
                return

    def _trip(self) -> None:
        self.tripped = (f"the {self.box.kind} container wrote more than {format_size(self.budget)} "
                        f"(its disk budget) and was stopped")
        try:
            self.box.container.kill()  # SIGKILL to PID 1: every process in the container dies
        except DockerException:
            pass
        try:
            self.size_at_stop = self.measure()
        except (DockerException, OSError):
            self.size_at_stop = self.size


def _warn_once() -> None:
    global _warned
    if not _warned:
        _warned = True
        from forager.progress import console
        console.print(f"warning: containers' writable layers are not readable here (remote engine or no root); "
                      f"disk budgets are checked through the engine every {API_INTERVAL:g} s, so a fast "
                      f"writer can go further past them")
