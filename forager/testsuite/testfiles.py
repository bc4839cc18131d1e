"""Which files of a repository are tests or test configuration (never mutated, restored at grading)."""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import PurePosixPath

TEST_DIRS = {"test", "tests", "testing"}
TEST_FILE_PATTERNS = ("test_*.py", "*_test.py", "tests.py", "conftest.py")
# Files that configure how tests run or what Python loads at start-up: a submission that
# edits them could change what the grader sees, so grading puts them back.
CONFIG_FILES = {"pytest.ini", ".pytest.ini", "pytest.toml", ".pytest.toml", "tox.ini", "setup.cfg", "pyproject.toml", "noxfile.py",
                ".coveragerc", "sitecustomize.py", "usercustomize.py"}


def is_test_path(path: str) -> bool:
    p = PurePosixPath(path)
    if any(part in TEST_DIRS for part in p.parts[:-1]):
        return True
    return any(fnmatch(p.name, pat) for pat in TEST_FILE_PATTERNS)


def is_protected(path: str) -> bool:
    """Tests, conftest files, test configuration and start-up hooks."""
    p = PurePosixPath(path)
    return is_test_path(path) or p.name in CONFIG_FILES or p.suffix == ".pth"
