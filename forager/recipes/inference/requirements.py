"""requirements*.txt files: which of them are for tests or development."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

TEST_WORDS = ("test", "tests", "testing", "dev", "develop", "development", "ci")
_REQ_NAME = re.compile(r"^(requirements|reqs|constraints)?[-_.]?(?P<word>[a-z]*)[-_.]?.*\.(txt|in)$")


def requirement_files_for_tests(files: list[str]) -> list[str]:
    """Requirement files a test environment would install, most specific first (test before dev)."""
    found = []
    for path in files:
        p = PurePosixPath(path)
        if len(p.parts) > 3 or p.suffix != ".txt":
            continue
        in_req_dir = len(p.parts) > 1 and p.parts[-2] in ("requirements", "reqs", "requirements-dev")
        name = p.name.lower()
        if not (name.replace("_", "-").startswith(("requirements", "test-requirements", "dev-requirements",
                                                    "tests-requirements")) or in_req_dir):
            continue
        if any(w in re.split(r"[-_./]", name) for w in TEST_WORDS) or (in_req_dir and any(w in name for w in TEST_WORDS)):
            found.append(path)
    rank = {w: i for i, w in enumerate(TEST_WORDS)}
    return sorted(found, key=lambda f: (min((rank[w] for w in TEST_WORDS if w in f.lower()), default=99), len(f)))


def base_requirement_files(files: list[str]) -> list[str]:
    return [f for f in files if f in ("requirements.txt", "requirements/base.txt", "requirements/main.txt")]
