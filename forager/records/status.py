"""A test's outcome in one run, as JUnit XML reports it."""

from enum import Enum


class Status(str, Enum):
    passed = "passed"
    failed = "failed"
    error = "error"
    skipped = "skipped"
