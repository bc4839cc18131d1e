"""pytest plugin (in-container helper): run some tests first, stop early if they all pass.

`-p forager_first --forager-first FILE` moves the node ids listed in FILE to the front. When
the last of them is done and all passed (a skip is not a pass), the session stops: a mutant those tests do not
catch is rejected without running the rest of the suite. Otherwise the whole suite runs.
"""

_state = {"first": set(), "left": 0, "failed": False, "session": None}


def pytest_addoption(parser):
    parser.addoption("--forager-first", default=None, help="file of node ids to run first")


def pytest_collection_modifyitems(session, config, items):
    path = config.getoption("forager_first")
    if not path:
        return
    with open(path) as fh:
        wanted = {line.strip() for line in fh if line.strip()}
    head = [i for i in items if i.nodeid in wanted]
    items[:] = head + [i for i in items if i.nodeid not in wanted]
    _state.update(first={i.nodeid for i in head}, left=len(head), session=session)


def pytest_runtest_logreport(report):
    if report.nodeid not in _state["first"]:
        return
    if not report.passed:
        _state["failed"] = True
    if report.when == "teardown":
        _state["left"] -= 1
        if _state["left"] == 0 and not _state["failed"]:
            _state["session"].shouldstop = "forager: every covering test passed"
