"""Sandbox: one labelled container that Forager runs commands in and copies files through."""

from __future__ import annotations

import io
import os
import socket
import shlex
import tarfile
import time
import uuid
from dataclasses import dataclass
from pathlib import PurePosixPath

from docker.errors import APIError, NotFound
from docker.models.containers import Container

from forager.engine import LABEL, client
from forager.errors import ForagerError

# The system Python inside every Forager image (the repo's venv may be broken by an agent).
PYTHON = "/opt/forager/python"
HELPERS = "/opt/forager/helpers"
# `timeout` exits 124 when the limit fires (137 if it had to SIGKILL after the grace period).
TIMEOUT_CODES = (124, 137)


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    output: str
    duration: float
    timed_out: bool


@dataclass(frozen=True)
class Limits:
    memory: str = "4g"
    cpus: float = 1.0
    pids: int = 512
    network: bool = False


class Sandbox:
    """A running container (kept alive by Forager's PID 1 helper) with exec and file copy."""

    def __init__(self, container: Container):
        self.container = container

    @classmethod
    def start(cls, image: str, *, kind: str, limits: Limits = Limits(), labels: dict[str, str] | None = None) -> "Sandbox":
        # The owner's pid lets `forager gc` spare containers of runs that are still alive.
        all_labels = {LABEL: "1", f"{LABEL}.kind": kind, f"{LABEL}.pid": str(os.getpid()),
                      f"{LABEL}.host": socket.gethostname(), **(labels or {})}
        try:
            c = client().containers.run(
                image,
                command=[PYTHON, f"{HELPERS}/pid1.py"],
                name=f"forager-{kind}-{uuid.uuid4().hex[:10]}",
                detach=True,
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
            raise ForagerError(f"cannot start a container from {image}: {exc.explanation}") from None
        return cls(c)

    @property
    def id(self) -> str:
        return self.container.id

    def exec_bytes(self, command: str, *, timeout: float | None = None, workdir: str = "/testbed",
                   env: dict[str, str] | None = None) -> tuple[int, bytes, float]:
        """(exit code, raw output, seconds) of `command` run with bash; limits enforced inside."""
        argv = ["bash", "-c", command]
        if timeout is not None:
            argv = ["timeout", "-k", "5", str(max(1, int(timeout))), *argv]
        t0 = time.monotonic()
        res = self.container.exec_run(argv, workdir=workdir, environment=env, demux=False)
        code = res.exit_code if res.exit_code is not None else -1
        return code, res.output or b"", time.monotonic() - t0

    def exec(self, command: str, *, timeout: float | None = None, workdir: str = "/testbed",
             env: dict[str, str] | None = None) -> ExecResult:
        code, out, duration = self.exec_bytes(command, timeout=timeout, workdir=workdir, env=env)
        return ExecResult(code, out.decode("utf-8", errors="replace"), duration,
                          timeout is not None and code in TIMEOUT_CODES)

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
