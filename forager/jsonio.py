"""Atomic file writes and append-only JSONL, so a crash never leaves a half-written record."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Iterator, TypeVar

from pydantic import BaseModel, ValidationError

from forager.errors import ForagerError

M = TypeVar("M", bound=BaseModel)
_append_lock = threading.Lock()


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append_line(path: Path, model: BaseModel) -> None:
    """Append one JSON line with a single write, fsynced, so lines never interleave or tear."""
    data = (model.model_dump_json() + "\n").encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _append_lock:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)


def read_lines(path: Path, model: type[M], *, skip_torn_tail: bool = True) -> Iterator[M]:
    """Models from a JSONL file; a torn last line (crash mid-write) is skipped, others are errors."""
    if not path.exists():
        return
    lines = path.read_text().splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield model.model_validate_json(line)
        except ValidationError as exc:
            if skip_torn_tail and n == len(lines) and not path.read_bytes().endswith(b"\n"):
                return
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ForagerError(f"{path}:{n}: not a valid {model.__name__} ({where}: {first['msg']})") from None


def read_model(path: Path, model: type[M]) -> M:
    try:
        return model.model_validate_json(path.read_text())
    except FileNotFoundError:
        raise ForagerError(f"{path}: no such file") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ForagerError(f"{path}: not a valid {model.__name__} ({where}: {first['msg']})") from None


def dump_json(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True) + "\n"
