"""ShellSession: the host end of the in-container shell server (one attached exec per episode).

Requests and answers are JSON lines over a Channel: no new `docker exec` per command.
"""

from __future__ import annotations

from forager.channel import Channel, ChannelClosed
from forager.containers import HELPERS, PYTHON, Sandbox
from forager.disk import DiskLimitExceeded
from forager.errors import ForagerError


class ShellDied(ForagerError):
    """The shell server itself is gone (container stopped, or killed from inside)."""


class ShellSession:
    def __init__(self, box: Sandbox, start_timeout: float = 30):
        self.box = box
        self.restarts = 0
        self._start(start_timeout)

    def _start(self, timeout: float) -> None:
        # First line of defence against a full disk: no single file may outgrow the budget
        # (RLIMIT_FSIZE, set by the server on its bash); the watchdog bounds the total.
        env = {"FORAGER_FILE_LIMIT": str(self.box.disk_budget)} if self.box.disk_budget else None
        self._channel = Channel(self.box, [PYTHON, f"{HELPERS}/shell_server.py"], env=env)
        self.request({"op": "ping"}, timeout)

    def restart(self) -> None:
        """Start a fresh server (after the old one died); raises ShellDied if that fails too."""
        self.close()
        self.restarts += 1
        try:
            self._start(30)
        except DiskLimitExceeded:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure here means the container is unusable
            raise ShellDied(f"the shell could not be restarted: {exc}") from None

    def request(self, req: dict, timeout: float) -> dict:
        try:
            return self._channel.request(req, timeout)
        except ChannelClosed as exc:
            self.box.check_disk()  # the watchdog stopped the container: say so, not "died"
            raise ShellDied(str(exc).replace("helper process", "shell server")) from None

    def close(self) -> None:
        self._channel.close()
