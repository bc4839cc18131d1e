"""WarmPytest: the host end of the in-container pytest server (collect once, fork per run).

Each answer says how the run happened (see the helper's docstring): in a fork of the
collected session with the mutant's code swapped in, or in a fresh pytest session forked from
a process that imported only pytest. Only for pytest suites whose recipe command is plain `python -m pytest ...` or `pytest ...`;
anything else keeps the fresh-process runs of forager.testsuite.run. Before any mutant, the
unchanged suite runs once in a fork and must pass every test the image's baseline passes
stably; if it does not, the server is not used for that image.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable
from typing import Literal

from forager.channel import Channel, ChannelClosed
from forager.containers import HELPERS, Sandbox
from forager.records.recipe import TestSpec
from forager.records.status import Status
from forager.testsuite.run import SuiteRun

# "fork": a fork of the collected session; "covering": the same, running only the tests that
# execute the changed function (see run_covering); "session": a fresh pytest session in a fork.
Mode = Literal["fork", "covering", "session"]

# Collection of a big suite under the trace hook can take a while; it happens once.
START_TIMEOUT = 600


class Unavailable(Exception):
    """Why the server cannot serve this image (the caller falls back to fresh runs)."""


class Unconfirmed(Exception):
    """Baseline-passing tests that do not pass in a fork of the unchanged suite (an order or
    process-state dependence the fresh baseline run does not have): the fork is no judge of
    them, so a mutant that fails one is judged in new processes; the server serves the rest."""

    def __init__(self, tests: list[str]):
        super().__init__(f"{len(tests)} baseline-passing tests do not pass in the pytest server (first: {tests[0]})")
        self.tests = tests


def pytest_argv(spec: TestSpec) -> list[str] | None:
    """pytest's own arguments when the recipe command is a bare pytest invocation, else None."""
    if spec.framework != "pytest":
        return None
    words = shlex.split(spec.command)
    if words[:3] in (["python", "-m", "pytest"], ["python3", "-m", "pytest"]):
        opts = words[3:]
    elif words[:1] == ["pytest"]:
        opts = words[1:]
    else:
        return None  # environment assignments, wrappers (tox, make...): not ours to imitate
    return [*opts, "-p", "no:cacheprovider", *spec.paths]


class WarmPytest:
    def __init__(self, box: Sandbox, spec: TestSpec, timeout: float = START_TIMEOUT,
                 stable_pass: set[str] | None = None, durations: dict[str, float] | None = None):
        """`stable_pass`: the baseline's stable passes; with them, every run also confirms in the
        server that the stable tests a mutant fails pass there unchanged (see confirm()).
        `durations`: each test's seconds in the coverage run; with them, a test of a mutant that
        runs far past its own time (the helper's HANG_FACTOR and HANG_SLACK) ends the run at
        once as timed out, instead of the whole run's limit."""
        argv = pytest_argv(spec)
        if spec.framework != "pytest":
            raise Unavailable(f"a {spec.framework} suite: the pytest server serves pytest suites only")
        if argv is None:
            raise Unavailable(f"the test command is not a plain pytest call: {spec.command!r}")
        # One docker exec: the helper's presence is checked by the same shell that starts it.
        missing = json.dumps({"ok": False, "missing": True})
        try:
            self._channel = Channel(box, ["bash", "-c", f"test -f {HELPERS}/pytest_server.py || "
                                          f"{{ echo '{missing}'; exit 0; }}; "
                                          f'PYTHONPATH={HELPERS}${{PYTHONPATH:+:$PYTHONPATH}} '
                                          f'exec python {HELPERS}/pytest_server.py "$@"', "pytest_server", *argv],
                                    workdir="/testbed")
            hello = self._channel.receive(timeout)
        except ChannelClosed as exc:
            raise Unavailable(f"the pytest server did not start: {exc}") from None
        self.confirmed: set[str] = set()  # baseline-passing tests seen passing in a fork, unchanged
        self.last_reason = ""  # why the last run was not limited to the covering tests, if it was not
        self.last_timing: dict = {}  # the server's phases of the last run (seconds since the request)
        self.unreliable: set[str] = set()  # baseline-passing tests seen failing there, unchanged
        if hello.get("missing"):
            self.close()
            raise Unavailable("the image predates Forager's pytest server: rebuild it with 'forager build-images'")
        if not hello.get("ok"):
            self.close()
            raise Unavailable(f"the pytest server could not collect the suite: {hello.get('error')}")
        self._confirm_in_server = stable_pass is not None
        if stable_pass is not None:
            try:
                self._channel.request({"op": "stable", "tests": sorted(stable_pass),
                                       "durations": dict(durations or {})}, timeout)
            except ChannelClosed as exc:
                raise Unavailable(f"the pytest server stopped: {exc}") from None

    def run(self, file: str | None, source: str | None, first: list[str],
            timeout: float) -> tuple[SuiteRun, Mode] | str:
        """The run and how it ran, or (a str) why this change needs new test processes."""
        res = self._run({"op": "run", "file": file, "source": source, "first": first, "timeout": timeout})
        return res if isinstance(res, str) else res[:2]

    def run_covering(self, file: str, source: str, covering: list[str], timeout: float, function: str,
                     span: tuple[int, int], covering_timeout: float | None = None,
                     signature_readers: list[str] | None = None,
                     ) -> tuple[SuiteRun, Mode, frozenset[str] | None] | str:
        """As run(), but when the server can prove that only `function` (lines `span` of the
        file as committed) changed, that no changed function ran at import or collection, and
        the mutant is swapped into a fork, it runs only `covering` (the tests whose coverage
        touches those lines) and the tests sharing a long-lived fixture of the repository with
        them: every other test runs the baseline's code, so its result is the baseline's. The
        third item is the set of tests the run was limited to (mode "covering"), or None when
        the whole suite ran (covering tests first, stopping when they all pass).
        `covering_timeout`: the limit when exactly the covering tests run (else `timeout`).
        `signature_readers`: the tests that read the function's signature in the coverage run
        (None: unknown); with them, a mutant that changes the signature runs them too instead of
        the whole suite."""
        return self._run({"op": "run", "file": file, "source": source, "first": covering, "timeout": timeout,
                          "function": function, "span": list(span), "only_timeout": covering_timeout,
                          "signature_readers": signature_readers})

    def _run(self, req: dict) -> tuple[SuiteRun, Mode, frozenset[str] | None] | str:
        timeout = req["timeout"]
        if self._confirm_in_server and req.get("source") is not None:
            req = {**req, "confirm": True}
        try:
            ans = self._channel.request(req, 2 * timeout + 60)
        except ChannelClosed as exc:
            raise Unavailable(f"the pytest server stopped: {exc}") from None
        self.last_reason = ans.get("reason") or ans.get("why_full") or ""
        self.last_timing = dict(ans.get("timing") or {}, seconds=ans.get("seconds"))
        if ans["mode"] == "unsupported":
            return ans["reason"]
        self.confirmed.update(ans.get("confirmed") or ())
        if ans.get("unconfirmed"):
            self.unreliable.update(ans["unconfirmed"])
            raise Unconfirmed(ans["unconfirmed"])
        statuses = {t: Status(s) for t, s in ans.get("statuses", {}).items()}
        # A child that died before answering is a broken run, like a run without JUnit XML.
        ok = not ans.get("crashed") and not ans["timed_out"] and bool(statuses)
        run = SuiteRun(statuses=statuses, exit_code=ans.get("exit", -1), duration=ans["seconds"],
                       timed_out=ans["timed_out"], junit_ok=ok, output_tail=ans.get("tail", ""))
        only = ans.get("only")
        if ans["mode"] == "session":
            return run, "session", None
        return (run, "covering", frozenset(only)) if only is not None else (run, "fork", None)

    def agrees_with(self, stable_pass: set[str], timeout: float) -> None:
        """Raises Unavailable unless the unchanged suite passes every stable test in a fork."""
        res = self.run(None, None, [], timeout)
        if isinstance(res, str) or not res[0].junit_ok:
            raise Unavailable("the unchanged suite did not run in the pytest server")
        missing = sorted(stable_pass - res[0].passed())
        if missing:
            raise Unavailable(f"{len(missing)} baseline-passing tests do not pass in the pytest server "
                              f"(first: {missing[0]})")
        self.confirmed |= stable_pass

    def confirm(self, failing: Iterable[str], timeout: float) -> None:
        """agrees_with() for just these tests, each checked once: raises Unconfirmed unless they
        all pass in a fork of the unchanged suite. A failure in a fork is evidence of a bug only
        if the same test passes there without the mutant; checking the tests a kept mutant
        fails, when it fails them, spares the whole baseline run at start-up."""
        todo = sorted(set(failing) - self.confirmed)
        if not todo:
            return
        res = self._run({"op": "run", "file": None, "source": None, "first": [], "timeout": timeout,
                         "only_ids": todo})
        if isinstance(res, str) or not res[0].junit_ok:
            raise Unavailable("the unchanged tests did not run in the pytest server")
        bad = [t for t in todo if res[0].statuses.get(t) != "passed"]
        self.confirmed.update(t for t in todo if t not in bad)
        if bad:
            self.unreliable.update(bad)
            raise Unconfirmed(bad)

    def close(self) -> None:
        self._channel.close()
