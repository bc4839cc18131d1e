"""Oracle episodes per minute: one node without Ray, one node with Ray, two worker nodes, in
the same run, on a cluster on this machine (forager/cluster/local.py: a registry, a Ray head,
worker nodes each with a Docker engine of its own).

    python benchmarks/bench_cluster.py [--tasks 12] [--slots 2] [--keep]

The run without Ray uses the first worker's engine too, so Ray is the only difference between
the first two rows. Images reach each node's engine through the registry before the timed runs
(the transfer is timed on its own). Every node of this cluster shares the same cores: on a
2-core machine the two-node row measures what the cluster costs, not a speedup.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from common import current_manifest, run_in_tmp, table

from forager.cluster import registry
from forager.cluster.executor import ClusterSettings, RayExecutor
from forager.cluster.local import LocalCluster
from forager.engine import client
from forager.harvest.episode import HarvestSettings
from forager.harvest.runner import harvest
from forager.jsonio import read_lines
from forager.records.task import Task
from forager.records.trajectory import Trajectory
from forager.tasks.mutate_fix.pipeline import Settings, generate


def make_tasks(tmp: Path, n: int) -> list[Task]:
    out = tmp / "tasks.jsonl"
    generate([current_manifest("minilib")], out, Settings(per_image=n, seed=0))
    return list(read_lines(out, Task))


def use_engine(docker_host: str | None) -> None:
    """Point this process's engine client at a node's engine (or back at the default)."""
    if docker_host:
        os.environ["DOCKER_HOST"] = docker_host
    else:
        os.environ.pop("DOCKER_HOST", None)
    client.cache_clear()


def timed(tasks, out: Path, slots: int, executor=None) -> tuple[int, int, float]:
    t0 = time.perf_counter()
    summary = harvest(tasks, out, HarvestSettings(policy="oracle"), concurrency=slots, executor=executor)
    seconds = time.perf_counter() - t0
    trajs = list(read_lines(out, Trajectory))
    for e in summary.errors:
        print(f"  error: {e}")
    return len(trajs), sum(t.reward > 0 for t in trajs), seconds


def timed_on_ray(ray, settings, tasks, out: Path, slots: int) -> tuple:
    """(episodes, resolved, seconds as text, episodes per minute) of one harvest through a RayExecutor."""
    ex = RayExecutor(ray, settings, say=print)
    try:
        n, ok, sec = timed(tasks, out, slots, ex)
    finally:
        ex.shutdown()
    return n, ok, f"{sec:.1f}", 60 * n / sec


def transfer(c: LocalCluster, node: str, tag: str, image_id: str) -> float:
    """Registry to a node's engine, checked against the manifest's image id."""
    use_engine(c.nodes[node].docker_host)
    t0 = time.perf_counter()
    registry.pull(client(), c.registry_address, tag, image_id)
    return time.perf_counter() - t0


def bench(a, tmp: Path) -> None:
    import ray
    tasks = make_tasks(tmp, a.tasks)
    tag, image_id = tasks[0].image, tasks[0].image_id
    c = LocalCluster(tmp / "cluster")
    rows, moves = [], []
    try:
        c.start(["node_a"])
        use_engine(None)
        t0 = time.perf_counter()
        registry.push(client(), c.registry_address, tag)
        moves.append(("push to the registry (host engine)", f"{time.perf_counter() - t0:.1f}"))
        moves.append(("pull on node_a, id checked", f"{transfer(c, 'node_a', tag, image_id):.1f}"))

        n, ok, sec = timed(tasks, tmp / "local.jsonl", a.slots)  # node_a's engine, threads here
        rows.append(("1 node, no Ray", n, ok, f"{sec:.1f}", 60 * n / sec))
        use_engine(None)
        ray.init(address=c.address, logging_level="ERROR", log_to_driver=False)
        settings = ClusterSettings(address=c.address, registry=c.registry_address, slots=a.slots, replicas=2)
        rows.append(("1 node, Ray", *timed_on_ray(ray, settings, tasks, tmp / "ray1.jsonl", a.slots)))

        c.add_node("node_b", 2)
        moves.append(("pull on node_b, id checked", f"{transfer(c, 'node_b', tag, image_id):.1f}"))
        use_engine(None)
        rows.append(("2 worker nodes, Ray", *timed_on_ray(ray, settings, tasks, tmp / "ray2.jsonl", a.slots)))
        ray.shutdown()
    finally:
        use_engine(None)
        c.stop()
    base = rows[0][4]
    table(f"oracle episodes, {len(tasks)} tasks, {a.slots} slots per node",
          ["way", "episodes", "resolved", "seconds", "episodes/min", "vs no Ray"],
          [(w, n, ok, s, f"{r:.1f}", f"{r / base:.2f}x") for w, n, ok, s, r in rows])
    overhead = 100 * (1 - rows[1][4] / base)
    print(f"Ray overhead on one node: {overhead:.1f} % (target under 10 %)")
    print(f"scaling, two worker nodes over one (Ray): {rows[2][4] / rows[1][4]:.2f}x on {os.cpu_count()} shared cores")
    table("image transfer", ["step", "seconds"], moves)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", type=int, default=12, help="mutate-fix tasks on the example image")
    ap.add_argument("--slots", type=int, default=2, help="episodes at once per node")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    run_in_tmp(bench, a, "fbc-")  # short: engine sockets live under it


if __name__ == "__main__":
    main()
