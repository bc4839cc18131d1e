"""Which tests run which lines: per-test coverage contexts, collected once per image."""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ET

from pydantic import BaseModel

from forager import paths
from forager.containers import Sandbox
from forager.errors import ForagerError
from forager.jsonio import write_atomic
from forager.records.manifest import Manifest
from forager.testsuite.frameworks import FRAMEWORKS, HELPERS_DIR


class CoverageMap(BaseModel):
    """files[path relative to /testbed][line] = test ids that executed that line; durations[test
    id] = its seconds in the coverage run (JUnit time; slower than a plain run), when known."""

    files: dict[str, dict[int, list[str]]]
    durations: dict[str, float] = {}

    def seconds(self, tests) -> float | None:
        """The tests' total seconds in the coverage run; None if one of them has no time."""
        try:
            return sum(self.durations[t] for t in tests)
        except KeyError:
            return None

    def tests_for(self, file: str, start: int, end: int) -> set[str]:
        lines = self.files.get(file, {})
        out: set[str] = set()
        for n in range(start, end + 1):
            out.update(lines.get(n, ()))
        return out


def _cache_path(m: Manifest):
    return paths.cache("coverage") / f"{m.id}-{m.content_hash[:16]}.json"


def collect(box: Sandbox, m: Manifest) -> CoverageMap:
    """Run the suite once under coverage in `box` (cached per image content hash)."""
    cached = _cache_path(m)
    if cached.exists():
        return CoverageMap.model_validate_json(cached.read_text())
    fw = FRAMEWORKS[m.recipe.test.framework]
    work = f"/tmp/.forager-cov-{uuid.uuid4().hex}"
    cmd = fw.coverage_command(m.recipe.test, f"{work}/junit.xml", f"{work}/.coverage")
    box.exec(f"mkdir -p {work}", workdir="/")
    res = box.exec(f"( {cmd} ) > {work}/log 2>&1", timeout=max(60, m.recipe.test.timeout * 3))
    conv = box.exec(f"python {HELPERS_DIR}/coverage_map.py {work}/.coverage /testbed {work}/map.json", timeout=300)
    raw = box.read_file(f"{work}/map.json")
    durations = _durations(box.read_file(f"{work}/junit.xml"), fw.id_of)
    tail = box.exec(f"tail -c 600 {work}/log; rm -rf {work}", workdir="/").output
    # Exit codes 0 and 1 mean the tests ran (1: some failed); anything else is a broken run.
    if res.exit_code not in (0, 1) or conv.exit_code != 0 or raw is None:
        raise ForagerError(f"coverage run failed in image {m.id} (exit {res.exit_code}): "
                           f"{(conv.output.strip() or tail.strip())[-400:]}")
    cmap = CoverageMap(files={f: {int(n): c for n, c in lines.items()} for f, lines in json.loads(raw).items()},
                       durations=durations)
    if not cmap.files:
        raise ForagerError(f"coverage run in image {m.id} recorded no test touching /testbed: "
                           f"{tail.strip()[-400:]}")
    write_atomic(cached, cmap.model_dump_json())
    return cmap


def _durations(xml: bytes | None, id_of) -> dict[str, float]:
    if xml is None:
        return {}
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return {}
    out: dict[str, float] = {}
    for case in root.iter("testcase"):
        try:
            out[id_of(case)] = out.get(id_of(case), 0.0) + float(case.get("time") or 0.0)
        except ValueError:
            continue
    return out
