"""unified_diff produces patches that real `git apply` takes, forwards and in reverse."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from forager.tasks.mutate import generate_mutants
from forager.tasks.mutate.patch import unified_diff

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

ORIGINAL = "".join(f"line {i}\n" for i in range(1, 30))


def git_apply(root: Path, patch: str, *flags: str) -> None:
    (root / "change.patch").write_text(patch)
    subprocess.run(["git", "apply", *flags, "change.patch"], cwd=root, check=True, capture_output=True)


def round_trip(tmp_path: Path, original: str, mutated: str, path: str = "pkg/mod.py") -> None:
    target = tmp_path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(original.encode())
    patch = unified_diff(original, mutated, path)
    assert patch.startswith(f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ ")
    assert patch.endswith("\n")
    git_apply(tmp_path, patch)
    assert target.read_bytes() == mutated.encode()
    git_apply(tmp_path, patch, "-R")
    assert target.read_bytes() == original.encode()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    return tmp_path


def test_round_trip_with_several_hunks(repo: Path) -> None:
    mutated = ORIGINAL.replace("line 3\n", "line three\n").replace("line 25\n", "").replace(
        "line 14\n", "line 14\nline 14.5\n"
    )
    round_trip(repo, ORIGINAL, mutated)


@pytest.mark.parametrize(
    ("original", "mutated"),
    [
        ("a\nb\nc", "a\nB\nc"),  # neither ends with a newline
        ("a\nb\nc\n", "a\nb\nC"),  # the mutant loses it
        ("a\nb\nc", "a\nb\nc\n"),  # the mutant gains it
    ],
)
def test_missing_final_newline(repo: Path, original: str, mutated: str) -> None:
    patch = unified_diff(original, mutated, "f.py")
    assert "\\ No newline at end of file\n" in patch
    round_trip(repo, original, mutated, "f.py")


def test_form_feeds_and_crlf_are_ordinary_characters(repo: Path) -> None:
    original = "x = 1\r\n\x0c\r\ny = 2\r\nz = 3\r\n"
    round_trip(repo, original, original.replace("y = 2", "y = 3"))


def test_identical_texts_give_no_patch() -> None:
    assert unified_diff(ORIGINAL, ORIGINAL, "same.py") == ""


def test_mutant_patches_apply(repo: Path) -> None:
    source = "def area(w, h):\n    if w < 0 or h < 0:\n        raise ValueError(w, h)\n    return w * h\n"
    mutants = generate_mutants(source, "geo/area.py", None, seed=4, per_function=3)
    assert mutants
    for mutant in mutants:
        round_trip(repo, source, mutant.mutated, "geo/area.py")
        assert mutant.patch() == unified_diff(source, mutant.mutated, "geo/area.py")
