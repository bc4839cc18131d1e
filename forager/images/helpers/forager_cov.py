"""pytest plugin (in-container helper): one coverage context per test, named by its node id.

Loaded with `coverage run -m pytest -p forager_cov`; without coverage running it does nothing.
The context spans the test's whole protocol: fixture setup, the call and fixture teardown (a
function that only a finalizer calls is still attributed to the test whose teardown ran it).

With FORAGER_CODE_READS set to a path, it also records which tests read the signature of a
repository function without necessarily running it (inspect.signature and everything built on
it reads `__code__`, `__defaults__` and `__kwdefaults__`, each reported by Python as the audit
event "object.__getattr__"), and which
functions had their code read outside any test (at import or collection), and writes them
there as JSON at the end of the session: {"tests": {node id: [[file, qualname], ...]},
"outside": [[file, qualname], ...]}, files relative to /testbed.
"""

import json
import os
import sys
import types

try:
    import coverage
except ImportError:  # pragma: no cover - coverage is in every Forager base image
    coverage = None

ROOT = "/testbed/"
# What inspect.signature reads of a function (Python audits each read, 3.11 at least; 3.8 the code).
SIGNATURE_PARTS = ("__code__", "__defaults__", "__kwdefaults__")
_current = [""]  # the node id of the test running now ("" between tests)
_reads = {}  # node id ("" outside tests) -> {(file, qualname)}


def _switch(name):
    cov = coverage.Coverage.current() if coverage else None
    if cov is not None:
        cov.switch_context(name)
    _current[0] = name


def _install_hook():
    busy = [False]

    def hook(event, args, reads=_reads, current=_current):
        # Called for every audit event of the process: the first test is the cheap one.
        if event != "object.__getattr__" or busy[0] or len(args) < 2 or args[1] not in SIGNATURE_PARTS:
            return
        fn = args[0]
        if not isinstance(fn, types.FunctionType):
            return
        busy[0] = True  # reading fn.__code__ below raises the same event
        try:
            path = fn.__code__.co_filename
            if path.startswith(ROOT):
                reads.setdefault(current[0], set()).add((path[len(ROOT):], fn.__qualname__))
        finally:
            busy[0] = False

    if hasattr(sys, "addaudithook"):  # Python 3.8+
        sys.addaudithook(hook)


def pytest_runtest_logstart(nodeid, location):
    _switch(nodeid)


def pytest_runtest_logfinish(nodeid, location):
    _switch("")


# At import (pytest loads -p plugins before conftest files): reads while conftests import count.
if os.environ.get("FORAGER_CODE_READS") and coverage and coverage.Coverage.current() is not None:
    _install_hook()


def pytest_unconfigure(config):
    out = os.environ.get("FORAGER_CODE_READS")
    if not out or coverage is None or coverage.Coverage.current() is None:
        return
    data = {"tests": {t: sorted(map(list, r)) for t, r in _reads.items() if t},
            "outside": sorted(map(list, _reads.get("", ())))}
    with open(out, "w") as fh:
        json.dump(data, fh)
