"""Harvest on a real Ray cluster on this machine: a head and worker nodes, each worker with its
own Docker engine, images through a real registry (forager/cluster/local.py).

Placement by image with a pull on the node that lacks it; a worker's raylet killed mid-run
with no episode lost or written twice and its containers removed by its next agent; the
driver killed and rerun; a node without an engine left out in one line.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import docker
import pytest

from forager.engine import LABEL
from forager.jsonio import read_lines
from forager.records.trajectory import Trajectory
from tests.conftest import ALL_OPERATORS_TASKS, ROOT, forager

pytestmark = [pytest.mark.docker, pytest.mark.cluster]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, example_tasks):
    from forager.cluster.local import LocalCluster
    c = LocalCluster(tmp_path_factory.mktemp("fc", numbered=True))
    try:
        c.start(["node_a", "node_b"])
        c.add_node("node_c", 3, engine=False, cpus=1)  # no Docker engine: must be left out
        yield c
    finally:
        c.stop()


def engine_of(cluster, name: str) -> docker.DockerClient:
    return docker.DockerClient(base_url=cluster.nodes[name].docker_host)


def forager_containers(cluster, name: str) -> list:
    # The low-level list: the high-level one inspects each container and fails on one removed in between.
    return engine_of(cluster, name).api.containers(all=True, filters={"label": f"{LABEL}.pid"})


def ray_args(cluster, *more: str) -> list[str]:
    return ["--ray", cluster.address, "--registry", cluster.registry_address, *more]


def assert_each_once(out, tasks) -> list[Trajectory]:
    trajs = list(read_lines(out, Trajectory))
    counts = Counter((t.instance_id, t.attempt) for t in trajs)
    assert [k for k, n in counts.items() if n > 1] == []
    assert sorted(i for i, _ in counts) == sorted(t.instance_id for t in tasks)
    assert all(t.reward == 1.0 for t in trajs), [(t.instance_id, t.exit_status, t.grading.error) for t in trajs if t.reward != 1.0]
    return trajs


def test_no_cluster_at_the_address_is_one_line(tasks_dir, tmp_path, example_tasks):
    res = forager("harvest", "--tasks", str(tasks_dir / ALL_OPERATORS_TASKS), "--policy", "oracle",
                  "--ray", "127.0.0.1:9", "-o", str(tmp_path / "x.jsonl"), timeout=120)
    assert res.returncode == 2
    assert "no Ray cluster answers at 127.0.0.1:9" in res.stderr and "Traceback" not in res.stdout + res.stderr


def test_placement_by_image_pulls_where_missing_and_leaves_out_a_node_without_engine(cluster, example_tasks, tmp_path):
    import ray

    from forager.cluster.executor import ClusterSettings, RayExecutor
    from forager.cluster.placement import rank
    from forager.errors import ForagerError
    from forager.harvest.episode import HarvestSettings
    from forager.harvest.runner import harvest
    tasks = example_tasks[:4]
    tag, image_id = tasks[0].image, tasks[0].image_id
    home, other = rank(tag, ["node_a", "node_b"])
    assert all(not engine_of(cluster, n).images.list(name=tag.split(":")[0]) for n in ("node_a", "node_b"))
    said = []
    ray.init(address=cluster.address, logging_level="ERROR", log_to_driver=False)
    try:
        with pytest.raises(ForagerError, match="no node can run work .*only .* GB free"):
            RayExecutor(ray, ClusterSettings(address=cluster.address, registry=cluster.registry_address,
                                             min_free_gb=1e6), say=said.append)
        with pytest.raises(ForagerError, match="no registry answers"):
            RayExecutor(ray, ClusterSettings(address=cluster.address, registry="127.0.0.1:9"))
        said.clear()
        ex = RayExecutor(ray, ClusterSettings(address=cluster.address, registry=cluster.registry_address, replicas=1),
                         say=said.append)
        try:
            summary = harvest(tasks, tmp_path / "placed.jsonl", HarvestSettings(), concurrency=2, executor=ex)
        finally:
            ex.shutdown()
    finally:
        ray.shutdown()
    assert any("node node_c left out: no Docker engine answers" in line for line in said), said
    assert summary.written == len(tasks) and summary.resolved == len(tasks), summary
    assert {node for place, node in ex.placements} == {home}
    assert engine_of(cluster, home).images.get(tag).id == image_id  # pulled, same id as the manifest's
    assert not engine_of(cluster, other).images.list(name=tag.split(":")[0])  # never placed there
    assert_each_once(tmp_path / "placed.jsonl", tasks)


def _start_cluster_harvest(cluster, tasks_file, out, log, *more):
    return subprocess.Popen([sys.executable, "-m", "forager.cli", "harvest", "--tasks", str(tasks_file), "--policy", "oracle",
                             "--concurrency", "2", "-o", str(out), *ray_args(cluster, *more)],
                            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            start_new_session=True, env={**os.environ, "COLUMNS": "200"})


def _wait(cond, proc, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if cond():
            return True
        time.sleep(0.2)
    return False


def _freeze_with_containers(cluster, name, proc) -> bool:
    """Freeze the node (SIGSTOP) at a moment it has containers, so none of its own clean-up can remove
    them before it is killed: an episode that ended between a look and the kill left none behind."""
    while _wait(lambda: len(forager_containers(cluster, name)) > 0, proc):
        cluster.signal_node(name, signal.SIGSTOP)
        time.sleep(1.0)  # a removal already sent to the engine lands
        if forager_containers(cluster, name):
            return True
        cluster.signal_node(name, signal.SIGCONT)
    return False


def test_worker_killed_mid_run_loses_nothing_and_its_containers_go_later(cluster, example_tasks, tasks_dir, tmp_path):
    out, log = tmp_path / "killed-node.jsonl", tmp_path / "run.log"
    proc = _start_cluster_harvest(cluster, tasks_dir / ALL_OPERATORS_TASKS, out, log)
    try:
        assert _freeze_with_containers(cluster, "node_b", proc), log.read_text()[-3000:]
        cluster.kill_raylet("node_b")
        cluster.signal_node("node_b", signal.SIGKILL)  # the machine is gone: its frozen workers too
        assert proc.wait(900) == 0, log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    text = log.read_text()
    assert "node node_b lost" in text, text[-3000:]
    assert_each_once(out, example_tasks)
    left = forager_containers(cluster, "node_b")
    assert left, "the killed node's containers should still be there until its agent starts again"
    cluster.stop_node("node_b")
    cluster.add_node("node_b", 2)  # the same engine, a new raylet
    res = forager("harvest", "--tasks", str(tasks_dir / ALL_OPERATORS_TASKS), "--policy", "oracle", "-o", str(out),
                  *ray_args(cluster), timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "leftover containers removed" in res.stderr, res.stderr[-2000:]
    assert forager_containers(cluster, "node_b") == []
    assert_each_once(out, example_tasks)


def test_driver_killed_and_rerun_completes_without_duplicates(cluster, example_tasks, tasks_dir, tmp_path):
    out, log = tmp_path / "killed-driver.jsonl", tmp_path / "run1.log"
    proc = _start_cluster_harvest(cluster, tasks_dir / ALL_OPERATORS_TASKS, out, log)
    try:
        assert _wait(lambda: out.exists() and out.read_text().count("\n") >= 2, proc), log.read_text()[-3000:]
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    written = out.read_text().count("\n")
    assert 0 < written < len(example_tasks)
    res = forager("harvest", "--tasks", str(tasks_dir / ALL_OPERATORS_TASKS), "--policy", "oracle", "-o", str(out),
                  *ray_args(cluster), timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    assert_each_once(out, example_tasks)
    for name in ("node_a", "node_b"):
        assert forager_containers(cluster, name) == [], name


def test_build_images_and_tasks_on_the_cluster(cluster, base_image, tmp_path):
    from forager.cluster import registry
    from forager.cluster.placement import rank
    from forager.engine import client
    from forager.records import ledger
    from forager.records import manifest as mf
    from forager.records.task import Task
    from tests.conftest import EXAMPLE_RECIPE
    images, tasks_out = tmp_path / "images", tmp_path / "tasks.jsonl"
    res = forager("build-images", str(EXAMPLE_RECIPE), "-o", str(images), *ray_args(cluster), timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    m = mf.load(images / "minilib.json")  # written by the driver, with the node's logs beside it
    assert m.status == "ok" and "passed" in (images / "logs" / "minilib.validate.log").read_text()
    assert registry.has(cluster.registry_address, m.image_tag)
    home = rank(EXAMPLE_RECIPE.stem, ["node_a", "node_b"])[0]
    assert engine_of(cluster, home).images.get(m.image_tag).id == m.image_id
    base_id = client().images.get(base_image).id
    assert engine_of(cluster, home).images.get(base_image).id == base_id  # the driver's base, not rebuilt
    res = forager("tasks", "--variant", "mutate-fix", "--images", str(images / "minilib.json"), "--per-image", "2",
                  "--max-checks", "8", "-o", str(tasks_out), *ray_args(cluster), timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    tasks = list(read_lines(tasks_out, Task))
    assert 1 <= len(tasks) <= 2 and all(t.image == m.image_tag for t in tasks)
    attempts = list(read_lines(ledger.ledger_path(tasks_out), ledger.Attempt))
    assert len({(a.manifest_id, a.key) for a in attempts}) == len(attempts) >= len(tasks)


@pytest.mark.model
def test_episodes_spread_over_endpoints_and_keep_theirs(cluster, local_server, tasks_dir, tmp_path, example_tasks):
    """Two endpoints (the same real server under two names): episodes running at once take the
    least busy, and each records the one it used for all its turns."""
    out = tmp_path / "chat.jsonl"
    second = local_server.replace("127.0.0.1", "localhost")
    res = forager("harvest", "--tasks", str(tasks_dir / ALL_OPERATORS_TASKS), "--policy", "chat", "--endpoint", local_server,
                  "--endpoint", second, "--model", "smollm2", "--limit", "4", "--max-turns", "1", "--max-context", "4096",
                  "--max-tokens", "32", "--concurrency", "2", "-o", str(out), *ray_args(cluster), timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    trajs = list(read_lines(out, Trajectory))
    assert len(trajs) == 4 and all(t.turns for t in trajs)
    assert {t.server.endpoint for t in trajs} == {local_server, second}
