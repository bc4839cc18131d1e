"""Shared fixtures: the real Docker engine, the base image, the example image and its tasks.

Integration tests use the machine's Docker engine (brought up by scripts/docker-up.sh) and
Forager's own caches, so images and coverage maps are built once and reused by content hash.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_RECIPE = ROOT / "recipes" / "example.toml"
ALL_OPERATORS_TASKS = "tasks-all-operators.jsonl"


def forager(*args: str, env: dict | None = None, timeout: float = 1800, cwd: Path | None = None):
    """Run the real CLI in a subprocess (stdin closed, like CI)."""
    return subprocess.run([sys.executable, "-m", "forager.cli", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, cwd=cwd or ROOT,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="session")
def engine():
    from forager.engine import client
    from forager.errors import EngineUnavailable
    try:
        return client()
    except EngineUnavailable:
        subprocess.run(["bash", str(ROOT / "scripts" / "docker-up.sh")], check=True)
        client.cache_clear()
        return client()


@pytest.fixture(scope="session")
def base_image(engine):
    from forager.errors import ForagerError
    from forager.images.base import BOOKWORM_PYTHON, build_base, find_base
    try:
        find_base(BOOKWORM_PYTHON)
    except ForagerError:
        pass
    # build_base is a no-op when the content-hashed base exists; it rebuilds when helpers changed.
    return build_base(BOOKWORM_PYTHON, origin="auto")


@pytest.fixture(scope="session")
def images_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("images")


@pytest.fixture(scope="session")
def example_manifest(base_image, images_dir):
    from forager.images.pipeline import build_one
    outcome = build_one(EXAMPLE_RECIPE, images_dir)
    assert outcome.status in ("built", "up-to-date"), outcome.message
    return outcome.manifest


@pytest.fixture(scope="session")
def tasks_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tasks")


@pytest.fixture(scope="session")
def example_tasks(example_manifest, tasks_dir):
    """One kept task per operator (at most) on the example image."""
    from forager.jsonio import read_lines
    from forager.records.task import Task
    from forager.tasks.mutate_fix.pipeline import Settings, generate
    out = tasks_dir / ALL_OPERATORS_TASKS
    summary = generate([example_manifest], out, Settings(per_image=100, per_operator=1, seed=0))
    assert not summary.failed_images, summary.failed_images
    return list(read_lines(out, Task))


@pytest.fixture(scope="session")
def local_server():
    from forager.serve.local import start_local
    server, endpoint = start_local(timeout=300)
    yield endpoint
    server.stop()


def pytest_collection_modifyitems(items):
    # Fast, pure tests first: a broken parser shows up before minutes of container work.
    items.sort(key=lambda item: 0 if "/unit/" in str(item.fspath) else 1)


# Containers a test left behind, by test: reported at the end of the run so a leak is traced to
# the test that made it (a later test that counts leftovers would otherwise take the blame).
LEAKS: list[str] = []


def _labelled_containers() -> dict[str, dict]:
    from forager.engine import LABEL, client
    return {c["Id"]: c.get("Labels") or {} for c in client().api.containers(all=True, filters={"label": f"{LABEL}.pid"})}


@pytest.fixture(autouse=True)
def container_leaks(request):
    if request.node.get_closest_marker("docker") is None or request.node.get_closest_marker("cluster") is not None:
        yield
        return
    try:
        before = set(_labelled_containers())
    except Exception:  # no engine: the test itself says so
        yield
        return
    yield
    from forager.engine import LABEL
    from forager.gc import owner_alive
    # Ours: made by this process or by one that is gone (a CLI run of the test); a live process
    # of someone else's (a benchmark beside the tests) is not the test's doing.
    left = {cid: labels for cid, labels in _labelled_containers().items() if cid not in before
            and (labels.get(f"{LABEL}.pid") == str(os.getpid()) or not owner_alive(labels))}
    for cid, labels in left.items():
        LEAKS.append(f"{request.node.nodeid}: container {cid[:12]} kind={labels.get(f'{LABEL}.kind')} "
                     f"owner pid={labels.get(f'{LABEL}.pid')} instance={labels.get(f'{LABEL}.instance', '-')}")


def pytest_terminal_summary(terminalreporter):
    if LEAKS:
        terminalreporter.section("containers left behind by tests")
        for line in LEAKS:
            terminalreporter.write_line(line)
