"""Channel: a long-lived process in a container, driven by JSON lines over one attached exec.

A request is a JSON line written to the exec's stdin; the answer is a JSON line read from its
stdout. No new `docker exec` per request, so a round trip costs a socket write and read.
"""

from __future__ import annotations

import json
import socket
import struct
import time

from forager.containers import Sandbox
from forager.engine import client
from forager.errors import ForagerError


class ChannelClosed(ForagerError):
    """The process at the other end is gone, or did not answer in time."""


class Channel:
    def __init__(self, box: Sandbox, argv: list[str], workdir: str = "/", env: dict[str, str] | None = None):
        api = client().api
        exec_id = api.exec_create(box.id, argv, stdin=True, stdout=True, stderr=True,
                                  workdir=workdir, environment=env)["Id"]
        self._sock: socket.socket = api.exec_start(exec_id, socket=True)._sock
        self._buf = b""
        self.last_stderr = ""

    def request(self, req: dict, timeout: float) -> dict:
        try:
            self._sock.sendall((json.dumps(req) + "\n").encode())
        except OSError as exc:
            raise ChannelClosed(f"lost the helper process: {exc}") from None
        return self.receive(timeout)

    def receive(self, timeout: float) -> dict:
        """The next answer (a server's greeting needs no request)."""
        try:
            return json.loads(self._read_line(time.monotonic() + timeout))
        except (OSError, ValueError) as exc:
            detail = f" ({self.last_stderr.strip()[-300:]})" if self.last_stderr.strip() else ""
            raise ChannelClosed(f"lost the helper process: {exc}{detail}") from None

    def _read_line(self, deadline: float) -> bytes:
        out = bytearray()
        while True:
            out += self._frame(deadline)
            if out.endswith(b"\n"):
                return bytes(out)

    def _frame(self, deadline: float) -> bytes:
        """Next stdout payload of Docker's multiplexed stream (8-byte header per frame)."""
        while True:
            header = self._read_exact(8, deadline)
            kind, size = header[0], struct.unpack(">I", header[4:])[0]
            payload = self._read_exact(size, deadline)
            if kind == 1:
                return payload
            # stderr (a traceback): keep reading, but let it show in the error.
            self.last_stderr = payload.decode("utf-8", "replace")

    def _read_exact(self, n: int, deadline: float) -> bytes:
        while len(self._buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise OSError("no answer in time")
            self._sock.settimeout(left)
            chunk = self._sock.recv(65536)
            if not chunk:
                raise OSError("the helper process closed its stream")
            self._buf += chunk
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass
