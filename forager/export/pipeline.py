"""`forager export`: two streaming passes over the input files.

Pass 1 reads every line, selects, decontaminates and feeds the deduplicator (a few hashes and a
MinHash signature per trajectory, the signatures in a file). Clustering and the repository
splits then decide which (file, line) pairs are kept. Pass 2 reads the files again, parses only
the kept lines, redacts, applies the length policy and writes each format's rows in shards.
Memory holds per-trajectory hashes and ids, never trajectories.
"""

from __future__ import annotations

import json
from collections import Counter as Tally
from pathlib import Path

from forager.errors import ForagerError
from forager.export import card, reader, splits
from forager.export.dedupe import Deduper, clusters
from forager.export.formats import cwm, openai, sharegpt
from forager.export.redact import redact
from forager.export.select import load_blocklist, operators_of, selection_drop
from forager.export.tokens import Counter, fit
from forager.export.writer import SplitWriter, sha256
from forager.hashing import digest
from forager.jsonio import read_model, write_atomic
from forager.records.dataset import CwmRow, ExportManifest, ExportSpec, KeptRow, OpenAIRow, ShareGPTRow
from forager.records.trajectory import Trajectory

MANIFEST = "manifest.json"


def _check_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        raise ForagerError(f"{out}: not empty; export writes a new dataset folder")
    out.mkdir(parents=True, exist_ok=True)


def export(inputs: list[Path], out: Path, spec: ExportSpec, *, say=lambda msg: None) -> ExportManifest:
    if not inputs:
        raise ForagerError("no trajectory files given")
    if spec.length.max_tokens and not spec.length.tokenizer:
        raise ForagerError("--max-tokens needs --tokenizer (a tokenizer.json)")
    infos = [reader.file_info(p) for p in inputs]
    counter = Counter(spec.length.tokenizer) if spec.length.tokenizer else None
    if counter:
        spec.length.tokenizer_sha256 = sha256(Path(spec.length.tokenizer))
    blocklist = load_blocklist(spec.decontamination)
    operators = operators_of(spec.tasks)
    _check_out(out)

    # Pass 1
    log = reader.ReadLog()
    drops: Tally = Tally()
    deduper = Deduper(spec.dedupe)
    locs: list[tuple[int, int]] = []
    counts: dict[str, int] = {}
    selected = read = 0
    try:
        for fi, n, t in reader.read_all(inputs, spec, log):
            read += 1
            why = selection_drop(t, spec.selection, operators)
            if why:
                drops[f"selection: {why}"] += 1
                continue
            selected += 1
            why = blocklist.drop(t)
            if why:
                drops[f"decontamination: {why}"] += 1
                continue
            deduper.add(t)
            locs.append((fi, n))
        counts.update({"lines": log.counts["lines"], "bad lines skipped": log.counts["bad"], "read": read,
                       "selected": selected, "decontaminated": len(locs)})
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
    kept = {locs[i]: i for i in result.kept}
    say(f"pass 1: {read} trajectories read, {len(kept)} kept after selection, decontamination and dedupe")

    # Pass 2
    tag = digest(spec.model_dump_json(), *(i.sha256 for i in infos))[:10]
    writers = {(f, s): SplitWriter(out, f, s, spec.files, spec.shard_rows, tag) for f in spec.formats for s in spec.splits.fractions}
    manifest = ExportManifest(fingerprint=tag, spec=spec, inputs=infos, counts=counts, problems=log.problems)
    split_counts: Tally = Tally()
    length_dropped = truncated_n = 0
    quiet = reader.ReadLog()
    for fi, path in enumerate(inputs):
        for n, line, complete in reader.raw_lines(path):
            i = kept.get((fi, n))
            if i is None:
                continue
            t = reader.parse(str(path), n, line, complete, spec, quiet)
            assert t is not None, "a line kept in pass 1 parses in pass 2"
            found = []
            if spec.redact:
                t, found = redact(t)
                manifest.redactions.extend(found)
            n_tokens, truncated = -1, False
            if counter:
                per = counter.per_piece(t.messages)
                n_tokens = sum(per)
                if spec.length.max_tokens and n_tokens > spec.length.max_tokens:
                    keep = fit(t.messages, per, spec.length.max_tokens) if spec.length.policy == "truncate" else 0
                    if not keep:
                        length_dropped += 1
                        continue
                    t = _truncate(t, keep)
                    n_tokens, truncated = sum(per[: keep + 1]), True
                    truncated_n += 1
            split = split_of_repo[deduper.items[i].repo]
            cluster_id, size = cl[i]
            common = dict(id=t.trajectory_id, instance_id=t.instance_id, repo=t.repo, variant=t.variant, policy=t.policy,
                          model=t.model, exit_status=t.exit_status.value, resolved=t.grading.resolved, reward=t.reward,
                          split=split, cluster_id=cluster_id, cluster_size=size, n_turns=len(t.turns), n_tokens=n_tokens,
                          truncated=truncated, redactions=sum(r.count for r in found))
            for f in spec.formats:
                writers[(f, split)].add(_row(f, t, common, spec).model_dump(by_alias=True))
            split_counts[split] += 1
            manifest.kept.append(KeptRow(id=t.trajectory_id, split=split, cluster_id=cluster_id, cluster_size=size))
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
    write_atomic(out / MANIFEST, json.dumps(manifest.model_dump(mode="json"), indent=2) + "\n")
    write_atomic(out / "README.md", card.render(manifest))
    if spec.save_to_disk:
        _save_to_disk(out, manifest)
    if not manifest.kept:
        say("no trajectory was kept: the dataset folder holds the manifest and the card only")
    return manifest


def _truncate(t: Trajectory, keep: int) -> Trajectory:
    msgs = t.messages[:keep]
    n_assistant = sum(1 for m in msgs if m.role == "assistant")
    return t.model_copy(update={"messages": msgs, "turns": t.turns[:n_assistant]})


def _row(fmt: str, t: Trajectory, common: dict, spec: ExportSpec):
    if fmt == "cwm":
        segs = cwm.segments(t.messages, t.trajectory_id, seed=spec.splits.seed, rate=spec.observation_loss_rate)
        return CwmRow(**common, text="".join(s.text for s in segs), segments=segs)
    if fmt == "openai":
        return OpenAIRow(**common, messages=openai.messages(t), tools=openai.TOOLS_JSON)
    system, conv = sharegpt.conversation(t)
    return ShareGPTRow(**common, system=system, conversations=conv)


def _save_to_disk(out: Path, manifest: ExportManifest) -> None:
    import datasets
    for fmt in manifest.spec.formats:
        prefix = f"{fmt}/{{}}-{manifest.fingerprint}-"
        files = {s: [str(out / o.path) for o in manifest.outputs if o.path.startswith(prefix.format(s)) and o.path.endswith(".parquet")]
                 for s in manifest.spec.splits.fractions}
        ds = datasets.load_dataset("parquet", data_files={s: f for s, f in files.items() if f})
        ds.save_to_disk(str(out / "hf" / fmt))


def rebuild(manifest_path: Path, out: Path, *, say=lambda msg: None) -> tuple[ExportManifest, list[str]]:
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
    new = export([Path(f.path) for f in old.inputs], out, old.spec.model_copy(deep=True), say=say)
    before = {o.path: o.sha256 for o in old.outputs}
    after = {o.path: o.sha256 for o in new.outputs}
    differ = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    return new, differ


def manifest_summary(m: ExportManifest) -> str:
    return json.dumps(m.counts, indent=1)
