"""JUnit XML reading: node ids rebuilt from pytest's xunit1 output, worst status wins."""

import pytest

from forager.records.recipe import TestSpec
from forager.testsuite import junit
from forager.testsuite.frameworks import FRAMEWORKS, pytest_options

XML = """<?xml version="1.0"?>
<testsuites><testsuite name="pytest" tests="5">
 <testcase classname="tests.test_a" name="test_ok" file="tests/test_a.py" line="1"/>
 <testcase classname="tests.test_a.TestK" name="test_m[1-2]" file="tests/test_a.py"><failure message="x"/></testcase>
 <testcase classname="tests.test_a" name="test_skip" file="tests/test_a.py"><skipped/></testcase>
 <testcase classname="tests.test_a" name="test_td" file="tests/test_a.py"/>
 <testcase classname="tests.test_a" name="test_td" file="tests/test_a.py"><error message="teardown"/></testcase>
</testsuite></testsuites>"""


def test_pytest_ids_and_statuses():
    got = junit.parse(XML)
    assert got == {
        "tests/test_a.py::test_ok": "passed",
        "tests/test_a.py::TestK::test_m[1-2]": "failed",
        "tests/test_a.py::test_skip": "skipped",
        "tests/test_a.py::test_td": "error",
    }


def test_unittest_ids():
    xml = '<testsuite><testcase classname="pkg.test_m.TestX" name="test_y"/></testsuite>'
    assert junit.parse(xml, junit.dotted_id) == {"pkg.test_m.TestX.test_y": "passed"}


@pytest.mark.parametrize("bad", ["", "<html/>", "<testsuite><testcase"])
def test_unreadable_xml_is_an_error(bad):
    with pytest.raises(junit.JUnitError):
        junit.parse(bad)


def test_pytest_command_selects_ids_from_a_file():
    spec = TestSpec(command="python -m pytest -x", paths=["tests"])
    whole = FRAMEWORKS["pytest"].command(spec, "/tmp/j.xml", None)
    some = FRAMEWORKS["pytest"].command(spec, "/tmp/j.xml", "/tmp/ids")
    assert whole.endswith(" tests") and "--junitxml=/tmp/j.xml" in whole
    assert some.startswith("mapfile -t _ids < /tmp/ids;") and some.endswith('"${_ids[@]}"')


def test_pytest_options_after_the_runner():
    assert pytest_options("python -m pytest -x -p no:randomly") == "-x -p no:randomly"
    assert pytest_options("pytest") == ""


def test_recorded_node_id_wins_over_the_defining_file():
    xml = ('<testsuite><testcase classname="tests.base" name="test_x" file="tests/base.py">'
           '<properties><property name="forager_nodeid" value="tests/test_impl.py::TestImpl::test_x"/>'
           '</properties></testcase></testsuite>')
    assert junit.parse(xml) == {"tests/test_impl.py::TestImpl::test_x": "passed"}
