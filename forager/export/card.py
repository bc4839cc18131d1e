"""The dataset card (README.md): a `configs` header that `datasets.load_dataset(DIR, FORMAT)`
reads, then what was kept, why, and the statistics."""

from __future__ import annotations

from collections import Counter

from forager.records.dataset import ExportManifest

FORMAT_NOTES = {
    "cwm": "`text`: the exact text the model saw (Llama-3 headers, CWM dialect); `segments`: that text cut "
           "into stretches with a `loss` flag (assistant turns always, observations at the observation loss rate).",
    "openai": "`messages`: OpenAI chat messages with `tool_calls` (arguments as JSON strings) and `tool` messages; "
              "`tools`: the tools' JSON schemas as a JSON string. For TRL's SFTTrainer: `json.loads` the tools.",
    "sharegpt": "`system` and `conversations` of {from, value}: human, gpt, observation.",
}


def render(m: ExportManifest) -> str:
    spec = m.spec
    lines = ["---", "configs:"]
    for i, fmt in enumerate(spec.formats):
        kind = "parquet" if "parquet" in spec.files else "jsonl"
        lines += [f"- config_name: {fmt}", *(["  default: true"] if i == 0 else []), "  data_files:"]
        for split in [s for s in spec.splits.fractions if m.split_counts.get(s)]:
            lines += [f"  - split: {split}", f"    path: {fmt}/{split}-{m.fingerprint}-*.{kind}"]
    lines += ["tags:", "- agentic", "- software-engineering", "- forager", "---", "",
              "# Forager trajectories", "",
              f"Exported by Forager {m.forager_version} from {len(m.inputs)} trajectory file(s). "
              f"`forager export --manifest manifest.json -o DIR` rebuilds these files byte for byte.", "",
              "## Load", "", "```python", "import datasets",
              f"ds = datasets.load_dataset(\"path/to/this/folder\", \"{spec.formats[0]}\")", "```", "",
              "## Formats", ""]
    lines += [f"- **{f}**: {FORMAT_NOTES[f]}" for f in spec.formats]
    lines += ["", "## What was kept and why", "", "| step | trajectories |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in m.counts.items()]
    lines += ["", f"Deduplication: exact over the agent's actions, then MinHash/LSH near-duplicates "
              f"(kept trajectories below {spec.dedupe.threshold} estimated Jaccard, {spec.dedupe.num_perm} permutations, "
              f"{spec.dedupe.shingle}-word shingles), then identical submitted patches. Kept member: {spec.dedupe.rule}. "
              f"`cluster_id` names each row's cluster.", "",
              f"Decontamination: block lists {', '.join(spec.decontamination.blocklists) or 'none'}, fork match "
              f"`{spec.decontamination.fork_match}`, {len(spec.decontamination.instance_ids)} blocked instance ids.", "",
              f"Splits by repository (seed {spec.splits.seed}): "
              + ", ".join(f"{s} {m.split_counts.get(s, 0)}" for s in spec.splits.fractions)
              + ". No repository is in two splits.", ""]
    kept = Counter(k.split for k in m.kept)
    sizes = Counter(k.cluster_size for k in m.kept)
    lines += ["## Statistics", "", "| split | rows |", "|---|---:|"] + [f"| {s} | {kept[s]} |" for s in spec.splits.fractions]
    lines += ["", "| cluster size | rows |", "|---:|---:|"] + [f"| {s} | {n} |" for s, n in sorted(sizes.items())]
    lines += ["", f"Secrets redacted: {sum(r.count for r in m.redactions)} in "
              f"{len({r.trajectory_id for r in m.redactions})} trajectories (see redactions.jsonl).",
              f"Input problems: {len(m.problems)} (listed in manifest.json).", ""]
    return "\n".join(lines)
