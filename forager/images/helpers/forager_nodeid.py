"""pytest plugin (in-container helper): puts each test's real node id into the JUnit XML.

JUnit's `file` attribute names the file a test function is defined in, which for tests
inherited from a base class elsewhere is not the test's own file; the node id is exact.
"""


def pytest_collection_modifyitems(items):
    for item in items:
        item.user_properties.append(("forager_nodeid", item.nodeid))
