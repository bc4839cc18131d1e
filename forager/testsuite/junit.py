"""JUnit XML -> {test id: status}. One reader for the XML that pytest and Forager's unittest helper write."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from forager.records.status import Status

# When a test appears twice (a teardown error after a pass), the worse outcome wins.
_RANK = {Status.passed: 0, Status.skipped: 1, Status.failed: 2, Status.error: 3}


class JUnitError(ValueError):
    """The XML is missing, truncated or not JUnit."""


def _status(case: ET.Element) -> Status:
    tags = {child.tag for child in case}
    if "error" in tags:
        return Status.error
    if "failure" in tags:
        return Status.failed
    if "skipped" in tags:
        return Status.skipped
    return Status.passed


def pytest_node_id(case: ET.Element) -> str:
    """pytest's node id: recorded by Forager's forager_nodeid plugin, else rebuilt from
    an xunit1 testcase (file, classname, name), which is wrong for inherited tests."""
    for prop in case.iter("property"):
        if prop.get("name") == "forager_nodeid" and prop.get("value"):
            return prop.get("value")
    name = case.get("name", "")
    file = case.get("file")
    classname = case.get("classname", "")
    if not file:
        # xunit2 has no file attribute: the classname is the dotted module path (+ class).
        return f"{classname}::{name}" if classname else name
    module = file[:-3].replace("/", ".") if file.endswith(".py") else file
    rest = classname[len(module) + 1:] if classname.startswith(module + ".") else ""
    parts = [file, *([p for p in rest.split(".") if p]), name]
    return "::".join(parts)


def dotted_id(case: ET.Element) -> str:
    """unittest's id: module.Class.method."""
    classname, name = case.get("classname", ""), case.get("name", "")
    return f"{classname}.{name}" if classname else name


def parse(xml: bytes | str, id_of=pytest_node_id) -> dict[str, Status]:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise JUnitError(f"unreadable JUnit XML ({exc})") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise JUnitError(f"not JUnit XML (root element <{root.tag}>)")
    results: dict[str, Status] = {}
    for case in root.iter("testcase"):
        tid, st = id_of(case), _status(case)
        old = results.get(tid)
        if old is None or _RANK[st] > _RANK[old]:
            results[tid] = st
    return results
