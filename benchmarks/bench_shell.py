"""Tool-call round trip: `true` through Forager's persistent shell vs one docker exec per call.

    python benchmarks/bench_shell.py [--n 50] [--image forager/base:py3.11]

Three ways, N calls each, in the same container:
  shell server  forager.agent.tools.Tools.bash (one attached exec, JSON lines over its stdin/stdout)
  SDK exec      Sandbox.exec, i.e. a new `docker exec` through the docker SDK per call
  CLI exec      `docker exec CONTAINER bash -lc true` through subprocess per call
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

from common import table

from forager.agent.protocol import BashCall
from forager.agent.shell import ShellSession
from forager.agent.tools import Tools
from forager.containers import Sandbox


def timed(fn, n: int) -> list[float]:
    fn()  # warm-up, not counted
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="calls per way")
    ap.add_argument("--image", default="forager/base:py3.11", help="any Forager image")
    a = ap.parse_args()

    with Sandbox.start(a.image, kind="bench") as box:
        box.exec("mkdir -p /testbed", workdir="/")
        session = ShellSession(box)
        tools = Tools(session)

        def via_shell():
            assert tools.bash(BashCall(command="true")).exit_code == 0

        def via_sdk():
            assert box.exec("true").exit_code == 0

        def via_cli():
            subprocess.run(["docker", "exec", box.id, "bash", "-lc", "true"], check=True)

        ways = {"shell server (Tools.bash)": timed(via_shell, a.n),
                "docker exec, SDK (Sandbox.exec)": timed(via_sdk, a.n),
                "docker exec, CLI (subprocess)": timed(via_cli, a.n)}
        session.close()

    base = statistics.mean(ways["shell server (Tools.bash)"])
    rows = [(name, f"{statistics.mean(ms):.1f}", f"{statistics.median(ms):.1f}", f"{min(ms):.1f}",
             sum(x > 250 for x in ms), f"{statistics.mean(ms) / base:.2f}x") for name, ms in ways.items()]
    table(f"`true` round trip, {a.n} calls each", ["way", "mean ms", "median ms", "min ms", "calls >250 ms",
                                                  "mean / shell server"], rows)


if __name__ == "__main__":
    main()
