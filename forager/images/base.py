"""The shared base image: from python:<ver>-slim, or bootstrapped offline from Debian packages."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from docker.errors import APIError, ImageNotFound

from forager import paths
from forager.engine import client
from forager.errors import ForagerError
from forager.hashing import digest, tree_digest
from forager.images import host
from forager.images.dockerbuild import build

BOOKWORM_PYTHON = "3.11"
DEBIAN_PACKAGES = "python3,python3-venv,python3-pip,git,ca-certificates,procps,patch"
# The package list is part of the tag, so changing it bootstraps a new root filesystem.
ROOTFS_TAG = f"forager/rootfs:bookworm-{digest(DEBIAN_PACKAGES)[:8]}"
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


def bootstrap_rootfs(log_path: Path, force: bool = False) -> str:
    """debootstrap Debian bookworm and `docker import` it; returns the image tag."""
    if _image_exists(ROOTFS_TAG) and not force:
        return ROOTFS_TAG
    if shutil.which("debootstrap") is None:
        raise ForagerError("debootstrap is not installed: run 'bash scripts/docker-up.sh' (installs it) "
                           "or 'apt-get install debootstrap'")
    with tempfile.TemporaryDirectory(prefix="forager-rootfs-", dir=paths.cache("tmp")) as tmp:
        rootfs, tar = Path(tmp) / "rootfs", Path(tmp) / "rootfs.tar"
        cmd = ["debootstrap", "--variant=minbase", f"--include={DEBIAN_PACKAGES}", "bookworm",
               str(rootfs), _debian_mirror()]
        with log_path.open("w") as log:
            done = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT)
        if done.returncode != 0:
            raise ForagerError(f"debootstrap failed (exit {done.returncode}; log: {log_path})")
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tar), "."], check=True)
        try:
            repository, tag = ROOTFS_TAG.split(":")
            client().api.import_image_from_file(str(tar), repository=repository, tag=tag,
                                                changes=['CMD ["/bin/bash"]', "ENV LANG=C.UTF-8"])
        except APIError as exc:
            raise ForagerError(f"docker import of the bootstrapped root filesystem failed: {exc.explanation}") from None
    return ROOTFS_TAG


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
        if python != BOOKWORM_PYTHON:
            raise ForagerError(f"the offline base (Debian bookworm) has Python {BOOKWORM_PYTHON} only, "
                               f"not {python}: use python = \"{BOOKWORM_PYTHON}\" or a reachable registry")
        from_image = bootstrap_rootfs(logs / "debootstrap.log", force=force)
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
                       f"(or 'forager base bootstrap' offline, Python {BOOKWORM_PYTHON} only)")
