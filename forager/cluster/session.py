"""What the CLI calls for `--ray`: join the cluster and start its agents, as one executor."""

from __future__ import annotations

from forager.cluster.connect import connect
from forager.cluster.executor import ClusterSettings, RayExecutor


def open_cluster(address: str, registry: str | None, slots: int, replicas: int = 2) -> RayExecutor:
    ray = connect(address)
    return RayExecutor(ray, ClusterSettings(address=address, registry=registry, slots=slots, replicas=replicas))


def endpoint_pool(endpoints: list[str]):
    import ray

    from forager.cluster.endpoints import RayEndpointPool
    return RayEndpointPool(ray, endpoints)
