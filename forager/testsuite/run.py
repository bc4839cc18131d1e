"""Run all or some of a repository's tests inside a Sandbox and read their statuses."""

from __future__ import annotations

import shlex
import uuid

from pydantic import BaseModel

from forager.containers import Sandbox
from forager.images.recipe import TestSpec
from forager.testsuite import junit
from forager.testsuite.frameworks import FRAMEWORKS
from forager.testsuite.junit import Status


class SuiteRun(BaseModel):
    """One run of tests. `statuses` holds only tests that ran: absent means did not run."""

    statuses: dict[str, Status]
    exit_code: int
    duration: float
    timed_out: bool
    junit_ok: bool
    output_tail: str

    def passed(self) -> set[str]:
        return {t for t, s in self.statuses.items() if s == Status.passed}


def run_tests(box: Sandbox, spec: TestSpec, test_ids: list[str] | None = None,
              timeout: float | None = None, tail_chars: int = 4000) -> SuiteRun:
    """Run the whole suite (test_ids None) or the given ids; JUnit goes outside /testbed.

    The XML path is fresh and random per run, and output of the tests goes to a file,
    so nothing the code under test prints is read as a result.
    """
    fw = FRAMEWORKS[spec.framework]
    work = f"/tmp/.forager-{uuid.uuid4().hex}"
    xml_path, log_path = f"{work}/junit.xml", f"{work}/output.log"
    ids_file = None
    box.exec(f"mkdir -p {work}", workdir="/")
    if test_ids is not None:
        ids_file = f"{work}/ids.txt"
        box.write_file(ids_file, ("\n".join(test_ids) + "\n").encode())
    cmd = f"( {fw.command(spec, xml_path, ids_file)} ) > {log_path} 2>&1"
    res = box.exec(cmd, timeout=timeout or spec.timeout)
    tail = box.exec(f"tail -c {tail_chars} {log_path}", workdir="/").output
    raw = box.read_file(xml_path)
    box.exec(f"rm -rf {shlex.quote(work)}", workdir="/")
    statuses, ok = {}, False
    if raw:
        try:
            statuses, ok = junit.parse(raw, fw.id_of), True
        except junit.JUnitError:
            pass
    if test_ids is not None:
        # Only the requested tests count; a conftest could add others.
        wanted = set(test_ids)
        statuses = {t: s for t, s in statuses.items() if t in wanted}
    return SuiteRun(statuses=statuses, exit_code=res.exit_code, duration=res.duration,
                    timed_out=res.timed_out, junit_ok=ok, output_tail=tail)
