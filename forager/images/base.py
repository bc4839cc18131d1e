"""The shared base image: from python:<ver>-slim, or bootstrapped offline from Debian packages."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from docker.errors import APIError, ImageNotFound

from forager import paths
from forager.engine import client
from forager.errors import ForagerError
from forager.hashing import digest, tree_digest
from forager.images import host
from forager.images.dockerbuild import build

BOOKWORM_PYTHON = "3.11"
# The Debian release whose python3 is each Python version: the bases `forager base bootstrap`
# can make with no registry.
DEBIAN_SUITES = {"3.9": "bullseye", "3.11": "bookworm", "3.13": "trixie"}
DEBIAN_PACKAGES = "python3,python3-venv,python3-pip,git,ca-certificates,procps,patch"


def rootfs_tag(suite: str) -> str:
    # The package list is part of the tag, so changing it bootstraps a new root filesystem.
    return f"forager/rootfs:{suite}-{digest(DEBIAN_PACKAGES)[:8]}"


ROOTFS_TAG = rootfs_tag("bookworm")
TOOLS = "pytest coverage"
HELPERS_SOURCE = paths.PACKAGE_DIR / "images" / "helpers"


def alias(python: str) -> str:
    """The moving tag naming the newest base for a Python version."""
    return f"forager/base:py{python}"


def _debian_mirror() -> str:
    for f in (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list")):
        if not f.is_file():
            continue
        for line in f.read_text().splitlines():
            line = line.strip()
            if line.startswith("URIs:"):
                return line.split()[1]
            if line.startswith("deb ") and "security" not in line:
                return line.split()[1]
    return "http://deb.debian.org/debian"


def _image_exists(ref: str) -> bool:
    try:
        client().images.get(ref)
        return True
    except ImageNotFound:
        return False


def bootstrap_rootfs(log_path: Path, force: bool = False, suite: str = "bookworm") -> str:
    """debootstrap a Debian release and `docker import` it; returns the image tag."""
    tag = rootfs_tag(suite)
    if _image_exists(tag) and not force:
        return tag
    if shutil.which("debootstrap") is None:
        raise ForagerError("debootstrap is not installed: run 'bash scripts/docker-up.sh' (installs it) "
                           "or 'apt-get install debootstrap'")
    with tempfile.TemporaryDirectory(prefix="forager-rootfs-", dir=paths.cache("tmp")) as tmp:
        rootfs, tar = Path(tmp) / "rootfs", Path(tmp) / "rootfs.tar"
        cmd = ["debootstrap", "--variant=minbase", f"--include={DEBIAN_PACKAGES}", suite,
               str(rootfs), _debian_mirror()]
        with log_path.open("w") as log:
            done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise ForagerError(f"debootstrap failed (exit {done.returncode}; log: {log_path})")
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tar), "."], check=True)
        try:
            repository, version = tag.split(":")
            client().api.import_image_from_file(str(tar), repository=repository, tag=version,
                                                changes=['CMD ["/bin/bash"]', "ENV LANG=C.UTF-8"])
        except APIError as exc:
            raise ForagerError(f"docker import of the bootstrapped root filesystem failed: {exc.explanation}") from None
    return tag


def _context(tmp: Path, from_image: str, setup: str) -> tuple[Path, str]:
    """Write the build context; returns it and the content hash of every input."""
    pip_env = host.pip_settings()
    env_lines = "".join(f'ENV {k}="{v}"\n' for k, v in sorted(pip_env.items()))
    text = paths.dockerfile("base.Dockerfile").format(
        from_image=from_image, setup=setup, tools=TOOLS, pip_env=env_lines)
    (tmp / "Dockerfile").write_text(text)
    (tmp / "host-ca.crt").write_bytes(host.ca_bundle())
    shutil.copytree(HELPERS_SOURCE, tmp / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    from_id = client().images.get(from_image).id
    return tmp, digest(text, from_id, host.ca_bundle(), tree_digest(HELPERS_SOURCE))


def build_base(python: str, origin: str = "auto", force: bool = False) -> str:
    """Build (or find) the base image for `python`; returns its content-hashed tag.

    origin: "registry" (python:<ver>-slim), "bootstrap" (Debian, offline) or "auto"
    (registry image when present or pullable, else the bootstrapped one if it exists).
    """
    logs = paths.cache("logs")
    if origin == "auto":
        origin = "registry" if _image_exists(f"python:{python}-slim") or _pullable(python) else "bootstrap"
    if origin == "bootstrap":
        if python not in DEBIAN_SUITES:
            raise ForagerError(f"no offline base has Python {python} (Debian gives {', '.join(DEBIAN_SUITES)}): "
                               f"use one of those or a reachable registry")
        suite = DEBIAN_SUITES[python]
        from_image = bootstrap_rootfs(logs / f"debootstrap-{suite}.log", force=force, suite=suite)
        setup = "true"
    else:
        from_image = f"python:{python}-slim"
        setup = ("apt-get update -qq && apt-get install -y -qq --no-install-recommends git procps patch "
                 "&& rm -rf /var/lib/apt/lists/*")
    with tempfile.TemporaryDirectory(prefix="forager-base-", dir=paths.cache("tmp")) as tmp:
        ctx, h = _context(Path(tmp), from_image, setup)
        tag = f"forager/base:py{python}-{h[:12]}"
        if not _image_exists(tag) or force:
            build(ctx, tag, logs / f"base-py{python}.log", labels={"forager.kind": "base"})
    client().images.get(tag).tag(alias(python))
    return tag


_ensure_lock = threading.Lock()
_pinned: dict[str, str] = {}


def pin_base(python: str, tag: str) -> None:
    """Use `tag` as the base for `python` in this process: a cluster node builds on the base the
    driver chose (pulled from the registry), never on one of its own."""
    _pinned[python] = tag


@functools.lru_cache(maxsize=None)
def _pullable(python: str) -> bool:
    try:
        client().images.pull("python", tag=f"{python}-slim")
        return True
    except APIError:
        return False


def find_base(python: str) -> str:
    """The base image for a Python version, or a one-line error saying how to make one."""
    if _image_exists(alias(python)):
        return alias(python)
    raise ForagerError(f"no base image for Python {python}: run 'forager base build --python {python}' "
                       f"(or 'forager base bootstrap --python {python}' offline: {', '.join(DEBIAN_SUITES)})")


def ensure_base(python: str) -> str:
    """The base for `python` with this Forager's helpers, built when missing (from a registry, or
    bootstrapped offline). By content hash, not the moving alias: another Forager checkout on the
    same engine may have moved the alias to a base with other helpers."""
    with _ensure_lock:
        return _pinned.get(python) or build_base(python, origin="auto")
