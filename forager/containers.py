"""Sandbox: one labelled container that Forager runs commands in and copies files through."""

from __future__ import annotations

import io
import os
import shlex
import socket
import struct
import tarfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from docker.errors import APIError, DockerException, NotFound
from docker.models.containers import Container

from forager.disk import DiskLimitExceeded, DiskWatchdog, format_size, parse_size
from forager.engine import LABEL, client
from forager.errors import ForagerError

# The system Python inside every Forager image (the repo's venv may be broken by an agent).
PYTHON = "/opt/forager/python"
HELPERS = "/opt/forager/helpers"
# `timeout` exits 124 when the limit fires (137 if it had to SIGKILL after the grace period).
TIMEOUT_CODES = (124, 137)
# A command run without a time limit of its own gets this one (inside, with `timeout`): nothing
# Forager runs should take longer, and a hung command must not hold a worker forever.
DEFAULT_EXEC_TIMEOUT = 7200.0
# The host gives up on an exec this long after its in-container limit (and its 5 s grace to
# SIGKILL) should have ended it: the engine or the container is wedged.
HOST_GRACE = 30.0


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    output: str
    duration: float
    timed_out: bool


def default_disk_budget() -> str | None:
    value = os.environ.get("FORAGER_DISK_BUDGET", "10g").strip()
    return None if value.lower() in ("", "none", "0", "off") else value


@dataclass(frozen=True)
class Limits:
    memory: str = "4g"
    cpus: float = 1.0
    pids: int = 512
    network: bool = False
    # Bytes the container may write (its writable layer: /testbed, /tmp, ...), e.g. "10g";
    # None: no budget. Enforced by a host-side watchdog (forager/disk.py, docs/disk.md).
    # Grading, validation and build containers get FORAGER_DISK_BUDGET (default 10g, "none":
    # no budget); episodes set their own (EnvironmentSettings, 2g).
    disk: str | None = field(default_factory=lambda: default_disk_budget())


class Sandbox:
    """A running container (kept alive by Forager's PID 1 helper) with exec and file copy."""

    def __init__(self, container: Container, limits: Limits | None = None, kind: str = "sandbox"):
        self.container = container
        self.limits = limits or Limits(disk=None)
        self.kind = kind
        self.disk_budget = parse_size(self.limits.disk) if self.limits.disk else None
        self.watchdog: DiskWatchdog | None = None
        if self.disk_budget is not None:
            self.watchdog = DiskWatchdog(self, self.disk_budget)
            self.watchdog.start()

    @property
    def disk_exceeded(self) -> str | None:
        """Why the container was stopped for writing past its disk budget, or None."""
        return self.watchdog.tripped if self.watchdog else None

    def check_disk(self) -> None:
        if msg := self.disk_exceeded:
            raise DiskLimitExceeded(msg)

    @classmethod
    def start(cls, image: str, *, kind: str, limits: Limits = Limits(), labels: dict[str, str] | None = None) -> "Sandbox":
        # The owner's pid lets `forager gc` spare containers of runs that are still alive.
        all_labels = {LABEL: "1", f"{LABEL}.kind": kind, f"{LABEL}.pid": str(os.getpid()),
                      f"{LABEL}.host": socket.gethostname(), **(labels or {})}
        if limits.disk:
            all_labels[f"{LABEL}.disk"] = format_size(parse_size(limits.disk))
        try:
            c = client().containers.create(
                image,
                command=[PYTHON, f"{HELPERS}/pid1.py"],
                name=f"forager-{kind}-{uuid.uuid4().hex[:10]}",
                labels=all_labels,
                network_mode="bridge" if limits.network else "none",
                mem_limit=limits.memory,
                memswap_limit=limits.memory,
                nano_cpus=int(limits.cpus * 1e9),
                pids_limit=limits.pids,
                working_dir="/",
            )
        except NotFound:
            raise ForagerError(f"image {image} not found: build it with 'forager build-images'") from None
        except APIError as exc:
            raise ForagerError(f"cannot create a container from {image}: {exc.explanation}") from None
        try:
            c.start()  # created and started apart: a start that fails must not leave the container
            return cls(c, limits, kind)
        except BaseException as exc:
            c.remove(force=True)
            if isinstance(exc, APIError):
                raise ForagerError(f"cannot start a container from {image}: {exc.explanation}") from None
            raise

    @property
    def id(self) -> str:
        return self.container.id

    def exec_bytes(self, command: str, *, timeout: float | None = None, workdir: str = "/testbed",
                   env: dict[str, str] | None = None) -> tuple[int, bytes, float]:
        """(exit code, raw output, seconds) of `command` run with bash; limits enforced inside.

        Every exec is bounded: `timeout` (DEFAULT_EXEC_TIMEOUT when None) is enforced inside
        the container with `timeout`, and the host stops waiting HOST_GRACE s after that
        (exit code 124, as if `timeout` had fired). Raises DiskLimitExceeded when the disk
        watchdog stopped the container before or during the command.
        """
        self.check_disk()
        limit = max(1, int(timeout if timeout is not None else DEFAULT_EXEC_TIMEOUT))
        argv = ["timeout", "-k", "5", str(limit), "bash", "-c", command]
        t0 = time.monotonic()
        code, out = self._exec_raw(argv, workdir, env, t0 + limit + 5 + HOST_GRACE)
        self.check_disk()
        return code, out, time.monotonic() - t0

    def _exec_raw(self, argv: list[str], workdir: str, env: dict[str, str] | None,
                  deadline: float) -> tuple[int, bytes]:
        """Run argv, reading its multiplexed stdout+stderr until EOF or the host deadline."""
        api = client().api
        try:
            exec_id = api.exec_create(self.container.id, argv, stdout=True, stderr=True, workdir=workdir,
                                      environment=env)["Id"]
            sock = api.exec_start(exec_id, socket=True)._sock
        except APIError:
            self.check_disk()  # a 409 "not running" after the watchdog stopped the container
            raise
        out, buf = bytearray(), b""
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return 124, bytes(out)  # the host guard: the engine never ended the stream
                sock.settimeout(min(left, 60.0))
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
                while len(buf) >= 8:
                    size = struct.unpack(">I", buf[4:8])[0]
                    if len(buf) < 8 + size:
                        break
                    out += buf[8:8 + size]  # stdout and stderr in arrival order, as exec_run gives
                    buf = buf[8 + size:]
        finally:
            try:
                sock.close()
            except OSError:
                pass
        try:
            code = api.exec_inspect(exec_id).get("ExitCode")
        except DockerException:
            code = None
        return (code if code is not None else -1), bytes(out)

    def exec(self, command: str, *, timeout: float | None = None, workdir: str = "/testbed",
             env: dict[str, str] | None = None) -> ExecResult:
        code, out, duration = self.exec_bytes(command, timeout=timeout, workdir=workdir, env=env)
        # Without a limit of its own, a command's exit 124 is its own unless the default fired.
        timed_out = code in TIMEOUT_CODES and (timeout is not None or duration >= DEFAULT_EXEC_TIMEOUT)
        return ExecResult(code, out.decode("utf-8", errors="replace"), duration, timed_out)

    def read_file(self, path: str) -> bytes | None:
        """The file's bytes, or None when it does not exist."""
        try:
            stream, _ = self.container.get_archive(path)
        except NotFound:
            return None
        buf = io.BytesIO(b"".join(stream))
        with tarfile.open(fileobj=buf) as tar:
            member = tar.next()
            if member is None or not member.isfile():
                return None
            f = tar.extractfile(member)
            return f.read() if f else None

    def read_files(self, paths: list[str]) -> dict[str, bytes]:
        """The bytes of each of these files (absolute paths) that exists, in one exec: reading
        a repository's sources one by one costs a round trip each (pygments: 600 files, 10 s)."""
        if not paths:
            return {}
        listing = f"/tmp/.forager-read-{uuid.uuid4().hex}"
        self.write_file(listing, "\0".join(p.lstrip("/") for p in paths).encode(), make_parent=False)
        code, out, _ = self.exec_bytes(f"tar -C / -cf - --null -T {listing} --ignore-failed-read 2>/dev/null; "
                                       f"rm -f {listing}", workdir="/", timeout=300)
        found: dict[str, bytes] = {}
        try:
            with tarfile.open(fileobj=io.BytesIO(out)) as tar:
                for member in tar:
                    f = tar.extractfile(member) if member.isfile() else None
                    if f is not None:
                        found["/" + member.name.lstrip("/")] = f.read()
        except tarfile.TarError as exc:
            raise ForagerError(f"reading {len(paths)} files from container {self.id[:12]}: {exc} (exit {code})") from None
        return found

    def write_file(self, path: str, data: bytes, mode: int = 0o644, make_parent: bool = True) -> None:
        p = PurePosixPath(path)
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            info = tarfile.TarInfo(p.name)
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            tar.addfile(info, io.BytesIO(data))
        if make_parent:
            self.exec(f"mkdir -p {shlex.quote(str(p.parent))}", workdir="/")
        self.container.put_archive(str(p.parent), buf.getvalue())

    def remove(self) -> None:
        if self.watchdog is not None:
            self.watchdog.stop()
        try:
            self.container.remove(force=True)
        except NotFound:
            pass
        except APIError as exc:
            if exc.status_code != 409:  # 409: a removal (e.g. by `forager gc`) is already under way
                raise

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
