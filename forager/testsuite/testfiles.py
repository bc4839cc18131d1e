"""Which files of a repository are tests or test configuration (never mutated, restored at grading).

The rule itself lives in the in-container helper forager_tree.py, which applies it inside the
grading container; host code imports the same functions so the two never disagree.
"""

from __future__ import annotations

from forager.images.helpers.forager_tree import (  # noqa: F401  (re-exported)
    CONFIG_FILES,
    TEST_DIRS,
    TEST_FILE_PATTERNS,
    is_protected,
    is_test_path,
)
