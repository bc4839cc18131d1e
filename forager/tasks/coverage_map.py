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
from forager.testsuite.frameworks import FRAMEWORKS, HELPERS_DIR, code_reads_path


class CodeReads(BaseModel):
    """Which tests read a repository function's code object in the coverage run (what
    inspect.signature does), by "file::qualname"; `outside`: functions whose code was read
    outside any test (at import or collection)."""

    tests: dict[str, list[str]] = {}
    outside: list[str] = []


class CoverageMap(BaseModel):
    """files[path relative to /testbed][line] = test ids that executed that line; durations[test
    id] = its seconds in the coverage run (JUnit time; slower than a plain run), when known;
    code_reads: None when the run did not record them (a unittest suite)."""

    files: dict[str, dict[int, list[str]]]
    durations: dict[str, float] = {}
    code_reads: CodeReads | None = None

    def signature_readers(self, file: str, qualname: str) -> set[str] | None:
        """The tests that read the function's code (its signature) in the coverage run; None
        when that is unknown or the code was read outside the tests, where a test cannot be
        named for it."""
        if self.code_reads is None or f"{file}::{qualname}" in self.code_reads.outside:
            return None
        return set(self.code_reads.tests.get(f"{file}::{qualname}", ()))

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


CACHE_VERSION = 2  # 2: code reads


def _cache_path(m: Manifest):
    return paths.cache("coverage") / f"{m.id}-{m.content_hash[:16]}-v{CACHE_VERSION}.json"


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
    reads = _code_reads(box.read_file(code_reads_path(f"{work}/.coverage")))
    tail = box.exec(f"tail -c 600 {work}/log; rm -rf {work}", workdir="/").output
    # Exit codes 0 and 1 mean the tests ran (1: some failed); anything else is a broken run.
    if res.exit_code not in (0, 1) or conv.exit_code != 0 or raw is None:
        raise ForagerError(f"coverage run failed in image {m.id} (exit {res.exit_code}): "
                           f"{(conv.output.strip() or tail.strip())[-400:]}")
    cmap = CoverageMap(files={f: {int(n): c for n, c in lines.items()} for f, lines in json.loads(raw).items()},
                       durations=durations, code_reads=reads)
    if not cmap.files:
        raise ForagerError(f"coverage run in image {m.id} recorded no test touching /testbed: "
                           f"{tail.strip()[-400:]}")
    write_atomic(cached, cmap.model_dump_json())
    return cmap


def _code_reads(raw: bytes | None) -> CodeReads | None:
    """forager_cov's record, by function; None when there is none (or it is unreadable)."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        by_function: dict[str, set[str]] = {}
        for test, functions in data["tests"].items():
            for file, qualname in functions:
                by_function.setdefault(f"{file}::{qualname}", set()).add(test)
        outside = sorted({f"{file}::{qualname}" for file, qualname in data["outside"]})
    except (ValueError, KeyError, TypeError):
        return None
    return CodeReads(tests={k: sorted(v) for k, v in by_function.items()}, outside=outside)


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
