"""The agent actor of one worker node: it owns the node's Docker engine, images and episode slots.

It runs in a Ray worker process on its node, whose DOCKER_HOST (inherited from that node's
`ray start`) names the node's engine, so `forager.engine.client()` and every stage's code talk
to that engine unchanged. On start it checks the engine, its disk and the registry, and removes
the containers a dead process of this node left behind.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading

from pydantic import BaseModel

from forager.engine import client
from forager.errors import ForagerError
from forager.gc import collect
from forager.work.runner import ItemContext

from . import registry


class NodeStatus(BaseModel):
    name: str
    problem: str = ""  # one line when the node cannot work; empty when it can
    engine: str = ""
    cleaned: int = 0  # containers of dead processes removed at start
    free_gb: float = 0.0
    pid: int = 0
    host: str = ""


_current: "NodeAgent | None" = None


def current() -> "NodeAgent":
    """The agent of the process a work function runs in (one agent per actor process)."""
    if _current is None:
        raise ForagerError("not running on a cluster node agent")
    return _current


class NodeAgent:
    def __init__(self, name: str, registry_address: str | None, min_free_gb: float):
        global _current
        _current = self
        self.name, self.registry = name, registry_address
        self.stop_event = threading.Event()
        self.pull_lock = threading.Lock()
        self.status_ = NodeStatus(name=name, engine=os.environ.get("DOCKER_HOST", "default socket"), pid=os.getpid(),
                                  host=socket.gethostname())
        self.status_.problem = self._check(min_free_gb)
        if not self.status_.problem:
            self.status_.cleaned = collect(images=False)[0]

    def _check(self, min_free_gb: float) -> str:
        try:
            info = client().info()
        except ForagerError as exc:
            return str(exc).split("; ")[0]
        root = info.get("DockerRootDir") or "/var/lib/docker"
        try:
            self.status_.free_gb = round(shutil.disk_usage(root).free / 1e9, 1)
        except OSError:
            return f"cannot read the free disk of the engine's data root {root}"
        if self.status_.free_gb < min_free_gb:
            return f"only {self.status_.free_gb} GB free on {root} (needs {min_free_gb})"
        if self.registry and not registry.reachable(self.registry):
            return f"registry {self.registry} cannot be reached from this node"
        return ""

    def status(self) -> NodeStatus:
        return self.status_

    def ensure_image(self, tag: str, image_id: str) -> str:
        """The image on this node's engine, pulled from the registry when missing: 'cached' or 'pulled'."""
        with self.pull_lock:  # one pull per image, episodes of the same image wait for it
            have = registry.local_id(client(), tag)
            if have and (not image_id or have == image_id):
                return "cached"
            if not self.registry:
                raise ForagerError(f"image {tag} is not on node {self.name} and no --registry was given to bring it")
            registry.pull(client(), self.registry, tag, image_id)
            return "pulled"

    def publish(self, tag: str) -> None:
        """An image built here goes to the registry, for the nodes that will need it."""
        # A rebuilt tag (a new image id) replaces the registry's, as the new manifest names it.
        if self.registry and not registry.has(self.registry, tag, registry.local_id(client(), tag) or ""):
            registry.push(client(), self.registry, tag)

    def run(self, work, value, tag: str = "", image_id: str = ""):
        if tag:
            self.ensure_image(tag, image_id)
        return work(value, ItemContext(say=lambda msg: None, stop=self.stop_event))

    def stop(self) -> None:
        """Running items stop at their next safe point (Ctrl-C on the driver)."""
        self.stop_event.set()
