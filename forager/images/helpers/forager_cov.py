"""pytest plugin (in-container helper): one coverage context per test, named by its node id.

Loaded with `coverage run -m pytest -p forager_cov`; without coverage running it does nothing.
"""

try:
    import coverage
except ImportError:  # pragma: no cover - coverage is in every Forager base image
    coverage = None


def _switch(name):
    cov = coverage.Coverage.current() if coverage else None
    if cov is not None:
        cov.switch_context(name)


def pytest_runtest_setup(item):
    _switch(item.nodeid)


def pytest_runtest_teardown(item):
    _switch("")
