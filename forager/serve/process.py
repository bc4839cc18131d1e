"""A model server child process: start it, wait until it answers, stop it cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from forager.errors import ForagerError


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(self, argv: list[str], health_url: str, log_path: Path, env: dict | None = None):
        self.argv, self.health_url, self.log_path = argv, health_url, log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = log_path.open("ab")
        # Own process group: stopping the server stops whatever it spawned.
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env={**os.environ, **(env or {})}, start_new_session=True)

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._raise_if_dead("before answering")
            try:
                if httpx.get(self.health_url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise ForagerError(f"the model server did not answer {self.health_url} within {timeout:g} s (log: {self.log_path})")

    def check_completion(self, url: str, payload: dict, timeout: float) -> None:
        """Send one real completion: a server that answers health checks can still die on its
        first request (a build using CPU instructions the machine does not enable)."""
        try:
            res = httpx.post(url, json=payload, timeout=timeout)
        except httpx.HTTPError as exc:
            self._raise_if_dead("on its first completion request")
            self.stop()
            raise ForagerError(f"the model server did not complete a first request ({type(exc).__name__}) "
                               f"(log: {self.log_path})") from None
        if res.status_code != 200:
            self.stop()
            raise ForagerError(f"the model server answered its first completion request with HTTP "
                               f"{res.status_code} (log: {self.log_path})")

    def _raise_if_dead(self, when: str) -> None:
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"code {code}"
        self._log.close()
        raise ForagerError(f"the model server died ({how}) {when} (log: {self.log_path})")

    def stop(self, grace: float = 15) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            except ProcessLookupError:
                pass
        self._log.close()

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
