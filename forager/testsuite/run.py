"""Run all or some of a repository's tests inside a Sandbox and read their statuses."""

from __future__ import annotations

import json
import shlex
import uuid

from pydantic import BaseModel

from forager.containers import TIMEOUT_CODES, Sandbox
from forager.errors import ForagerError
from forager.records.recipe import TestSpec
from forager.records.status import Status
from forager.testsuite import junit
from forager.testsuite.frameworks import FRAMEWORKS, LAUNCHER, isolated_pytest

# Test ids up to this size travel inside the command itself; more go through put_archive.
INLINE_IDS_BYTES = 100_000

# One docker exec per run: write the ids, run the tests with their output in a file, then
# print the output's tail, the JUnit XML and a last line "TAIL_BYTES XML_BYTES EXIT_CODE".
# The framing is read from the end by byte counts, so nothing the tests print can shift it.
SCRIPT = """mkdir -p {work}
{write_ids}
timeout -k 5 {timeout} bash -c {command} > {work}/log 2>&1 < /dev/null
code=$?
tail -c {tail_chars} {work}/log > {work}/tail
if [ -f {work}/junit.xml ]; then xml=$(stat -c %s {work}/junit.xml); else xml=-1; touch {work}/junit.xml; fi
cat {work}/tail {work}/junit.xml
printf '\\n%d %d %d\\n' "$(stat -c %s {work}/tail)" "$xml" "$code"
rm -rf {work}
"""


class SuiteRun(BaseModel):
    """One run of tests. `statuses` holds only tests that ran: absent means did not run."""

    statuses: dict[str, Status]
    exit_code: int
    duration: float
    timed_out: bool
    junit_ok: bool
    output_tail: str
    # With canaries: whether the must-pass one passed and the must-fail one failed.
    canary_ok: bool | None = None

    def passed(self) -> set[str]:
        return {t for t, s in self.statuses.items() if s == Status.passed}


def _write_ids(box: Sandbox, work: str, test_ids: list[str] | None, name: str = "ids.txt") -> tuple[str, str | None]:
    if test_ids is None:
        return "", None
    path = f"{work}/{name}"
    payload = "".join(f"{t}\n" for t in test_ids)
    if len(payload) <= INLINE_IDS_BYTES:
        return f"printf '%s' {shlex.quote(payload)} > {path}", path
    box.write_file(path, payload.encode())
    return "", path


def _unframe(raw: bytes) -> tuple[bytes, bytes | None, int]:
    """(output tail, JUnit XML or None, exit code) from the script's output."""
    body, _, trailer = raw.rstrip(b"\n").rpartition(b"\n")
    try:
        tail_len, xml_len, code = (int(x) for x in trailer.split())
    except ValueError:
        raise ForagerError(f"the test run ended without its result (container gone?): {raw[-200:]!r}") from None
    xml = body[len(body) - xml_len:] if xml_len > 0 else None
    tail = body[: tail_len]
    return tail, xml, code


# Plugins listed per container (the tree they were listed from is the unchanged one).
_PLUGINS: dict[str, list[str] | None] = {}


def plugins_command(spec: TestSpec) -> str | None:
    """The command printing the plugin list as JSON, or None when the recipe's command is not
    a plain pytest call (it then runs as written)."""
    parsed = isolated_pytest(spec.command) if spec.framework == "pytest" else None
    if parsed is None:
        return None
    # An image built before the launcher existed prints null: it runs the recipe's command as written.
    return f"if [ -f {LAUNCHER} ]; then {parsed[0]} python {LAUNCHER} --forager-list-plugins; else echo null; fi"


def parse_plugins(output: str) -> list[str] | None:
    try:
        found = json.loads(output.strip().splitlines()[-1])
        return None if found is None else [str(p) for p in found]
    except (ValueError, IndexError):
        raise ForagerError(f"cannot list the image's pytest plugins: {output.strip()[-200:]}") from None


def list_plugins(box: Sandbox, spec: TestSpec) -> list[str] | None:
    """The pytest11 entry points pytest would autoload in this container, or None when the
    recipe's command is not a plain pytest call (it then runs as written). Call it while the
    tree is unchanged: grading calls it before applying the submission."""
    if box.id in _PLUGINS:
        return _PLUGINS[box.id]
    cmd = plugins_command(spec)
    plugins = None if cmd is None else parse_plugins(box.exec(cmd, timeout=120).output)
    _PLUGINS[box.id] = plugins
    return plugins


def run_tests(box: Sandbox, spec: TestSpec, test_ids: list[str] | None = None,
              timeout: float | None = None, tail_chars: int = 4000, first: list[str] | None = None,
              plugins: list[str] | None = None, canary: tuple[str, str] | None = None) -> SuiteRun:
    """Run the whole suite (test_ids None) or the given ids; JUnit goes outside /testbed.

    `first` (pytest only): run these tests before the others and stop early if they all pass.
    pytest runs isolated (forager_pytest.py): the working directory is not first on sys.path,
    plugin autoload is off and `plugins` (listed from the unchanged tree when None) are named.
    `canary`: two names; a test of each is added, the first must pass and the second fail.
    The XML path is fresh and random per run, and output of the tests goes to a file,
    so nothing the code under test prints is read as a result.
    """
    fw = FRAMEWORKS[spec.framework]
    if plugins is None and spec.framework == "pytest":
        plugins = list_plugins(box, spec)
    work = f"/tmp/.forager-{uuid.uuid4().hex}"
    write_ids, ids_file = _write_ids(box, work, test_ids)
    write_first, first_file = _write_ids(box, work, first, "first.txt")
    command = fw.command(spec, f"{work}/junit.xml", ids_file, first_file, plugins=plugins, canary=canary)
    script = SCRIPT.format(work=work, write_ids=f"{write_ids}\n{write_first}", timeout=max(1, int(timeout or spec.timeout)),
                           command=shlex.quote(command), tail_chars=tail_chars)
    _, raw, duration = box.exec_bytes(script)
    tail, xml, code = _unframe(raw)
    statuses, ok = {}, False
    if xml:
        try:
            statuses = junit.parse(xml, fw.id_of)
            # An XML with no test case is a run that broke before any test (pytest writes one
            # on usage errors, exit 4): not a result, unless the runner says all is well.
            ok = bool(statuses) or code in (0, 1)
        except junit.JUnitError:
            pass
    canary_ok = None
    if canary:
        must_pass, must_fail = fw.canary_ids(canary)
        canary_ok = statuses.get(must_pass) == Status.passed and statuses.get(must_fail) == Status.failed
    if test_ids is not None:
        # Only the requested tests count; a conftest could add others.
        wanted = set(test_ids)
        statuses = {t: s for t, s in statuses.items() if t in wanted}
    return SuiteRun(statuses=statuses, exit_code=code, duration=duration, timed_out=code in TIMEOUT_CODES,
                    junit_ok=ok, output_tail=tail.decode("utf-8", errors="replace"), canary_ok=canary_ok)
