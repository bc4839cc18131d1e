"""pytest plugin (in-container helper): one coverage context per test, named by its node id.

Loaded with `coverage run -m pytest -p forager_cov`; without coverage running it does nothing.
The context spans the test's whole protocol: fixture setup, the call and fixture teardown (a
function that only a finalizer calls is still attributed to the test whose teardown ran it).
"""

try:
    import coverage
except ImportError:  # pragma: no cover - coverage is in every Forager base image
    coverage = None


def _switch(name):
    cov = coverage.Coverage.current() if coverage else None
    if cov is not None:
        cov.switch_context(name)


def pytest_runtest_logstart(nodeid, location):
    _switch(nodeid)


def pytest_runtest_logfinish(nodeid, location):
    _switch("")
