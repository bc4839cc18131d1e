"""`forager export`: two streaming passes over the input files.

Pass 1 reads every line, selects, decontaminates and feeds the deduplicator (a few hashes and a
MinHash signature per trajectory, the signatures in a file). Clustering and the repository
splits then decide which (file, line) pairs are kept. Pass 2 reads the files again, parses only
the kept lines, redacts, applies the length policy and writes each format's rows in shards.
Memory holds per-trajectory hashes and ids, never trajectories.
"""

from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
from collections import Counter as Tally
from contextlib import contextmanager
from pathlib import Path

from forager.errors import ForagerError
from forager.export import card, reader, splits
from forager.export.dedupe import Deduper, clusters
from forager.export.formats import cwm, openai, sharegpt
from forager.export.parallel import Workers, default_workers
from forager.export.redact import may_hold_secrets, redact
from forager.export.select import load_blocklist, operators_of, selection_drop
from forager.export.tokens import Counter, fit
from forager.export.writer import SplitWriter, encode_rows, sha256
from forager.hashing import digest
from forager.jsonio import read_model, write_atomic
from forager.records.dataset import CwmRow, ExportManifest, ExportSpec, InputFile, KeptRow, OpenAIRow, Problem, ShareGPTRow
from forager.records.trajectory import Trajectory

MANIFEST = "manifest.json"


def _check_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        raise ForagerError(f"{out}: not empty; export writes a new dataset folder")
    out.mkdir(parents=True, exist_ok=True)


def export(inputs: list[Path], out: Path, spec: ExportSpec, *, say=lambda msg: None, workers: int = 0) -> ExportManifest:
    """`workers`: processes for the per-line work (0: one per CPU); the output is the same with any number."""
    if not inputs:
        raise ForagerError("no trajectory files given")
    if not spec.formats or not spec.files:
        raise ForagerError("give at least one format (--format cwm,openai,sharegpt) and one file kind (--files parquet,jsonl)")
    if spec.length.max_tokens and not spec.length.tokenizer:
        raise ForagerError("--max-tokens needs --tokenizer (a tokenizer.json)")
    for p in inputs:
        reader.require_file(p)
    if spec.length.tokenizer:
        Counter(spec.length.tokenizer)  # a bad tokenizer file fails here, in one line, not in a worker
        spec.length.tokenizer_sha256 = sha256(Path(spec.length.tokenizer))
    blocklist = load_blocklist(spec.decontamination)
    operators = operators_of(spec.tasks)
    names = source_names(inputs)
    _check_out(out)
    with no_cyclic_gc(), Workers(workers or default_workers(), _init_worker, (spec, blocklist, operators)) as pool:
        return _export(inputs, names, out, spec, pool, say)


@contextmanager
def no_cyclic_gc():
    """The cyclic garbage collector off while the export runs: it found nothing to free here (the
    records hold no reference cycles; memory stayed the same without it) but cost about a third of
    the CPU time, walking the hundreds of thousands of small objects dedupe keeps, again and again.
    Reference counting still frees everything; one full collection runs at the end."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        gc.collect()


def source_names(inputs: list[Path]) -> list[str]:
    """How rows name their input file: its name, or its whole path when two inputs share a name."""
    base = [p.name for p in inputs]
    return [b if base.count(b) == 1 else str(p) for b, p in zip(base, inputs)]


def _export(inputs: list[Path], names: list[str], out: Path, spec: ExportSpec, pool: Workers, say) -> ExportManifest:
    # Pass 1
    log = reader.ReadLog()
    drops: Tally = Tally()
    deduper = Deduper(spec.dedupe)
    locs: list[tuple[int, int]] = []
    first_seen: dict[str, tuple[int, int]] = {}  # trajectory_id -> (file index, line) of its first good line
    repeated_ids: set[str] = set()  # trajectory_ids that more than one good line has
    counts: dict[str, int] = {}
    selected = read = repeated_lines = 0
    infos: list = []  # each input's hash and line count, taken as pass 1 reads it
    blocks: list[tuple[int, reader.Block]] = []
    loc_block: list[int] = []  # per selected item: the index of its block
    try:
        for bi, fi, results, chunk_log in pool.map(_pass1, _pass1_blocks(inputs, infos, blocks)):
            log.merge(chunk_log)
            for n, tid, outcome in results:
                if tid is None:
                    continue  # a bad line: its problem is in the log
                read += 1
                seen = first_seen.setdefault(tid, (fi, n))
                if seen != (fi, n):
                    repeated_lines += 1
                    repeated_ids.add(tid)
                    log.problems.append(Problem(file=str(inputs[fi]), line=n, kind="repeated id",
                                                message=f"trajectory_id {tid!r} is also at {inputs[seen[0]]}:{seen[1]}; rows name "
                                                        "their source file and line", action="kept"))
                if isinstance(outcome, str):
                    if outcome.startswith("selection: "):
                        drops[outcome] += 1
                    else:
                        selected += 1
                        drops[outcome] += 1
                    continue
                selected += 1
                deduper.add_item(*outcome)
                locs.append((fi, n))
                loc_block.append(bi)
        counts.update({"lines": log.counts["lines"], "bad lines skipped": log.counts["bad"], "read": read,
                       "repeated ids": repeated_lines, "selected": selected, "decontaminated": len(locs)})
        result = deduper.run()
    finally:
        deduper.close()
    left = len(locs)
    for step in ("exact duplicates", "near duplicates", "duplicate patches"):
        left -= result.counts[step]
        counts[f"after {step}"] = left
    cl = clusters(result, deduper.items)
    repo_counts = Tally(deduper.items[i].repo for i in result.kept)
    split_of_repo = splits.assign(repo_counts, spec.splits.fractions, spec.splits.seed) if repo_counts else {}
    kept: dict[int, dict[int, tuple[str, str, int]]] = {}  # block index -> line -> (split, cluster id, size)
    for i in result.kept:
        cid, size = cl[i]  # the cluster's kept member is i itself
        if cid in repeated_ids:  # a trajectory_id two input lines share: the cluster id names the source too
            cid = f"{cid}@{names[locs[i][0]]}:{locs[i][1]}"
        kept.setdefault(loc_block[i], {})[locs[i][1]] = (split_of_repo[deduper.items[i].repo], cid, size)
    say(f"pass 1: {read} trajectories read, {len(result.kept)} kept after selection, decontamination and dedupe")

    # Pass 2
    tag = digest(spec.model_dump_json(), *(i.sha256 for i in infos))[:10]
    writers = {(f, s): SplitWriter(out, f, s, spec.files, spec.shard_rows, tag) for f in spec.formats for s in spec.splits.fractions}
    manifest = ExportManifest(fingerprint=tag, spec=spec, inputs=infos, counts=counts, problems=log.problems)
    split_counts: Tally = Tally()
    length_dropped = truncated_n = 0
    for results, batches in pool.map(_pass2, _pass2_blocks(inputs, names, blocks, kept)):
        for fi, n, split, cluster_id, size, tid, found, written, truncated in results:
            if not written:
                length_dropped += 1
                continue
            manifest.redactions.extend(found)
            truncated_n += truncated
            split_counts[split] += 1
            manifest.kept.append(KeptRow(id=tid, split=split, cluster_id=cluster_id, cluster_size=size, file=str(inputs[fi]), line=n))
        for key, encoded in batches.items():
            writers[key].add_encoded(encoded)
    counts["dropped for length"] = length_dropped
    counts["truncated to fit"] = truncated_n
    counts["written"] = sum(split_counts.values())
    for k, v in sorted(drops.items()):
        counts[f"dropped by {k}"] = v
    for k in ("ungraded", "other_version"):
        counts[f"input lines {k.replace('_', ' ')}"] = log.counts[k]
    manifest.counts = counts
    manifest.split_counts = {s: split_counts[s] for s in spec.splits.fractions}
    for w in writers.values():
        manifest.outputs.extend(w.close())
    if spec.redact:
        write_atomic(out / "redactions.jsonl", "".join(r.model_dump_json() + "\n" for r in manifest.redactions))
    # Not key-sorted: the order of the split fractions is part of the spec.
    write_atomic(out / MANIFEST, manifest.model_dump_json(indent=2) + "\n")  # pydantic's serializer: 100 k kept rows in ~0.1 s
    write_atomic(out / "README.md", card.render(manifest))
    if spec.save_to_disk:
        _save_to_disk(out, manifest)
    if not manifest.kept:
        say("no trajectory was kept: the dataset folder holds the manifest and the card only")
    return manifest


def _pass1_blocks(inputs: list[Path], infos: list, blocks: list):
    """(block index, file index, path, block) for every block of every input; each file is hashed as its
    blocks are cut (one read in this process; the workers read the lines themselves), its InputFile
    appended to `infos` and its blocks to `blocks` (pass 2 goes back to the blocks that hold kept lines)."""
    for fi, path in enumerate(inputs):
        h, lines = hashlib.sha256(), 0
        for block in reader.file_blocks(path, h):
            lines += block.newlines
            blocks.append((fi, block))
            yield len(blocks) - 1, fi, str(path), block
        infos.append(InputFile(path=str(path), sha256=h.hexdigest(), lines=lines))


def _pass2_blocks(inputs: list[Path], names: list[str], blocks: list, kept: dict):
    """(file index, source name, path, block, {line: (split, cluster id, size)}) for each block with kept lines, in order."""
    for bi in sorted(kept):
        fi, block = blocks[bi]
        yield fi, names[fi], str(inputs[fi]), block, kept[bi]


# --- per-line work, in the worker processes ------------------------------------------------------

_W: dict = {}


def _init_worker(spec: ExportSpec, blocklist, operators: dict[str, str]) -> None:
    if multiprocessing.parent_process() is not None:
        gc.disable()  # a worker process lives for one export (see no_cyclic_gc)
    _W.clear()
    _W.update(spec=spec, blocklist=blocklist, operators=operators, deduper=Deduper(spec.dedupe, files=False),
              counter=Counter(spec.length.tokenizer) if spec.length.tokenizer else None)


def _pass1(chunk) -> tuple[int, int, list, reader.ReadLog]:
    """Per line of a block: (line, trajectory_id or None for a bad line, drop reason or (dedupe item, signature))."""
    bi, fi, path, block = chunk
    spec, log, out = _W["spec"], reader.ReadLog(), []
    for n, line, complete in reader.block_lines(Path(path), block):
        log.counts["lines"] += 1
        t = reader.parse(path, n, line, complete, spec, log)
        if t is None:
            out.append((n, None, None))
            continue
        why = selection_drop(t, spec.selection, _W["operators"], where=f"{path}:{n}")
        if why:
            out.append((n, t.trajectory_id, f"selection: {why}"))
            continue
        why = _W["blocklist"].drop(t)
        if why:
            out.append((n, t.trajectory_id, f"decontamination: {why}"))
            continue
        out.append((n, t.trajectory_id, _W["deduper"].fingerprint(t)))
    return bi, fi, out, log


def _pass2(chunk) -> tuple[list, dict]:
    """Per kept line: (file index, line, split, cluster id, cluster size, trajectory_id, redactions, written,
    truncated); and the chunk's rows encoded per (format, split), in line order."""
    fi, name, path, block, wanted = chunk
    spec, counter, out = _W["spec"], _W["counter"], []
    rows: dict[tuple[str, str], list[dict]] = {}
    quiet = reader.ReadLog()
    lines = [(n, line, complete) for n, line, complete in reader.block_lines(Path(path), block) if n in wanted]
    parsed = [reader.parse(name, n, line, complete, spec, quiet) for n, line, complete in lines]
    assert None not in parsed and len(lines) == len(wanted), "a line kept in pass 1 parses in pass 2"
    suspect = may_hold_secrets(parsed) if spec.redact else [False] * len(parsed)
    for (n, _, _), t, check in zip(lines, parsed, suspect):
        split, cluster_id, size = wanted[n]
        found = []
        if check:
            t, found = redact(t)
        n_tokens, truncated = -1, False
        if counter:
            per = counter.per_piece(t.messages)
            n_tokens = sum(per)
            if spec.length.max_tokens and n_tokens > spec.length.max_tokens:
                keep = fit(t.messages, per, spec.length.max_tokens) if spec.length.policy == "truncate" else 0
                if not keep:
                    out.append((fi, n, split, cluster_id, size, t.trajectory_id, [], False, False))
                    continue
                t = _truncate(t, keep)
                n_tokens, truncated = sum(per[: keep + 1]), True
        common = dict(id=t.trajectory_id, instance_id=t.instance_id, repo=t.repo, variant=t.variant, policy=t.policy,
                      model=t.model, exit_status=t.exit_status.value, resolved=t.grading.resolved, reward=t.reward,
                      split=split, cluster_id=cluster_id, cluster_size=size, n_turns=len(t.turns), n_tokens=n_tokens,
                      truncated=truncated, redactions=sum(r.count for r in found), source=f"{name}:{n}")
        for f in spec.formats:
            rows.setdefault((f, split), []).append(_row(f, t, common, spec))
        out.append((fi, n, split, cluster_id, size, t.trajectory_id, found, True, truncated))
    return out, {key: encode_rows(key[0], r, spec.files) for key, r in rows.items()}


def _truncate(t: Trajectory, keep: int) -> Trajectory:
    msgs = t.messages[:keep]
    n_assistant = sum(1 for m in msgs if m.role == "assistant")
    return t.model_copy(update={"messages": msgs, "turns": t.turns[:n_assistant]})


def _row(fmt: str, t: Trajectory, common: dict, spec: ExportSpec) -> dict:
    """One row as a dict, validated once, whole, by its pydantic row model."""
    if fmt == "cwm":
        segs = cwm.segments(t.messages, t.trajectory_id, seed=spec.splits.seed, rate=spec.observation_loss_rate)
        row = CwmRow(**common, text="".join(s.text for s in segs), segments=segs)
    elif fmt == "openai":
        row = OpenAIRow.model_validate({**common, "messages": openai.messages(t), "tools": openai.TOOLS_JSON})
    else:
        system, conv = sharegpt.conversation(t)
        row = ShareGPTRow.model_validate({**common, "system": system, "conversations": conv})
    return row.model_dump(by_alias=True)


def _save_to_disk(out: Path, manifest: ExportManifest) -> None:
    import datasets
    for fmt in manifest.spec.formats:
        prefix = f"{fmt}/{{}}-{manifest.fingerprint}-"
        files = {s: [str(out / o.path) for o in manifest.outputs if o.path.startswith(prefix.format(s)) and o.path.endswith(".parquet")]
                 for s in manifest.spec.splits.fractions}
        ds = datasets.load_dataset("parquet", data_files={s: f for s, f in files.items() if f})
        ds.save_to_disk(str(out / "hf" / fmt))


def rebuild(manifest_path: Path, out: Path, *, say=lambda msg: None, workers: int = 0) -> tuple[ExportManifest, list[str]]:
    """Run the export a manifest describes; returns the new manifest and the outputs that differ."""
    old = read_model(manifest_path, ExportManifest)
    for f in old.inputs:
        p = Path(f.path)
        if not p.is_file():
            raise ForagerError(f"{manifest_path}: input {p} is gone")
        if reader.file_info(p).sha256 != f.sha256:
            raise ForagerError(f"{manifest_path}: input {p} changed since the export (sha256 differs)")
    if old.spec.length.tokenizer and sha256(Path(old.spec.length.tokenizer)) != old.spec.length.tokenizer_sha256:
        raise ForagerError(f"{manifest_path}: tokenizer {old.spec.length.tokenizer} changed since the export")
    new = export([Path(f.path) for f in old.inputs], out, old.spec.model_copy(deep=True), say=say, workers=workers)
    before = {o.path: o.sha256 for o in old.outputs}
    after = {o.path: o.sha256 for o in new.outputs}
    differ = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    return new, differ


def manifest_summary(m: ExportManifest) -> str:
    return json.dumps(m.counts, indent=1)
