"""`forager export`, `stats` and `view` on trajectories harvested here: the oracle and the local
model on mutate-fix tasks, the oracle on issue-fix tasks, plus planted copies (near duplicates,
blocked repositories, secrets, bad lines) made from those real episodes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from forager.agent.llama3 import render_prompt
from forager.errors import ForagerError
from forager.export.dedupe import MinHasher, actions_text
from forager.export.pipeline import export
from forager.jsonio import read_lines
from forager.records.dataset import ExportManifest, ExportSpec
from forager.records.trajectory import Trajectory
from tests.conftest import ALL_OPERATORS_TASKS, forager
from tests.integration.test_issue_fix import built, generated  # noqa: F401  (module fixtures reused)

pytestmark = [pytest.mark.docker, pytest.mark.model]

AWS = "AKIAIOSFODNN7EXAMPLE"


@pytest.fixture(scope="module")
def harvested(example_tasks, tasks_dir, local_server, generated, tmp_path_factory):  # noqa: F811
    d = tmp_path_factory.mktemp("export-in")
    runs = {
        "oracle": ["--tasks", str(tasks_dir / ALL_OPERATORS_TASKS), "--policy", "oracle", "--concurrency", "2"],
        "model": ["--tasks", str(tasks_dir / ALL_OPERATORS_TASKS), "--policy", "cwm", "--endpoint", local_server,
                  "--model", "smollm2", "--limit", "2", "--max-turns", "3", "--max-context", "4096", "--max-tokens", "160",
                  "--temperature", "0.2", "--concurrency", "1"],
        "issue": ["--variant", "issue-fix", "--tasks", str(generated[3]), "--policy", "oracle", "--concurrency", "2"],
    }
    for name, args in runs.items():
        res = forager("harvest", *args, "-o", str(d / f"{name}.jsonl"))
        assert res.returncode == 0, (name, res.stderr[-2000:])
    trajs = {name: list(read_lines(d / f"{name}.jsonl", Trajectory)) for name in runs}
    assert trajs["oracle"] and trajs["model"] and trajs["issue"]
    assert {t.variant for t in trajs["issue"]} == {"issue-fix"}
    return d, trajs


def _copy(t: Trajectory, suffix: str, **update) -> Trajectory:
    return t.model_copy(deep=True, update={"trajectory_id": f"{t.trajectory_id}~{suffix}",
                                           "instance_id": f"{t.instance_id}~{suffix}", **update})


def _tweak_actions(t: Trajectory, word: str) -> Trajectory:
    """A near duplicate: one word added to the last tool call's text."""
    t = t.model_copy(deep=True)
    for turn in reversed(t.turns):
        if turn.tool.name:
            a = turn.tool.arguments
            if a.command:
                a.command += f" # {word}"
            else:
                a.content += f"\n# {word}"
                a.replace += f"\n# {word}"
            break
    return t


def _loneliest(trajs: list[Trajectory]) -> Trajectory:
    """The trajectory least like any other: its planted copies then form a cluster of their own.
    (Oracle fixes of two mutants on the same line are genuine near duplicates of each other, and
    which one the harvest writes first varies, so "the first" is not a rule.)"""
    h = MinHasher()
    sigs = [h.signature(actions_text(t)) for t in trajs]

    def nearest(i: int) -> float:
        return max((sigs[i] == s).mean() for j, s in enumerate(sigs) if j != i)

    i = min(range(len(trajs)), key=lambda i: (nearest(i), trajs[i].instance_id))
    assert nearest(i) < 0.5, "no oracle trajectory is far from all others"
    return trajs[i]


@pytest.fixture(scope="module")
def planted(harvested, tmp_path_factory):
    d, trajs = harvested
    base = _loneliest(trajs["oracle"])
    other = next(t for t in trajs["oracle"] if t is not base)
    lines = []
    plant = {
        "near": _tweak_actions(_copy(base, "near", submitted_patch=base.submitted_patch + "\n"), "tweak"),
        "exact": _copy(base, "exact", submitted_patch=""),
        "django": _copy(other, "django", repo="django/django"),
        "fork": _copy(other, "fork", repo="someone/django"),
        "blocked-id": _copy(other, "blocked-id", repo="o/unrelated"),
    }
    third = next(t for t in trajs["oracle"] if t is not base and t is not other)
    secret = _copy(third, "secret", repo="o/secret")
    secret.messages[-2].content += f"\nAWS_ACCESS_KEY_ID={AWS}\n"
    plant["secret"] = secret
    f = tmp_path_factory.mktemp("export-planted") / "planted.jsonl"
    for t in plant.values():
        lines.append(t.model_dump_json())
    old = json.loads(trajs["model"][0].model_dump_json())
    old.update(trajectory_id="old~1", forager_version="0.0.1")
    ungraded = json.loads(trajs["model"][-1].model_dump_json())
    ungraded.update(trajectory_id="ungraded~1", grading=None)
    lines += [json.dumps(old), "{not json", json.dumps(ungraded)]
    f.write_text("\n".join(lines) + "\n" + base.model_dump_json()[:300])  # cut-off last line
    return f, plant


def _files(harvested, planted=None) -> list[Path]:
    d, _ = harvested
    out = [d / "oracle.jsonl", d / "model.jsonl", d / "issue.jsonl"]
    return out + ([planted[0]] if planted else [])


def _all(harvested) -> list[Trajectory]:
    return [t for ts in harvested[1].values() for t in ts]


def _kept(m: ExportManifest) -> set[str]:
    return {k.id for k in m.kept}


def _plain(**kw) -> ExportSpec:
    """No dedupe, no decontamination: the filters alone decide."""
    spec = dict(formats=["openai"], files=["jsonl"], dedupe=dict(exact=False, near=False, patches=False),
                decontamination=dict(blocklists=[]))
    return ExportSpec.model_validate({**spec, **{k: v.model_dump() if hasattr(v, "model_dump") else v for k, v in kw.items()}})


def test_each_filter_keeps_what_it_says(harvested, tmp_path):
    trajs = _all(harvested)
    from forager.records.dataset import Selection
    cases = {
        "status": (Selection(exit_status=["submitted"]), lambda t: t.exit_status == "submitted"),
        "resolved": (Selection(resolved=True), lambda t: t.grading.resolved),
        "unresolved": (Selection(resolved=False), lambda t: not t.grading.resolved),
        "reward": (Selection(min_reward=0.5), lambda t: t.reward >= 0.5),
        "policy": (Selection(policy=["cwm"]), lambda t: t.policy == "cwm"),
        "model": (Selection(model=["oracle"]), lambda t: t.model == "oracle"),
        "variant": (Selection(variant=["issue-fix"]), lambda t: t.variant == "issue-fix"),
        "repo": (Selection(repo=[trajs[0].repo]), lambda t: t.repo == trajs[0].repo),
        "turns": (Selection(min_turns=3), lambda t: len(t.turns) >= 3),
        "tokens": (Selection(min_tokens=1), lambda t: t.turns and t.turns[-1].prompt_tokens > 0),
        "keep_ids": (Selection(keep_ids=[trajs[0].trajectory_id]), lambda t: t.trajectory_id == trajs[0].trajectory_id),
        "drop_ids": (Selection(drop_ids=[trajs[0].instance_id]), lambda t: t.instance_id != trajs[0].instance_id),
    }
    for name, (sel, want) in cases.items():
        m = export(_files(harvested), tmp_path / name, _plain(selection=sel))
        # compare as sorted lists: a repeated id would show
        expected = sorted(t.trajectory_id for t in trajs if want(t))
        assert sorted(k.id for k in m.kept) == expected, name
        assert m.counts["written"] == len(expected)


def test_operator_filter_uses_the_harvested_operator_and_the_tasks_file_for_old_lines(harvested, example_tasks, tasks_dir,
                                                                                       tmp_path):
    op_of = {x.instance_id: x.meta.operator for x in example_tasks}
    mutate = [t for t in _all(harvested) if t.variant == "mutate-fix"]
    assert mutate and all(t.operator == op_of[t.instance_id] for t in mutate)  # the harvest copied it
    op = example_tasks[0].meta.operator
    want = sorted(t.trajectory_id for t in mutate if op_of[t.instance_id] == op)
    m = export(_files(harvested), tmp_path / "op", _plain(selection=dict(operator=[op])))
    assert want and sorted(k.id for k in m.kept) == want
    # The same files as an older harvest wrote them (no operator field): only with the tasks file.
    old = tmp_path / "old.jsonl"
    old.write_text("".join(json.dumps({k: v for k, v in json.loads(t.model_dump_json()).items() if k != "operator"}) + "\n"
                           for t in _all(harvested)))
    with pytest.raises(ForagerError, match="does not carry its mutation operator"):
        export([old], tmp_path / "op-old", _plain(selection=dict(operator=[op])))
    m = export([old], tmp_path / "op-tasks", _plain(selection=dict(operator=[op]), tasks=[str(tasks_dir / ALL_OPERATORS_TASKS)]))
    assert sorted(k.id for k in m.kept) == want


def test_dedupe_clusters_planted_duplicates(harvested, planted, tmp_path):
    f, plant = planted
    m = export(_files(harvested, planted), tmp_path / "d", ExportSpec(formats=["openai"], files=["jsonl"],
                                                                      decontamination=dict(blocklists=[])))
    base_id = plant["near"].trajectory_id.split("~")[0]
    ids = _kept(m)
    assert base_id in ids and plant["near"].trajectory_id not in ids and plant["exact"].trajectory_id not in ids
    # rule: resolved, reward, turns, id -- the original (resolved, fewer-or-equal turns, smaller id) wins
    assert any(k.cluster_size >= 3 and k.cluster_id == base_id for k in m.kept if k.id == base_id)
    assert m.counts["after exact duplicates"] < m.counts["decontaminated"]
    assert m.counts["after near duplicates"] < m.counts["after exact duplicates"]
    # Planted problems: reported with file and line, counted, kept or skipped as asked.
    kinds = {(p.line, p.kind, p.action) for p in m.problems if p.file == str(f)}
    n = len(plant)
    assert {(n + 1, "other version", "kept"), (n + 2, "malformed JSON", "skipped"), (n + 3, "ungraded", "skipped"),
            (n + 4, "cut-off line", "skipped")} <= kinds
    assert m.counts["bad lines skipped"] == 3
    # Without dedupe every planted copy stays.
    m2 = export(_files(harvested, planted), tmp_path / "nd", _plain())
    assert {plant["near"].trajectory_id, plant["exact"].trajectory_id} <= _kept(m2)


def test_decontamination_drops_swe_bench_repositories_forks_and_ids(harvested, planted, tmp_path):
    f, plant = planted
    spec = ExportSpec(formats=["openai"], files=["jsonl"], dedupe=dict(exact=False, near=False, patches=False),
                      decontamination=dict(instance_ids=[plant["blocked-id"].instance_id]))
    m = export(_files(harvested, planted), tmp_path / "c", spec)
    kept = _kept(m)
    for name in ("django", "fork", "blocked-id"):
        assert plant[name].trajectory_id not in kept
    assert m.counts["dropped by decontamination: blocked repository"] == 1
    assert m.counts["dropped by decontamination: fork of a blocked repository"] == 1
    assert m.counts["dropped by decontamination: blocked instance"] == 1
    spec.decontamination.fork_match = "exact"
    assert plant["fork"].trajectory_id in _kept(export(_files(harvested, planted), tmp_path / "c2", spec))


def test_splits_never_share_a_repository_and_follow_the_seed(harvested, planted, tmp_path):
    def run(seed, name):
        spec = _plain(splits=dict(fractions={"train": 0.5, "test": 0.5}, seed=seed))
        return export(_files(harvested, planted), tmp_path / name, spec)
    a, b = run(3, "a"), run(3, "b")
    assert [k.model_dump() for k in a.kept] == [k.model_dump() for k in b.kept]
    rows = [json.loads(ln) for f in sorted((tmp_path / "a" / "openai").glob("*.jsonl")) for ln in f.read_text().splitlines()]
    split_of: dict[str, set] = {}
    for r in rows:
        split_of.setdefault(r["repo"], set()).add(r["split"])
    assert len(split_of) >= 4 and all(len(s) == 1 for s in split_of.values())
    assert {"train", "test"} == {r["split"] for r in rows} == {k.split for k in a.kept}


def test_formats_load_back_with_datasets(harvested, planted, tmp_path):
    import datasets
    out = tmp_path / "f"
    # No dedupe here: the planted secret sits in a copy whose actions repeat its original's.
    spec = ExportSpec(formats=["cwm", "openai", "sharegpt"], files=["parquet", "jsonl"], shard_rows=4, save_to_disk=True,
                      dedupe=dict(exact=False, near=False, patches=False))
    m = export(_files(harvested, planted), out, spec)
    n = m.counts["written"]
    assert n > 4 and len([o for o in m.outputs if o.path.startswith("openai/") and o.path.endswith(".parquet")]) > 1
    by_id = {(t.trajectory_id, t.policy): t for t in _all(harvested)} | {(t.trajectory_id, t.policy): t for t in planted[1].values()}
    old = harvested[1]["model"][0]
    by_id[("old~1", old.policy)] = old  # the other-version line, kept
    for fmt in spec.formats:
        ds = datasets.load_dataset(str(out), fmt, split="train")
        js = datasets.load_dataset("json", data_files=str(out / fmt / "train-*.jsonl"), split="train")
        disk = datasets.load_from_disk(str(out / "hf" / fmt))["train"]
        assert ds.num_rows == js.num_rows == disk.num_rows == n
        assert ds["id"] == js["id"] == [k.id for k in m.kept]
    cwm_rows = datasets.load_dataset(str(out), "cwm", split="train")
    for row in cwm_rows:
        t = by_id[(row["id"], row["policy"])]
        assert row["text"] == render_prompt(t.messages, generation_prompt=False).replace(f"={AWS}", "=[REDACTED:aws_access_key]")
        assert "".join(s["text"] for s in row["segments"]) == row["text"]
        assert all(s["loss"] for s in row["segments"] if s["role"] == "assistant" and "<|start_header_id|>" not in s["text"])
    for row in datasets.load_dataset(str(out), "openai", split="train"):
        tools = {x["function"]["name"] for x in json.loads(row["tools"])}
        assert tools == {"bash", "edit", "create", "submit"}
        calls = {c["id"] for msg in row["messages"] for c in msg["tool_calls"]}
        assert {msg["tool_call_id"] for msg in row["messages"] if msg["role"] == "tool"} <= calls
        for msg in row["messages"]:
            for c in msg["tool_calls"]:
                assert c["function"]["name"] in tools and isinstance(json.loads(c["function"]["arguments"]), dict)
    share = datasets.load_dataset(str(out), "sharegpt", split="train")
    assert {c["from"] for row in share for c in row["conversations"]} <= {"human", "gpt", "observation"}
    # The planted secret is gone from every file and reported.
    assert not any(AWS in p.read_text(errors="ignore") for p in out.rglob("*.jsonl"))
    assert [r.kind for r in m.redactions if r.trajectory_id == planted[1]["secret"].trajectory_id] == ["aws_access_key"]
    assert "Secrets redacted: 1" in (out / "README.md").read_text()


def test_tokenizer_counts_and_length_policy(harvested, tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=500, special_tokens=["[UNK]"])
    tok.train_from_iterator([m.content for t in _all(harvested) for m in t.messages], trainer)
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    export(_files(harvested), tmp_path / "full", _plain(formats=["cwm"], length=dict(tokenizer=str(path))))
    rows = [json.loads(ln) for f in sorted((tmp_path / "full" / "cwm").glob("*.jsonl")) for ln in f.read_text().splitlines()]
    sizes = sorted(r["n_tokens"] for r in rows)
    assert sizes[0] > 0
    limit = sizes[len(sizes) // 2]
    drop = export(_files(harvested), tmp_path / "drop", _plain(formats=["cwm"], length=dict(tokenizer=str(path), max_tokens=limit)))
    assert drop.counts["written"] == sum(s <= limit for s in sizes) and drop.counts["dropped for length"] > 0
    cut = export(_files(harvested), tmp_path / "cut", _plain(formats=["cwm"], length=dict(tokenizer=str(path), max_tokens=limit,
                                                                                          policy="truncate")))
    rows = [json.loads(ln) for f in sorted((tmp_path / "cut" / "cwm").glob("*.jsonl")) for ln in f.read_text().splitlines()]
    assert cut.counts["truncated to fit"] > 0
    assert all(r["n_tokens"] <= limit for r in rows) and any(r["truncated"] for r in rows)


def test_rebuild_from_manifest_is_identical_and_bad_lines_are_one_line_each(harvested, planted, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    files = [str(p) for p in _files(harvested, planted)]
    res = forager("export", *files, "-o", str(a), "--format", "cwm,openai,sharegpt", "--splits", "train=0.7,test=0.3",
                  "--seed", "5", "--shard-rows", "3", "--threshold", "0.6")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "Traceback" not in res.stdout + res.stderr
    said = (res.stdout + res.stderr).replace("\n", "")
    assert f"{planted[0]}:{len(planted[1]) + 2}: malformed JSON" in said and f"{planted[0]}:{len(planted[1]) + 4}: cut-off line" in said
    res = forager("export", "--manifest", str(a / "manifest.json"), "-o", str(b))
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    got = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert got == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in got:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    # A changed input is refused, in one line.
    changed = tmp_path / "changed.jsonl"
    shutil.copy(files[0], changed)
    res = forager("export", str(changed), "-o", str(tmp_path / "c"))
    m = json.loads((tmp_path / "c" / "manifest.json").read_text())
    with changed.open("a") as fh:
        fh.write("\n")
    m_path = tmp_path / "c" / "manifest.json"
    res = forager("export", "--manifest", str(m_path), "-o", str(tmp_path / "d"))
    said = res.stdout + res.stderr
    assert res.returncode == 2 and "changed since the export" in said and "Traceback" not in said
    assert m["inputs"][0]["path"] == str(changed)


def test_stats_and_view(harvested, planted, tmp_path):
    files = [str(p) for p in _files(harvested, planted)]
    res = forager("stats", *files, "-o", str(tmp_path / "st"))
    assert res.returncode == 0, res.stderr[-2000:]
    assert "resolve rate by repo" in res.stdout + res.stderr and "Traceback" not in res.stdout + res.stderr
    for name in ("exit_status", "resolve_by_repo", "resolve_by_operator", "resolve_by_turns", "tokens", "time_split"):
        assert (tmp_path / "st" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    page = tmp_path / "episodes.html"
    res = forager("view", *files, "-o", str(page))
    assert res.returncode == 0, res.stderr[-2000:]
    html = page.read_text()
    assert "http://" not in html.split("<script id=\"data\"")[0] and "<script src" not in html
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "run scripts/setup.sh (it installs chromium)"
    flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chr'}",
             "--virtual-time-budget=5000"]
    shot = tmp_path / "shot.png"
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1280,900", page.as_uri()], capture_output=True, timeout=120)
    assert shot.read_bytes()[:4] == b"\x89PNG" and shot.stat().st_size > 5000
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    n = sum(1 for _ in _all(harvested)) + len(planted[1]) + 2  # + the other-version and the ungraded line, kept
    import re
    assert len(re.findall(r'<div class="ep[^"]*" data-i="\d+"', dom)) == n and f"{n} of {n} episodes" in dom
    assert 'id="diff"' in dom and 'id="grading"' in dom and 'class="call"' in dom and "resolved" in dom
