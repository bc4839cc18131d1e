"""pytest plugin (in-container helper): two canary tests added at grading time.

`-p forager_canary --forager-canary=PASS,FAIL` adds a test named PASS that passes (run first)
and one named FAIL that fails (run last, so `-x` still runs every requested test). The names
are random per grading. A submission that forces every report to "passed" (a monkeypatched
reporter, a rewritten JUnit file) also turns FAIL into a pass, and the grader sees it.
Added after deselection (trylast), so -k/-m in the recipe cannot drop them.
"""

import pytest


def pytest_addoption(parser):
    parser.addoption("--forager-canary", default=None, help="PASS_NAME,FAIL_NAME")


class Canary(pytest.Item):
    def __init__(self, *, must_fail=False, **kw):
        super().__init__(**kw)
        self.must_fail = must_fail
        # forager_nodeid has already run: record the id here.
        self.user_properties.append(("forager_nodeid", self.nodeid))

    def runtest(self):
        if self.must_fail:
            raise AssertionError("forager canary: this test fails on purpose")

    def reportinfo(self):
        return self.path, None, self.name


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    names = config.getoption("forager_canary")
    if not names:
        return
    ok, bad = names.split(",")
    items.insert(0, Canary.from_parent(session, name=ok, nodeid=ok))
    items.append(Canary.from_parent(session, name=bad, nodeid=bad, must_fail=True))
