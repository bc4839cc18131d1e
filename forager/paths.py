"""Where Forager keeps its caches (override with FORAGER_HOME) and finds its shipped files."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


def home() -> Path:
    p = Path(os.environ.get("FORAGER_HOME", Path.home() / ".cache" / "forager"))
    p.mkdir(parents=True, exist_ok=True)
    return p


def cache(name: str) -> Path:
    p = home() / name
    p.mkdir(parents=True, exist_ok=True)
    return p


def dockerfile(name: str) -> str:
    """A Dockerfile template from dockerfiles/ (the project's top level)."""
    return (PROJECT_DIR / "dockerfiles" / name).read_text()
