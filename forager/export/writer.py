"""Sharded Parquet (explicit schema) and JSONL files, one set per format and split.

Layout: DIR/<format>/<split>-<fingerprint>-NNNNN-of-MMMMM.{parquet,jsonl}; shards are named when
the split is complete, so the names carry the shard count. The fingerprint (spec and inputs) is
in the card's data_files patterns too: `datasets` caches a local folder by its name and those
patterns, so without it a new export into a folder of the same name would load stale rows.
"""

from __future__ import annotations

import hashlib
import json
import shutil
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
    """Arrow checks each value against the schema."""
    batch = pa.RecordBatch.from_pylist(rows, schema=row_schema(fmt)) if "parquet" in kinds else None
    jsonl = [json.dumps(r, ensure_ascii=False) + "\n" for r in rows] if "jsonl" in kinds else None
    return Encoded(len(rows), batch, jsonl)


# --- the spool: candidate rows whose split and cluster are not decided yet ------------------------

PENDING_SPLIT = PENDING_CLUSTER = ""
PLACED = ("split", "cluster_id", "cluster_size")  # in this order, between "reward" and "n_turns"
_JSONL = [pa.field("__jsonl_head", pa.string(), nullable=False), pa.field("__jsonl_tail", pa.string(), nullable=False)]


def spool_schema(fmt: str, kinds: list[str]) -> pa.Schema:
    s = row_schema(fmt)
    return pa.schema(list(s) + _JSONL) if "jsonl" in kinds else s


def encode_spool(fmt: str, rows: list[dict], kinds: list[str]) -> pa.RecordBatch:
    """Rows (made in a worker) for the spool: an Arrow batch (explicit schema: Arrow checks every value)
    and, for JSONL, each row's JSON text around the three columns decided later."""
    if "jsonl" in kinds:
        for r in rows:
            text = json.dumps({k: v for k, v in r.items() if k not in PLACED}, ensure_ascii=False)
            # No string value can hold this sequence unescaped, so the first match is the key itself.
            cut = text.index(', "n_turns": ')
            r["__jsonl_head"], r["__jsonl_tail"] = text[:cut], text[cut:]
    return pa.RecordBatch.from_pylist(rows, schema=spool_schema(fmt, kinds))


class Spool:
    """One Arrow IPC stream per format, appended chunk by chunk in input order; read back once."""

    def __init__(self, folder: Path, spec):
        self.folder, self.kinds = folder, spec.files
        folder.mkdir(parents=True, exist_ok=True)
        self.writers = {f: pa.ipc.new_stream(str(folder / f"{f}.arrows"), spool_schema(f, spec.files)) for f in spec.formats}
        self.rows = 0

    def add(self, batches: dict[str, pa.RecordBatch]) -> None:
        n = {b.num_rows for b in batches.values()}
        assert len(n) == 1, "every format has the same rows"
        for f, b in batches.items():
            if b.num_rows:
                self.writers[f].write_batch(b)
        self.rows += n.pop()

    def close(self) -> None:
        for w in self.writers.values():
            w.close()
        self.writers = {}

    def placed(self, fmt: str, place: dict[int, tuple[str, str, int]]):
        """(split, Encoded) for the rows in `place` (spool row -> split, cluster id, cluster size), in row order."""
        schema = row_schema(fmt)
        fields = {name: schema.field(name) for name in PLACED}
        offset = 0
        with pa.OSFile(str(self.folder / f"{fmt}.arrows")) as fh:
            for batch in pa.ipc.open_stream(fh):
                take = [i for i in range(batch.num_rows) if offset + i in place]
                where = [place[offset + i] for i in take]
                offset += batch.num_rows
                if not take:
                    continue
                t = pa.Table.from_batches([batch]).take(take)
                for k, name in enumerate(PLACED):
                    t = t.set_column(t.schema.get_field_index(name), fields[name], pa.array([w[k] for w in where], fields[name].type))
                for split in dict.fromkeys(w[0] for w in where):
                    rows = [j for j, w in enumerate(where) if w[0] == split]
                    part = t.take(rows)
                    jsonl = None
                    if "jsonl" in self.kinds:
                        jsonl = [f'{h}, "split": {json.dumps(split, ensure_ascii=False)}, "cluster_id": '
                                 f'{json.dumps(where[j][1], ensure_ascii=False)}, "cluster_size": {where[j][2]}{tl}\n'
                                 for j, h, tl in zip(rows, part.column("__jsonl_head").to_pylist(), part.column("__jsonl_tail").to_pylist())]
                    batch_out = None
                    if "parquet" in self.kinds:
                        batch_out = part.select(schema.names).cast(schema).combine_chunks().to_batches()[0]
                    yield split, Encoded(len(rows), batch_out, jsonl)

    def remove(self) -> None:
        self.close()
        shutil.rmtree(self.folder, ignore_errors=True)


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
