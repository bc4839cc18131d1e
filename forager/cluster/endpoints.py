"""The endpoint pool of a cluster: one actor counts every node's episodes per endpoint."""

from __future__ import annotations

from forager.harvest.endpoints import EndpointPool


class RayEndpointPool:
    """What an episode on any node calls (acquire, release); picklable, it holds an actor handle."""

    def __init__(self, ray, endpoints: list[str]):
        self._actor = ray.remote(EndpointPool).options(num_cpus=0, max_concurrency=64).remote(endpoints)

    def acquire(self) -> str:
        import ray
        return ray.get(self._actor.acquire.remote())

    def release(self, endpoint: str) -> None:
        import ray
        ray.get(self._actor.release.remote(endpoint))

    def counts(self) -> dict[str, int]:
        import ray
        return ray.get(self._actor.counts.remote())
