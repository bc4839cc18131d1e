"""Images between engines through a registry (Debian's `docker-registry` runs offline).

A node never rebuilds an image: the engine that built it pushes it once, a node that lacks it
pulls it, and the pulled image's id must equal the manifest's (the id is the digest of the
image's config, which a push and a pull keep), so a node never runs a different image under
the same tag.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
from docker.errors import APIError, DockerException, ImageNotFound

from forager.errors import ForagerError

MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
])

CONFIG = """version: 0.1
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: {addr}
"""


def reachable(address: str, timeout: float = 3.0) -> bool:
    try:
        return httpx.get(f"http://{address}/v2/", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def split_tag(tag: str) -> tuple[str, str]:
    repo, _, version = tag.rpartition(":")
    if not repo or "/" in version:
        return tag, "latest"
    return repo, version


def remote_name(address: str, tag: str) -> tuple[str, str]:
    repo, version = split_tag(tag)
    return f"{address}/{repo}", version


def remote_id(address: str, tag: str) -> str | None:
    """The image id the registry holds under `tag` (its config digest), or None."""
    repo, version = split_tag(tag)
    try:
        r = httpx.get(f"http://{address}/v2/{repo}/manifests/{version}", headers={"Accept": MANIFEST_TYPES}, timeout=10)
    except httpx.HTTPError as exc:
        raise ForagerError(f"registry {address} cannot be reached ({type(exc).__name__})") from None
    if r.status_code != 200:
        return None
    return (r.json().get("config") or {}).get("digest")


def has(address: str, tag: str, image_id: str = "") -> bool:
    """Whether the registry holds `tag` (as the image `image_id`, when given)."""
    found = remote_id(address, tag)
    return found is not None and (not image_id or found == image_id)


def _stream_errors(lines) -> str:
    for line in lines:
        if isinstance(line, dict) and line.get("error"):
            return str(line["error"])
    return ""


def push(client, address: str, tag: str) -> None:
    """Push a local image to the registry (layers the registry holds already are not sent)."""
    repo, version = remote_name(address, tag)
    try:
        client.images.get(tag).tag(repo, version)
        error = _stream_errors(client.images.push(repo, version, stream=True, decode=True))
    except ImageNotFound:
        raise ForagerError(f"image {tag} is not on this engine, so it cannot go to the registry") from None
    except (APIError, DockerException) as exc:
        raise ForagerError(f"pushing {tag} to registry {address} failed: {str(exc).splitlines()[0][:200]}") from None
    finally:
        try:
            client.images.remove(f"{repo}:{version}", noprune=True)
        except DockerException:
            pass
    if error:
        raise ForagerError(f"pushing {tag} to registry {address} failed: {error[:200]}")


def pull(client, address: str, tag: str, image_id: str) -> None:
    """Pull `tag` from the registry, check its id against the manifest, and tag it as the stages name it."""
    repo, version = remote_name(address, tag)
    try:
        image = client.images.pull(repo, tag=version)
    except (APIError, DockerException) as exc:
        raise ForagerError(f"pulling {tag} from registry {address} failed: {str(exc).splitlines()[0][:200]}") from None
    if image_id and image.id != image_id:
        client.images.remove(f"{repo}:{version}", force=True)
        raise ForagerError(f"registry {address} gave {tag} with id {image.id[:19]}, but its manifest says {image_id[:19]}; "
                           "not used")
    local_repo, local_version = split_tag(tag)
    image.tag(local_repo, local_version)
    client.images.remove(f"{repo}:{version}", noprune=True)


def local_id(client, tag: str) -> str | None:
    try:
        return client.images.get(tag).id
    except ImageNotFound:
        return None


class RegistryServer:
    """A `docker-registry` process serving a folder, for one machine's cluster (tests, benchmarks)."""

    def __init__(self, root: Path, port: int, host: str = "127.0.0.1"):
        self.root, self.address = root, f"{host}:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self, wait: float = 20.0) -> "RegistryServer":
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "config.yml"
        config.write_text(CONFIG.format(root=self.root / "data", addr=self.address))
        log = open(self.root / "registry.log", "ab")
        try:
            self.proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log, stderr=log)
        except FileNotFoundError:
            raise ForagerError("docker-registry is not installed (apt-get install -y docker-registry)") from None
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if reachable(self.address, timeout=1):
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise ForagerError(f"docker-registry did not answer on {self.address}; see {self.root / 'registry.log'}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
