"""A Ray cluster on this one machine: a registry, a head and worker nodes, each worker with its
own Docker engine (scripts/node-engine.sh). For the integration tests, the benchmark and trying
`--ray` out; every process it starts is its own session, stopped by its id, never by name."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from forager.cluster.registry import RegistryServer
from forager.errors import ForagerError

ROOT = Path(__file__).resolve().parents[2]
ENGINE_SCRIPT = ROOT / "scripts" / "node-engine.sh"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_cli() -> str:
    return str(Path(sys.executable).parent / "ray")


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:  # field 5 of stat: the process group
                pids.append(int(d.name))
    return pids


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class Node:
    name: str
    index: int
    docker_host: str = ""
    pgid: int = 0


@dataclass
class LocalCluster:
    workdir: Path
    head_port: int = field(default_factory=free_port)
    registry_port: int = field(default_factory=free_port)
    nodes: dict[str, Node] = field(default_factory=dict)
    head_pgid: int = 0
    registry: RegistryServer | None = None
    # Bridges and engine names of this process's nodes: two clusters on one machine (a test run
    # and a benchmark) never share one.
    base_index: int = field(default_factory=lambda: (os.getpid() % 80) * 3)

    @property
    def address(self) -> str:
        return f"{socket.gethostbyname(socket.gethostname())}:{self.head_port}"

    @property
    def registry_address(self) -> str:
        return self.registry.address if self.registry else ""

    def _ray_start(self, args: list[str], env: dict, log: Path) -> int:
        with open(log, "ab") as fh:
            p = subprocess.Popen([_ray_cli(), "start", *args, "--disable-usage-stats", "--object-store-memory", "80000000"],
                                 env=env, stdout=fh, stderr=fh, start_new_session=True)
            if p.wait(180) != 0:
                raise ForagerError(f"ray start failed; see {log}")
        return p.pid  # its daemons keep its process group

    def start(self, worker_names: list[str]) -> "LocalCluster":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.registry = RegistryServer(self.workdir / "registry", self.registry_port).start()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("DOCKER_HOST", None)
        self.head_pgid = self._ray_start(["--head", "--port", str(self.head_port), "--num-cpus", "0",
                                          "--temp-dir", str(self.workdir / "ray"), "--include-dashboard", "false"],
                                         env, self.workdir / "head.log")
        for i, name in enumerate(worker_names, start=1):
            self.add_node(name, i)
        return self

    def start_engine(self, node: Node) -> None:
        out = subprocess.run(["bash", str(ENGINE_SCRIPT), "start", self.engine_name(node.name), str(self.base_index + node.index)],
                             capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise ForagerError(f"engine of {node.name} did not start: {out.stderr.strip()[-300:]}")
        node.docker_host = out.stdout.strip().splitlines()[-1]

    def engine_name(self, name: str) -> str:
        return f"{os.getpid()}-{name}"

    def add_node(self, name: str, index: int, engine: bool = True, cpus: int = 2) -> Node:
        node = self.nodes.get(name) or Node(name, index)
        if engine and not node.docker_host:
            self.start_engine(node)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        # A node without an engine of its own gets a socket nothing listens on (a fault to test).
        env["DOCKER_HOST"] = node.docker_host or f"unix://{self.workdir}/{name}-no-engine.sock"
        node.pgid = self._ray_start(["--address", self.address, "--num-cpus", str(cpus),
                                     "--resources", json.dumps({name: 1})], env, self.workdir / f"{name}.log")
        self.nodes[name] = node
        self._wait_nodes()
        return node

    def _wait_nodes(self, timeout: float = 60) -> None:
        """Until the head lists every started node alive (a node joins a little after `ray start` returns)."""
        code = ("import ray, sys, time\n"
                f"ray.init(address='{self.address}', logging_level='ERROR', log_to_driver=False)\n"
                f"deadline = time.monotonic() + {timeout}\n"
                f"while sum(n['Alive'] for n in ray.nodes()) < {len(self.nodes) + 1} and time.monotonic() < deadline:\n"
                "    time.sleep(0.5)\n")
        subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=timeout + 60)

    def raylet_pid(self, name: str) -> int:
        for pid in _group_pids(self.nodes[name].pgid):
            cmd = _cmdline(pid)
            if "/raylet " in cmd and f"--static_resource_list={name},1" in cmd:
                return pid
        raise ForagerError(f"no raylet found for node {name}")

    def kill_raylet(self, name: str) -> int:
        pid = self.raylet_pid(name)
        os.kill(pid, signal.SIGKILL)
        return pid

    def signal_node(self, name: str, sig: int) -> None:
        """Send `sig` to every process of the node (its raylet and workers), e.g. SIGSTOP to freeze it."""
        for pid in _group_pids(self.nodes[name].pgid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def stop_node(self, name: str) -> None:
        node = self.nodes[name]
        _kill_group(node.pgid)
        node.pgid = 0

    def stop(self) -> None:
        for node in self.nodes.values():
            _kill_group(node.pgid)
        _kill_group(self.head_pgid)
        for node in self.nodes.values():
            if node.docker_host:
                subprocess.run(["bash", str(ENGINE_SCRIPT), "stop", self.engine_name(node.name)], capture_output=True, timeout=180)
        if self.registry:
            self.registry.stop()


def _kill_group(pgid: int) -> None:
    if not pgid:
        return
    for pid in _group_pids(pgid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
