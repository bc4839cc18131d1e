"""RayExecutor: the work runner's Executor on a Ray cluster.

The driver keeps the queue: an item goes to a node agent only when one of its image's homes
(rendezvous hashing over the live nodes) has a free slot. A node that dies takes its running
items with it; they go back to the queue and run elsewhere (at-least-once). Each item's Future
completes once, with the first result, and the stage's driver-side callback is the only writer.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from forager.errors import ForagerError
from forager.progress import console

from . import placement, registry
from .node_agent import NodeAgent, NodeStatus

STANDARD_RESOURCES = {"CPU", "GPU", "memory", "object_store_memory", "accelerator_type"}


class ClusterSettings(BaseModel):
    address: str
    registry: str | None = None  # host:port every node and the driver reach
    slots: int = 2  # items at once per node
    replicas: int = 2  # nodes each image's work goes to
    # A node with less free disk under its engine's data root is left out.
    min_free_gb: float = Field(default_factory=lambda: float(os.environ.get("FORAGER_NODE_MIN_FREE_GB", "2")))


@dataclass
class _Job:
    future: Future
    work: object
    value: object
    place: str
    image: str
    image_id: str
    tries: int = 0


@dataclass
class _Node:
    name: str
    node_id: str
    agent: object
    free: int
    running: dict = field(default_factory=dict)  # ObjectRef -> _Job


def _apply(fn, args, _value, _ctx):
    return fn(*args)


def node_name(resources: dict, node_id: str) -> str:
    """A node's own resource (e.g. node_a from --resources '{"node_a": 1}') names it; else its id."""
    custom = sorted(k for k in resources if k not in STANDARD_RESOURCES and not k.startswith("node:"))
    return custom[0] if custom else f"node-{node_id[:8]}"


class RayExecutor:
    def __init__(self, ray, settings: ClusterSettings, say=console.print):
        self.ray, self.s, self.say = ray, settings, say
        self.nodes: dict[str, _Node] = {}
        self.left_out: dict[str, str] = {}
        self.lost: dict[str, str] = {}
        self.placements: list[tuple[str, str]] = []  # (item place, node) of every finished item
        self.statuses: dict[str, NodeStatus] = {}
        self._queue: deque[_Job] = deque()
        self._lock = threading.Condition()
        self._pushed: dict[str, str] = {}
        self._closed = False
        if settings.registry and not registry.reachable(settings.registry):
            raise ForagerError(f"--registry {settings.registry}: no registry answers there (Debian: apt-get install "
                               "docker-registry; see README: Cluster)")
        self._start_agents()
        self._thread = threading.Thread(target=self._loop, name="ray-dispatch", daemon=True)
        self._thread.start()

    # ---- nodes
    def _start_agents(self) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        actor = self.ray.remote(NodeAgent)
        pending = {}
        for n in self.ray.nodes():
            res = n.get("Resources") or {}
            if not n.get("Alive") or res.get("CPU", 0) < 1:
                continue  # the head started with --num-cpus 0 runs no agent
            name = node_name(res, n["NodeID"])
            handle = actor.options(
                num_cpus=0, max_concurrency=self.s.slots + 4, max_restarts=0, max_task_retries=0,
                scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False),
            ).remote(name, self.s.registry, self.s.min_free_gb)
            pending[name] = (n["NodeID"], handle, handle.status.remote())
        for name, (node_id, handle, ref) in pending.items():
            try:
                st = self.ray.get(ref, timeout=120)
            except Exception as exc:  # noqa: BLE001 - any node's failure leaves only that node out
                st = NodeStatus(name=name, problem=f"its agent did not start ({type(exc).__name__})")
            self.statuses[name] = st
            if st.problem:
                self.left_out[name] = st.problem
                self.say(f"cluster: node {name} left out: {st.problem}")
                self.ray.kill(handle)
            else:
                self.nodes[name] = _Node(name, node_id, handle, self.s.slots)
        if not self.nodes:
            why = "; ".join(f"{k}: {v}" for k, v in self.left_out.items()) or "no node with CPUs has joined"
            raise ForagerError(f"--ray {self.s.address}: no node can run work ({why})")
        cleaned = sum(self.statuses[n].cleaned for n in self.nodes)
        self.say(f"cluster: {len(self.nodes)} nodes ({', '.join(sorted(self.nodes))}), {self.s.slots} slots each"
                 + (f", {cleaned} leftover containers removed" if cleaned else "")
                 + (f"; left out: {', '.join(sorted(self.left_out))}" if self.left_out else ""))

    def _lose(self, node: _Node, reason: str) -> None:
        """A dead node: its running items go back to the queue, to run on the nodes left."""
        self.nodes.pop(node.name, None)
        self.lost[node.name] = reason
        requeued = list(node.running.values())
        for job in requeued:
            job.tries += 1
        self._queue.extendleft(reversed(requeued))
        self.say(f"cluster: node {node.name} lost ({reason}); {len(requeued)} running items go to other nodes")
        try:
            self.ray.kill(node.agent)
        except Exception:  # noqa: BLE001 - it is gone already
            pass

    # ---- the Executor protocol
    def submit(self, fn, /, *args) -> Future:
        return self.submit_work(functools.partial(_apply, fn, args), None)

    def submit_work(self, work, value, place: str = "", image: str = "", image_id: str = "") -> Future:
        """Run `work(value, ctx)` on an agent: one of the homes of `place` (an image tag), which
        pulls `image` first when it lacks it."""
        job = _Job(Future(), work, value, place, image, image_id)
        with self._lock:
            if self._closed:
                raise RuntimeError("executor is shut down")
            self._queue.append(job)
            self._lock.notify()
        return job.future

    def running(self) -> int:
        with self._lock:
            return sum(len(n.running) for n in self.nodes.values())

    def stop(self) -> None:
        for node in list(self.nodes.values()):
            node.agent.stop.remote()

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            self._closed = True
            if not wait:
                while self._queue:
                    self._queue.popleft().future.cancel()
            self._lock.notify()
        self._thread.join()
        for node in self.nodes.values():
            try:
                self.ray.kill(node.agent)
            except Exception:  # noqa: BLE001
                pass
        if self.lost or self.left_out:
            self.say("cluster: " + "; ".join([f"lost {k} ({v})" for k, v in self.lost.items()]
                                             + [f"left out {k} ({v})" for k, v in self.left_out.items()]))

    # ---- dispatch
    def _in_registry(self, tag: str, image_id: str) -> None:
        """Push an image the registry lacks (or holds under another id) from the driver's engine, once per tag."""
        if not self.s.registry or not tag or tag in self._pushed:
            return
        from forager.engine import client
        try:
            if not registry.has(self.s.registry, tag, image_id):
                if image_id and registry.local_id(client(), tag) not in (None, image_id):
                    raise ForagerError(f"image {tag} on this engine is not the one its manifest names ({image_id[:19]})")
                registry.push(client(), self.s.registry, tag)
            self._pushed[tag] = ""
        except ForagerError as exc:
            self._pushed[tag] = str(exc)
            self.say(f"cluster: {exc}; nodes without {tag} cannot run its items")

    def _dispatch(self) -> None:
        waiting = deque()
        while self._queue:
            job = self._queue.popleft()
            if job.future.cancelled():
                continue
            if not self.nodes:
                job.future.set_exception(ForagerError(f"every cluster node was lost ({'; '.join(self.lost.values())})"))
                continue
            free = {n.name: n.free for n in self.nodes.values()}
            name = placement.pick_node(job.place, sorted(self.nodes), free, self.s.replicas)
            if name is None:
                waiting.append(job)
                continue
            if job.tries == 0 and not job.future.set_running_or_notify_cancel():
                continue
            self._in_registry(job.image, job.image_id)
            node = self.nodes[name]
            ref = node.agent.run.remote(job.work, job.value, job.image, job.image_id)
            node.running[ref] = job
            node.free -= 1
        self._queue = waiting

    def _finish(self, node: _Node, ref) -> None:
        from ray.exceptions import RayActorError, RayTaskError
        job = node.running.pop(ref)
        node.free += 1
        try:
            result = self.ray.get(ref)
        except RayActorError as exc:
            node.running[ref] = job  # requeued with the others
            self._lose(node, type(exc).__name__)
            return
        except RayTaskError as exc:
            job.future.set_exception(exc.cause if isinstance(exc.cause, BaseException) else exc)
            return
        except Exception as exc:  # noqa: BLE001 - one item's failure is that item's
            job.future.set_exception(exc)
            return
        self.placements.append((job.place, node.name))
        job.future.set_result(result)

    def _loop(self) -> None:
        while True:
            with self._lock:
                self._dispatch()
                refs = {ref: node for node in self.nodes.values() for ref in node.running}
                if not refs:
                    if self._closed and not self._queue:
                        return
                    self._lock.wait(0.2)
                    continue
            ready, _ = self.ray.wait(list(refs), num_returns=1, timeout=0.2)
            with self._lock:
                for ref in ready:
                    node = refs[ref]
                    if node.name in self.nodes and ref in node.running:
                        self._finish(node, ref)
            time.sleep(0)
