"""Disk watchdog: bytes written past the budget before the stop, and what watching costs.

    python benchmarks/bench_disk_watchdog.py [--image forager/base:py3.11] [--budget 200m] [--seconds 15]

Overshoot: writers in a container with a budget, through Sandbox.exec (no RLIMIT_FSIZE, which
only the episode shell sets): the layer's size measured right after the stop, minus the budget.
Cost: the watchdog thread's CPU time per second of watching an idle container whose writable
layer holds N small files (a typical episode's layer: a few hundred to a few thousand entries),
and the time of one full walk of that layer.
"""

from __future__ import annotations

import argparse
import time

from common import table

from forager.containers import Limits, Sandbox
from forager.disk import DiskLimitExceeded, format_size, layer_size, parse_size

WRITERS = {
    "dd 1 file (page cache)": "dd if=/dev/zero of=/tmp/f bs=1M count={n} status=none",
    "dd 1 file, fsync each 1M": "dd if=/dev/zero of=/tmp/f bs=1M count={n} oflag=dsync status=none",
    "4 dd in parallel": "for i in 1 2 3 4; do dd if=/dev/zero of=/tmp/f$i bs=1M count={n} status=none & done; wait",
    "python 64 KB writes": "python3 -c \"f=open('/tmp/f','wb')\nfor _ in range({n}*16): f.write(bytes(65536))\"",
}


def overshoot(image: str, budget: str, cmd: str) -> tuple:
    n = 4 * parse_size(budget) >> 20  # asks for 4x the budget
    with Sandbox.start(image, kind="bench", limits=Limits(disk=budget)) as box:
        t0 = time.monotonic()
        try:
            box.exec(cmd.format(n=n), workdir="/", timeout=300)
            stopped = False
        except DiskLimitExceeded:
            stopped = True
        secs = time.monotonic() - t0
        wd = box.watchdog
        past = (wd.size_at_stop or wd.size) - parse_size(budget)
        return stopped, wd.mode, format_size(max(past, 0)), f"{secs:.2f}", wd.walks


def cost(image: str, files: int, seconds: float) -> tuple:
    with Sandbox.start(image, kind="bench", limits=Limits(disk="2g")) as box:
        if files:
            box.exec(f"mkdir -p /tmp/many && cd /tmp/many && python3 -c \"\nfor i in range({files}):\n"
                     f"    open(f'{{i // 100}}-{{i}}', 'wb').write(bytes(1024))\"", workdir="/", timeout=300)
        wd = box.watchdog
        time.sleep(2)  # let it settle on its interval
        cpu0, walks0, t0 = wd.cpu, wd.walks, time.monotonic()
        time.sleep(seconds)
        cpu1, walks1, t1 = wd.cpu, wd.walks, time.monotonic()
        w0 = time.perf_counter()
        size, entries = layer_size(wd.upper) if wd.upper else (wd.size, 0)
        walk_ms = (time.perf_counter() - w0) * 1000
        per_s = (cpu1 - cpu0) / (t1 - t0)
        return (files, entries, format_size(size), f"{walk_ms:.1f}", (walks1 - walks0),
                f"{per_s * 1000:.2f} ms/s ({per_s:.2%} of a core)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--image", default="forager/base:py3.11", help="any Forager image")
    ap.add_argument("--budget", default="200m")
    ap.add_argument("--seconds", type=float, default=15.0, help="seconds of idle watching per cost row")
    a = ap.parse_args()
    rows = [(name, *overshoot(a.image, a.budget, cmd)) for name, cmd in WRITERS.items()]
    table(f"overshoot: bytes on the layer past a {a.budget} budget when the container was stopped",
          ["writer", "stopped", "mode", "past budget", "seconds", "walks"], rows)
    rows = [cost(a.image, n, a.seconds) for n in (0, 2000, 20000)]
    table(f"cost: idle container, budget 2g, {a.seconds:g} s of watching",
          ["files made", "layer entries", "layer size", "one walk ms", "walks", "watchdog CPU"], rows)


if __name__ == "__main__":
    main()
