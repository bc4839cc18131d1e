"""A deliberately flaky test.

It simulates state leaking between test runs: a counter kept in a file in the
system temp directory (outside the repository) survives from one run to the
next, and the test fails on every even-numbered run. Repeated runs in the same
container therefore go pass, fail, pass, fail, ... deterministically.

Forager's validation, which runs the suite several times, must flag this test
as flaky and leave it out of the set of reliably passing tests. Delete
``/tmp/minilib-flaky-counter`` (or the file of that name in the temp directory)
to start the sequence again from run 1.
"""

import os
import tempfile

COUNTER_PATH = os.path.join(tempfile.gettempdir(), "minilib-flaky-counter")


def _next_run_number():
    try:
        with open(COUNTER_PATH, encoding="utf-8") as handle:
            previous = int(handle.read().strip() or 0)
    except (OSError, ValueError):
        previous = 0
    current = previous + 1
    with open(COUNTER_PATH, "w", encoding="utf-8") as handle:
        handle.write(str(current))
    return current


def test_state_leaks_between_runs():
    run = _next_run_number()
    assert run % 2 == 1, f"run {run}: leftover state from run {run - 1} breaks even-numbered runs"
