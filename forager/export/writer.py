"""Sharded Parquet (explicit schema) and JSONL files, one set per format and split.

Layout: DIR/<format>/<split>-<fingerprint>-NNNNN-of-MMMMM.{parquet,jsonl}; shards are named when
the split is complete, so the names carry the shard count. The fingerprint (spec and inputs) is
in the card's data_files patterns too: `datasets` caches a local folder by its name and those
patterns, so without it a new export into a folder of the same name would load stale rows.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from forager.export.schema import row_schema
from forager.records.dataset import OutputFile


class SplitWriter:
    def __init__(self, root: Path, fmt: str, split: str, kinds: list[str], shard_rows: int, tag: str):
        self.dir = root / fmt
        self.dir.mkdir(parents=True, exist_ok=True)
        self.fmt, self.split, self.kinds, self.shard_rows, self.tag = fmt, split, kinds, shard_rows, tag
        self.schema = row_schema(fmt)
        self.rows: list[dict] = []
        self.shards: list[tuple[Path, int]] = []  # temporary names, rows

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.shard_rows:
            self._flush()

    def _flush(self) -> None:
        if not self.rows:
            return  # an empty split gets no files (an empty Parquet file does not load)
        n = len(self.shards)
        base = self.dir / f".{self.split}-{n:05d}"
        if "parquet" in self.kinds:
            table = pa.Table.from_pylist(self.rows, schema=self.schema)
            pq.write_table(table, base.with_suffix(".parquet"), compression="zstd", row_group_size=1000)
        if "jsonl" in self.kinds:
            with base.with_suffix(".jsonl").open("w") as fh:
                for r in self.rows:
                    fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        self.shards.append((base, len(self.rows)))
        self.rows = []

    def close(self) -> list[OutputFile]:
        self._flush()
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
