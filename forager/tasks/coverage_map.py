"""Which tests run which lines: per-test coverage contexts, collected once per image."""

from __future__ import annotations

import json
import uuid

from pydantic import BaseModel

from forager import paths
from forager.containers import Sandbox
from forager.errors import ForagerError
from forager.jsonio import write_atomic
from forager.records.manifest import Manifest
from forager.testsuite.frameworks import FRAMEWORKS, HELPERS_DIR


class CoverageMap(BaseModel):
    """files[path relative to /testbed][line] = test ids that executed that line."""

    files: dict[str, dict[int, list[str]]]

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
    tail = box.exec(f"tail -c 600 {work}/log; rm -rf {work}", workdir="/").output
    # Exit codes 0 and 1 mean the tests ran (1: some failed); anything else is a broken run.
    if res.exit_code not in (0, 1) or conv.exit_code != 0 or raw is None:
        raise ForagerError(f"coverage run failed in image {m.id} (exit {res.exit_code}): "
                           f"{(conv.output.strip() or tail.strip())[-400:]}")
    cmap = CoverageMap(files={f: {int(n): c for n, c in lines.items()} for f, lines in json.loads(raw).items()})
    if not cmap.files:
        raise ForagerError(f"coverage run in image {m.id} recorded no test touching /testbed: "
                           f"{tail.strip()[-400:]}")
    write_atomic(cached, cmap.model_dump_json())
    return cmap
