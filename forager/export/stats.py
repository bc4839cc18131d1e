"""`forager stats`: tables and PNG plots of trajectory files (streamed, bad lines reported)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from forager.export import reader
from forager.export.select import operators_of, recorded_tokens
from forager.records.dataset import ExportSpec


def collect(paths: list[Path], tasks: list[str] | None = None) -> dict:
    spec = ExportSpec(ungraded="keep", on_bad="skip")
    log = reader.ReadLog()
    ops = operators_of(tasks or [])
    status: Counter = Counter()
    by: dict[str, dict[str, list[int]]] = {k: defaultdict(lambda: [0, 0]) for k in ("repo", "operator", "turns")}
    tokens: list[int] = []
    time = Counter()
    n = 0
    for _, _, t in reader.read_all(paths, spec, log):
        n += 1
        status[t.exit_status.value] += 1
        turns = len(t.turns)
        bucket = f"{(turns // 10) * 10}-{(turns // 10) * 10 + 9}" if turns >= 10 else str(turns)
        for key, value in (("repo", t.repo), ("operator", t.operator or ops.get(t.instance_id) or t.variant), ("turns", bucket)):
            by[key][value][0] += 1
            by[key][value][1] += int(t.grading.resolved)
        tokens.append(recorded_tokens(t))
        for k in ("start_state", "model", "tools", "grading"):
            time[k] += getattr(t.timings, k)
    return {"trajectories": n, "exit_status": dict(status.most_common()),
            "resolve_rate": {k: {v: {"episodes": c[0], "resolved": c[1], "rate": round(c[1] / c[0], 4)}
                                 for v, c in sorted(d.items())} for k, d in by.items()},
            "tokens": tokens, "seconds": {k: round(v, 3) for k, v in time.items()},
            "problems": [str(p) for p in log.problems]}


def plot(stats: dict, out: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    made = []

    def save(fig, name):
        p = out / name
        fig.tight_layout()
        fig.savefig(p, dpi=100)
        plt.close(fig)
        made.append(p)

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(list(stats["exit_status"]), list(stats["exit_status"].values()))
    ax.set_title("exit status")
    ax.tick_params(axis="x", rotation=30)
    save(fig, "exit_status.png")
    for key in ("repo", "operator", "turns"):
        d = stats["resolve_rate"][key]
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.bar(list(d), [v["rate"] for v in d.values()])
        ax.set_ylim(0, 1)
        ax.set_title(f"resolve rate by {key}")
        ax.tick_params(axis="x", rotation=30)
        save(fig, f"resolve_by_{key}.png")
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist(stats["tokens"] or [0], bins=30)
    ax.set_title("tokens per episode (recorded)")
    save(fig, "tokens.png")
    fig, ax = plt.subplots(figsize=(7, 4))
    secs = stats["seconds"]
    ax.pie([max(v, 0) for v in secs.values()] if sum(secs.values()) else [1], labels=list(secs) if sum(secs.values()) else ["none"],
           autopct="%1.0f%%")
    ax.set_title("time: start state, model, tools, grading")
    save(fig, "time_split.png")
    (out / "stats.json").write_text(json.dumps({k: v for k, v in stats.items() if k != "tokens"}, indent=2, sort_keys=True))
    return made
