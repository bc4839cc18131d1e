"""All the evidence in a repository's tree at one commit, read through git (nothing is checked out,
nothing is run)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

import git

from forager.recipes.inference.evidence import Evidence
from forager.recipes.inference.pyproject import read_pyproject
from forager.recipes.inference.pytest_ini import read_ini
from forager.recipes.inference.requirements import requirement_files_for_tests
from forager.recipes.inference.setup_files import read_setup_cfg, read_setup_py
from forager.recipes.inference.tox_nox import read_noxfile, read_tox_ini
from forager.recipes.inference.workflows import read_workflow

READERS = {
    "pyproject.toml": read_pyproject,
    "setup.cfg": read_setup_cfg,
    "setup.py": read_setup_py,
    "tox.ini": read_tox_ini,
    "pytest.ini": read_ini,
    "noxfile.py": read_noxfile,
}
MAX_FILE = 2_000_000


def _show(repo: git.Repo, commit: str, path: str) -> str | None:
    try:
        data = repo.git.execute(["git", "cat-file", "blob", f"{commit}:{path}"], stdout_as_string=False)
    except git.GitCommandError:
        return None
    return data[:MAX_FILE].decode("utf-8", "replace")


def read_tree(repo: git.Repo, commit: str) -> Evidence:
    files = repo.git.execute(["git", "ls-tree", "-r", "--name-only", "--full-tree", commit]).splitlines()
    ev = Evidence(files=files)
    # pyproject first: where it and setup.cfg/setup.py disagree, the newer standard wins.
    for name, reader in READERS.items():
        if name in files and (text := _show(repo, commit, name)) is not None:
            ev = ev.merge(reader(text, name))
    for path in sorted(f for f in files if re.fullmatch(r"\.github/workflows/[^/]+\.ya?ml", f)):
        if (text := _show(repo, commit, path)) is not None:
            ev = ev.merge(read_workflow(text, path))
    ev.requirement_files = requirement_files_for_tests(files)
    ev.commit_date = repo.git.log("-1", "--format=%cI", commit)
    try:
        ev.version_tag = repo.git.describe("--tags", "--abbrev=0", commit)
    except git.GitCommandError:
        ev.version_tag = None
    return ev


def find_test_dirs(files: list[str]) -> list[str]:
    """Top-level folders holding test modules, most test files first; [] when tests sit elsewhere."""
    counts: dict[str, int] = {}
    for f in files:
        p = PurePosixPath(f)
        if p.suffix == ".py" and (p.name.startswith("test_") or p.name.endswith("_test.py")) and len(p.parts) > 1:
            # src/pkg/tests/test_x.py -> src/pkg; src/test_x.py -> src (a folder, never the file itself)
            top = "/".join(p.parts[:2]) if p.parts[0] == "src" and len(p.parts) > 2 else p.parts[0]
            counts[top] = counts.get(top, 0) + 1
    return sorted(counts, key=lambda d: (-counts[d], d))


def uses_unittest_only(repo: git.Repo, commit: str, files: list[str], sample: int = 8) -> bool:
    """True when test modules import unittest and none mentions pytest (a small sample is read)."""
    tests = [f for f in files if PurePosixPath(f).name.startswith("test") and f.endswith(".py")][:sample]
    texts = [t for t in (_show(repo, commit, f) for f in tests) if t]
    return bool(texts) and all("pytest" not in t for t in texts) and any("unittest" in t for t in texts)
