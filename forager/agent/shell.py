"""ShellSession: the host end of the in-container shell server (one attached exec per episode).

A request is a JSON line written to the exec's stdin; the answer is a JSON line read from its
stdout. No new `docker exec` per command, so a round trip costs a socket write and read.
"""

from __future__ import annotations

import json
import socket
import struct
import time

from forager.containers import HELPERS, PYTHON, Sandbox
from forager.engine import client
from forager.errors import ForagerError


class ShellDied(ForagerError):
    """The shell server itself is gone (container stopped, or killed from inside)."""


class ShellSession:
    def __init__(self, box: Sandbox, start_timeout: float = 30):
        self.box = box
        self.restarts = 0
        self._buf = b""
        self._start(start_timeout)

    def _start(self, timeout: float) -> None:
        api = client().api
        exec_id = api.exec_create(self.box.id, [PYTHON, f"{HELPERS}/shell_server.py"], stdin=True,
                                  stdout=True, stderr=True, workdir="/")["Id"]
        self._sock: socket.socket = api.exec_start(exec_id, socket=True)._sock
        self._buf = b""
        self.request({"op": "ping"}, timeout)

    def restart(self) -> None:
        """Start a fresh server (after the old one died); raises ShellDied if that fails too."""
        self.close()
        self.restarts += 1
        try:
            self._start(30)
        except Exception as exc:  # noqa: BLE001 - any failure here means the container is unusable
            raise ShellDied(f"the shell could not be restarted: {exc}") from None

    def request(self, req: dict, timeout: float) -> dict:
        try:
            self._sock.sendall((json.dumps(req) + "\n").encode())
            return json.loads(self._read_line(time.monotonic() + timeout))
        except (OSError, ValueError) as exc:
            raise ShellDied(f"lost the shell server: {exc}") from None

    def _read_line(self, deadline: float) -> bytes:
        out = bytearray()
        while True:
            frame = self._frame(deadline)
            out += frame
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
            # stderr of the server (a traceback): keep reading, but let it show in the error.
            self.last_stderr = payload.decode("utf-8", "replace")

    def _read_exact(self, n: int, deadline: float) -> bytes:
        while len(self._buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise OSError("no answer from the shell server in time")
            self._sock.settimeout(left)
            chunk = self._sock.recv(65536)
            if not chunk:
                raise OSError("the shell server closed its stream")
            self._buf += chunk
        data, self._buf = self._buf[:n], self._buf[n:]
        return data

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass
