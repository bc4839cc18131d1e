"""Content hashes for image tags: same inputs, same tag, so an unchanged build is a no-op."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

# Build droppings that never belong in an image's inputs.
IGNORED = {".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".venv", ".tox", ".eggs"}


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        b = p.encode() if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "big"))
        h.update(b)
    return h.hexdigest()


def tree_files(root: Path) -> list[Path]:
    """Files under root in a stable order, skipping caches and build output."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED and not d.endswith(".egg-info"))
        out.extend(Path(dirpath) / f for f in sorted(filenames) if not f.endswith(".pyc"))
    return out


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in tree_files(root):
        rel = f.relative_to(root).as_posix()
        h.update(rel.encode() + b"\0")
        h.update(f.read_bytes() if not f.is_symlink() else os.readlink(f).encode())
        h.update(b"\0" + (b"x" if os.access(f, os.X_OK) else b"-"))
    return h.hexdigest()
