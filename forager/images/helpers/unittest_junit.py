"""Forager's in-container unittest runner: runs tests and writes JUnit XML.

Usage: python unittest_junit.py --junit PATH [--canary PASS,FAIL] [TEST_ID_OR_START_DIR ...]
Arguments that are directories are discovery roots; anything else is a dotted test id.
--canary adds forager_canary.Canary.PASS (passes, first) and .FAIL (fails, last): grading's
check that nothing forces every result to "passed".
Exit code: 0 when everything passed, 1 otherwise (like unittest).
"""

import argparse
import os
import sys
import time
import unittest
import xml.etree.ElementTree as ET


def _switch_coverage_context(name):
    """Name coverage's context after the running test, when run under `coverage run`."""
    try:
        import coverage
    except ImportError:
        return
    cov = coverage.Coverage.current()
    if cov is not None:
        cov.switch_context(name)


class _Recorder(unittest.TextTestResult):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.cases = []  # (id, outcome, message, seconds)
        self._t0 = 0.0

    def startTest(self, test):
        self._t0 = time.monotonic()
        _switch_coverage_context(test.id())
        super().startTest(test)

    def _add(self, test, outcome, msg=""):
        if isinstance(test, unittest.suite._ErrorHolder):
            # A setUpClass/setUpModule failure: "setUpClass (pkg.mod.Class)" -> pkg.mod.Class.setUpClass
            desc = test.description
            kind, _, where = desc.partition(" (")
            tid, secs = f"{where.rstrip(')')}.{kind}" if where else desc, 0.0
        else:
            tid, secs = test.id(), time.monotonic() - self._t0
        self.cases.append((tid, outcome, msg, secs))

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            # The parent test fails with its subtest; the worst outcome per id wins in the reader.
            kind = "failure" if issubclass(err[0], test.failureException) else "error"
            self._add(test, kind, self._exc_info_to_string(err, test))

    def addSuccess(self, test):
        super().addSuccess(test)
        self._add(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._add(test, "failure", self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._add(test, "error", self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._add(test, "skipped", reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._add(test, "skipped", "expected failure")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._add(test, "failure", "unexpected success")


def _suite(targets):
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for t in targets or ["."]:
        if os.path.isdir(t):
            suite.addTests(loader.discover(t, top_level_dir="."))
        else:
            suite.addTests(loader.loadTestsFromName(t))
    return suite


def _canaries(names):
    ok, bad = names.split(",")

    def passes(self):
        pass

    def fails(self):
        self.fail("forager canary: this test fails on purpose")

    cls = type("Canary", (unittest.TestCase,), {ok: passes, bad: fails})
    cls.__module__ = "forager_canary"
    return cls(ok), cls(bad)


def _write(cases, path):
    root = ET.Element("testsuites")
    ts = ET.SubElement(root, "testsuite", name="unittest", tests=str(len(cases)))
    for tid, outcome, msg, secs in cases:
        classname, _, name = tid.rpartition(".")
        el = ET.SubElement(ts, "testcase", classname=classname, name=name, time=f"{secs:.3f}")
        if outcome != "passed":
            ET.SubElement(el, outcome, message=msg[:200]).text = msg
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--junit", required=True)
    ap.add_argument("--canary", default=None)
    ap.add_argument("targets", nargs="*")
    args = ap.parse_args()
    sys.path.insert(0, os.getcwd())
    runner = unittest.TextTestRunner(resultclass=_Recorder, verbosity=1)
    suite = _suite(args.targets)
    if args.canary:
        ok, bad = _canaries(args.canary)
        suite = unittest.TestSuite([ok, suite, bad])
    result = runner.run(suite)
    _write(result.cases, args.junit)
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
