"""Pure choices of the cluster: rendezvous placement, endpoint picking, node names, addresses."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest

from forager.cluster.connect import answers, resolve
from forager.cluster.executor import node_name
from forager.cluster.placement import homes, pick_node, rank
from forager.errors import ForagerError
from forager.harvest.endpoints import EndpointPool, least_busy
from tests.conftest import ROOT

NODES = [f"node_{c}" for c in "abcdef"]
TAGS = [f"forager/repo-r{i}:{i:012x}" for i in range(600)]


def test_rank_is_a_fixed_order_whatever_the_node_order():
    for tag in TAGS[:50]:
        assert rank(tag, NODES) == rank(tag, list(reversed(NODES)))
        assert sorted(rank(tag, NODES)) == sorted(NODES)


def test_images_spread_evenly_over_nodes():
    firsts = Counter(rank(tag, NODES)[0] for tag in TAGS)
    assert set(firsts) == set(NODES)
    assert max(firsts.values()) < 2 * len(TAGS) / len(NODES)


def test_losing_a_node_moves_only_the_images_that_ranked_it_first():
    before = {tag: rank(tag, NODES)[0] for tag in TAGS}
    after = {tag: rank(tag, [n for n in NODES if n != "node_c"])[0] for tag in TAGS}
    moved = {tag for tag in TAGS if before[tag] != after[tag]}
    assert moved == {tag for tag in TAGS if before[tag] == "node_c"}


def test_homes_and_pick_node():
    tag = TAGS[0]
    two = homes(tag, NODES, 2)
    assert two == rank(tag, NODES)[:2]
    assert homes("", NODES, 2) == NODES  # no image: any node
    free = {n: 1 for n in NODES}
    assert pick_node(tag, NODES, free, 2) == two[0]
    free[two[0]] = 0
    assert pick_node(tag, NODES, free, 2) == two[1]
    free[two[1]] = 0
    assert pick_node(tag, NODES, free, 2) is None  # its homes are busy: it waits, it never goes elsewhere
    assert pick_node(tag, NODES, {two[0]: 1, two[1]: 3}, 2) == two[1]  # the freer home


def test_least_busy_endpoint_and_the_pool():
    eps = ["http://a/v1", "http://b/v1", "http://c/v1"]
    assert least_busy(eps, {}) == eps[0]
    assert least_busy(eps, {eps[0]: 2, eps[1]: 1, eps[2]: 1}) == eps[1]
    pool = EndpointPool(eps)
    taken = [pool.acquire() for _ in range(5)]
    assert taken == [eps[0], eps[1], eps[2], eps[0], eps[1]]
    pool.release(eps[2])
    assert pool.acquire() == eps[2]
    with pytest.raises(ValueError):
        least_busy([], {})


def test_node_names_come_from_their_own_resource():
    assert node_name({"CPU": 2.0, "memory": 1, "node:10.0.0.1": 1, "node_a": 1}, "abcdef0123") == "node_a"
    assert node_name({"CPU": 2.0, "node:__internal_head__": 1}, "abcdef0123") == "node-abcdef01"


def test_addresses(monkeypatch, tmp_path):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr("forager.cluster.connect.CURRENT_CLUSTER", tmp_path / "none")
    with pytest.raises(ForagerError, match="no Ray cluster runs on this machine"):
        resolve("auto")
    monkeypatch.setenv("RAY_ADDRESS", "10.1.2.3:6379")
    assert resolve("auto") == "10.1.2.3:6379"
    with pytest.raises(ForagerError, match="not HOST:PORT"):
        answers("nonsense")
    assert not answers("127.0.0.1:9", timeout=1)


def test_ray_is_not_imported_without_ray():
    code = ("import sys\nfrom forager.cli import app\nimport forager.harvest.runner, forager.images.pipeline, "
            "forager.tasks.image_stage\nassert 'ray' not in sys.modules, 'ray imported'\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
