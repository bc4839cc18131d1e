"""Stream trajectory lines with their file and line number; every bad line becomes a Problem.

A line is bad when it is not JSON (a writer that crashed mid-line leaves a cut-off last line),
when it is not a valid Trajectory, when it has no grading, or when another Forager version wrote
it. Each is reported as `file:line: kind: message (action)`, skipped or kept as the spec says,
and counted in the manifest; nothing is dropped silently and nothing raises a traceback.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from forager import __version__
from forager.errors import ForagerError
from forager.records.dataset import ExportSpec, InputFile, Problem
from forager.records.trajectory import Grading, Trajectory

UNGRADED = Grading(resolved=False, applied=False, error="no grading in the input line (kept as unresolved)")


@dataclass
class ReadLog:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"lines": 0, "bad": 0, "ungraded": 0, "other_version": 0})

    def merge(self, other: ReadLog) -> None:
        """Add a later stretch of lines (read elsewhere, e.g. in a worker process)."""
        self.problems.extend(other.problems)
        for k, v in other.counts.items():
            self.counts[k] += v


def require_file(path: Path) -> None:
    if not path.is_file():
        raise ForagerError(f"{path}: no such trajectory file")


def file_info(path: Path) -> InputFile:
    require_file(path)
    h = hashlib.sha256()
    lines = sum(b.newlines for b in file_blocks(path, h))
    return InputFile(path=str(path), sha256=h.hexdigest(), lines=lines)


BLOCK_BYTES = 1 << 20


@dataclass(frozen=True)
class Block:
    """Whole lines of a file: `length` bytes from `offset`, the first being line `first_line`.
    Worker processes read their block themselves, so lines never travel through a pipe."""
    offset: int
    length: int
    first_line: int
    newlines: int


def file_blocks(path: Path, hasher=None, size: int = BLOCK_BYTES) -> Iterator[Block]:
    """The file cut into blocks of about `size` bytes at line ends; `hasher` sees every byte once."""
    start = pos = newlines = 0  # newlines: in [start, pos)
    first = 1
    with path.open("rb", buffering=0) as fh:
        while chunk := fh.read(size):
            if hasher is not None:
                hasher.update(chunk)
            cut = chunk.rfind(b"\n")
            if cut >= 0 and pos + cut + 1 - start >= size:
                in_block = newlines + chunk.count(b"\n", 0, cut + 1)
                yield Block(start, pos + cut + 1 - start, first, in_block)
                first, start, newlines = first + in_block, pos + cut + 1, 0  # nothing after the last newline
            else:
                newlines += chunk.count(b"\n")
            pos += len(chunk)
    if pos > start:
        yield Block(start, pos - start, first, newlines)


def block_lines(path: Path, block: Block) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, bytes, complete) for each non-blank line of the block; complete is False for a
    cut-off tail (a line without its newline at the end of the file)."""
    with path.open("rb", buffering=0) as fh:
        fh.seek(block.offset)
        data = fh.read(block.length)
    pieces = data.split(b"\n")
    last = len(pieces) - 1  # after the final newline: b"", or a tail without one
    for i, piece in enumerate(pieces):
        if piece and not piece.isspace():
            yield block.first_line + i, piece, i < last


def raw_lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, bytes, complete) for each non-blank line; complete is False for a cut-off tail."""
    for block in file_blocks(path):
        yield from block_lines(path, block)


def parse(path: str, n: int, line: bytes, complete: bool, spec: ExportSpec, log: ReadLog) -> Trajectory | None:
    """The line as a Trajectory, or None (with a Problem logged) when it is skipped."""

    def problem(kind: str, message: str, action: str = "skipped") -> None:
        log.problems.append(Problem(file=path, line=n, kind=kind, message=message, action=action))
        if action == "skipped":
            log.counts["bad"] += 1
        if spec.on_bad == "fail" and action == "skipped":
            raise ForagerError(str(log.problems[-1]) + "; rerun with --on-bad skip to leave such lines out")

    # Fast path: a valid line of this version is one pydantic call.
    try:
        t = Trajectory.model_validate_json(line)
        if t.forager_version == __version__:
            return t
    except ValidationError:
        pass
    try:
        data = json.loads(line)
    except ValueError as exc:
        kind = "cut-off line" if not complete else "malformed JSON"
        problem(kind, f"{exc.msg} at column {exc.colno}" if hasattr(exc, "msg") else str(exc))
        return None
    if not isinstance(data, dict):
        problem("malformed JSON", "not a JSON object")
        return None
    version = data.get("forager_version")
    if version != __version__:
        log.counts["other_version"] += 1
        if spec.other_versions == "skip":
            problem("other version", f"written by Forager {version!r}, this is {__version__}")
            return None
        problem("other version", f"written by Forager {version!r}, this is {__version__}", action="kept")
    if data.get("grading") is None and "trajectory_id" in data:
        log.counts["ungraded"] += 1
        if spec.ungraded == "skip":
            problem("ungraded", "no grading (rerun with --ungraded keep to keep it as unresolved)")
            return None
        problem("ungraded", "no grading: kept as unresolved, reward 0", action="kept")
        data["grading"] = UNGRADED.model_dump()
        data.setdefault("reward", 0.0)
    try:
        return Trajectory.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        problem("not a trajectory", f"{where}: {first['msg']}")
        return None


def read_all(paths: list[Path], spec: ExportSpec, log: ReadLog) -> Iterator[tuple[int, int, Trajectory]]:
    """(file index, line number, trajectory) for every good line of every file, in order."""
    for i, path in enumerate(paths):
        for n, line, complete in raw_lines(path):
            log.counts["lines"] += 1
            t = parse(str(path), n, line, complete, spec, log)
            if t is not None:
                yield i, n, t
