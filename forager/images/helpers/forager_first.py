"""pytest plugin (in-container helper): run some tests first, stop early if they all pass.

`-p forager_first --forager-first FILE` moves the node ids listed in FILE to the front. When
the last of them is done and all passed (a skip is not a pass), the session stops: a mutant
those tests do not catch is rejected without running the rest of the suite. Otherwise the
whole suite runs. The pytest server uses the same rule through `First`.
"""

STOP = "forager: every covering test passed"


class First:
    """The tests to run first, and whether they have all passed yet."""

    def __init__(self, nodeids=()):
        self.wanted, self.left, self.failed, self.session, self.stopped = set(nodeids), 0, False, None, False

    def order(self, session, items):
        head = [i for i in items if i.nodeid in self.wanted]
        items[:] = head + [i for i in items if i.nodeid not in self.wanted]
        self.wanted, self.left, self.session = {i.nodeid for i in head}, len(head), session

    def see(self, report):
        if report.nodeid not in self.wanted:
            return
        if not report.passed:
            self.failed = True
        if report.when == "teardown":
            self.left -= 1
            if self.left == 0 and not self.failed:
                self.session.shouldstop = STOP
                self.stopped = True


_first = First()


def pytest_addoption(parser):
    parser.addoption("--forager-first", default=None, help="file of node ids to run first")


def pytest_collection_modifyitems(session, config, items):
    global _first
    path = config.getoption("forager_first")
    if not path:
        return
    with open(path) as fh:
        _first = First(line.strip() for line in fh if line.strip())
    _first.order(session, items)


def pytest_runtest_logreport(report):
    _first.see(report)
