"""Sharded Parquet (explicit schema) and JSONL files, one set per format and split.

Layout: DIR/<format>/<split>-<fingerprint>-NNNNN-of-MMMMM.{parquet,jsonl}; shards are named when
the split is complete, so the names carry the shard count. The fingerprint (spec and inputs) is
in the card's data_files patterns too: `datasets` caches a local folder by its name and those
patterns, so without it a new export into a folder of the same name would load stale rows.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from forager.export.schema import row_schema
from forager.records.dataset import OutputFile


@dataclass
class Encoded:
    """Rows of one format and split, ready to write: an Arrow batch (explicit schema) and/or JSONL lines."""

    rows: int
    batch: pa.RecordBatch | None
    jsonl: list[str] | None


def encode_rows(fmt: str, rows: list[dict], kinds: list[str]) -> Encoded:
    """Done where the rows are made (a worker process); Arrow checks each value against the schema."""
    batch = pa.RecordBatch.from_pylist(rows, schema=row_schema(fmt)) if "parquet" in kinds else None
    jsonl = [json.dumps(r, ensure_ascii=False) + "\n" for r in rows] if "jsonl" in kinds else None
    return Encoded(len(rows), batch, jsonl)


class SplitWriter:
    def __init__(self, root: Path, fmt: str, split: str, kinds: list[str], shard_rows: int, tag: str):
        self.dir = root / fmt
        self.dir.mkdir(parents=True, exist_ok=True)
        self.fmt, self.split, self.kinds, self.shard_rows, self.tag = fmt, split, kinds, shard_rows, tag
        self.schema = row_schema(fmt)
        self.batches: list[pa.RecordBatch] = []
        self.lines: list[str] = []
        self.n = 0  # rows waiting
        self.shards: list[tuple[Path, int]] = []  # temporary names, rows

    def add(self, row: dict) -> None:
        self.add_encoded(encode_rows(self.fmt, [row], self.kinds))

    def add_encoded(self, e: Encoded) -> None:
        if e.batch is not None:
            self.batches.append(e.batch)
        if e.jsonl is not None:
            self.lines.extend(e.jsonl)
        self.n += e.rows
        while self.n >= self.shard_rows:
            self._flush(self.shard_rows)

    def _flush(self, rows: int) -> None:
        """Write the first `rows` waiting rows as one shard."""
        if not rows:
            return  # an empty split gets no files (an empty Parquet file does not load)
        base = self.dir / f".{self.split}-{len(self.shards):05d}"
        if "parquet" in self.kinds:
            table = pa.Table.from_batches(self.batches, schema=self.schema)
            # One contiguous chunk per shard: the file's bytes do not depend on how rows arrived.
            pq.write_table(table.slice(0, rows).combine_chunks(), base.with_suffix(".parquet"), compression="zstd",
                           row_group_size=1000)
            rest = table.slice(rows)
            self.batches = rest.combine_chunks().to_batches() if rest.num_rows else []
        if "jsonl" in self.kinds:
            with base.with_suffix(".jsonl").open("w") as fh:
                fh.writelines(self.lines[:rows])
            del self.lines[:rows]
        self.shards.append((base, rows))
        self.n -= rows

    def close(self) -> list[OutputFile]:
        self._flush(self.n)
        total, out = len(self.shards), []
        for i, (base, rows) in enumerate(self.shards):
            for kind in self.kinds:
                src = base.with_suffix(f".{kind}")
                dst = self.dir / f"{self.split}-{self.tag}-{i:05d}-of-{total:05d}.{kind}"
                src.replace(dst)
                out.append(OutputFile(path=str(dst.relative_to(self.dir.parent)), sha256=sha256(dst), rows=rows))
        return out


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
