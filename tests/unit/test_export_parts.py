"""Export parts that need neither Docker nor a model: MinHash, LSH parameters, splits, redaction,
bad input lines, the cwm loss mask and the Arrow schemas."""

from __future__ import annotations

import os
from collections import Counter

import numpy as np

from forager.export import reader
from forager.export.dedupe import MinHasher, lsh_params
from forager.export.formats.cwm import observation_trained
from forager.export.redact import redact_text
from forager.export.schema import row_schema
from forager.export.select import load_blocklist, norm_repo
from forager.export.splits import assign
from forager.records.dataset import Decontamination, ExportSpec


def _jaccard(a: str, b: str, n: int = 5) -> float:
    def sh(t):
        w = t.split()
        return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}
    x, y = sh(a), sh(b)
    return len(x & y) / len(x | y)


def test_minhash_estimates_jaccard_and_is_deterministic():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in rng.integers(0, 5000, 400)]
    a = " ".join(words)
    b = " ".join(words[:300] + [f"x{i}" for i in range(100)])
    h1, h2 = MinHasher(256), MinHasher(256)
    sa, sb = h1.signature(a), h2.signature(b)
    assert (sa == h2.signature(a)).all()
    est = float((sa == sb).mean())
    assert abs(est - _jaccard(a, b)) < 0.1, (est, _jaccard(a, b))


def test_lsh_bands_sit_below_the_threshold():
    b, r = lsh_params(0.5, 128)
    assert b * r == 128 and (1 / b) ** (1 / r) < 0.5


def test_splits_group_repositories_and_follow_the_seed():
    counts = Counter({f"o/r{i}": 10 + i for i in range(40)})
    a = assign(counts, {"train": 0.8, "test": 0.2}, seed=1)
    assert a == assign(counts, {"train": 0.8, "test": 0.2}, seed=1)
    assert a != assign(counts, {"train": 0.8, "test": 0.2}, seed=2)
    test_share = sum(counts[r] for r, s in a.items() if s == "test") / sum(counts.values())
    assert 0.15 < test_share < 0.25


def test_redaction_finds_keys_tokens_and_private_keys():
    found: dict[str, int] = {}
    text = ("export AWS_ACCESS_KEY_ID=AKIAABCDEFGHIJKLMNOP\nGITHUB_TOKEN=ghp_" + "a" * 36 + "\n"
            "api_key = 'abcdef0123456789xyz'\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n"
            "nothing secret here\n")
    out = redact_text(text, found)
    assert "AKIAABCDEFGHIJKLMNOP" not in out and "ghp_" not in out and "MIIE" not in out and "abcdef0123" not in out
    assert "api_key = '[REDACTED:assigned_secret]'" in out and "nothing secret here" in out
    assert found == {"aws_access_key": 1, "github_token": 1, "assigned_secret": 1, "private_key": 1}


def test_bad_lines_are_reported_with_file_and_line(tmp_path):
    f = tmp_path / "t.jsonl"
    f.write_text('not json\n{"trajectory_id": "a", "forager_version": "0.0.1"}\n[1]\n{"trajectory_id": "cut", "inst')
    log = reader.ReadLog()
    assert list(reader.read_all([f], ExportSpec(), log)) == []
    kinds = [(p.line, p.kind) for p in log.problems]
    assert kinds == [(1, "malformed JSON"), (2, "other version"), (2, "ungraded"), (3, "malformed JSON"), (4, "cut-off line")]
    assert all(str(p).startswith(f"{f}:") for p in log.problems)


def test_observation_mask_rate_and_determinism():
    flags = [observation_trained(0, "t", i, 0.5) for i in range(2000)]
    assert 0.45 < sum(flags) / len(flags) < 0.55
    assert flags == [observation_trained(0, "t", i, 0.5) for i in range(2000)]


def test_blocklist_ships_swe_bench_and_matches_forks():
    bl = load_blocklist(Decontamination())
    assert "django/django" in bl.repos and "astropy/astropy" in bl.repos
    assert norm_repo("https://github.com/Django/django.git") == "django/django"


def test_row_schemas_are_explicit():
    s = row_schema("openai")
    assert s.field("messages").type.value_type.field("tool_calls").type.value_type.field("function").type.field("arguments").type == "string"
    assert row_schema("sharegpt").field("conversations").type.value_type.field("from").name == "from"


def test_vectorized_secret_probe_agrees_with_the_hints():
    from forager.export.redact import _ASSIGNED_HINTS, HINTS, may_hold_secrets
    from tests.unit.test_export_pipeline import _traj
    texts = [h for hs in HINTS.values() for h in hs] + [h.upper() for h in _ASSIGNED_HINTS] + ["Password", "gh_x", "sk_", "nothing here"]
    trajs = [_traj("t#0", "a b c d e f", problem_statement=f"see {x} there") for x in texts]
    want = [any(h in x for hs in HINTS.values() for h in hs) or any(h in x.lower() for h in _ASSIGNED_HINTS) for x in texts]
    assert want.count(False) == 3
    assert may_hold_secrets(trajs) == want
    assert may_hold_secrets([]) == []


def _lines_by_iteration(path):
    """The reference: Python's own line iteration (what the reader did before it read in blocks)."""
    with path.open("rb") as fh:
        for n, line in enumerate(fh, 1):
            if not line.isspace():
                yield n, line.rstrip(b"\n"), line.endswith(b"\n")


def test_blocks_cut_at_line_ends_and_number_lines_like_iteration(tmp_path):
    import random
    rng, p = random.Random(1), tmp_path / "t.jsonl"
    for trial in range(200):
        pieces = [rng.choice([b"", b"  ", b"\t", b"\r", b"a\rb", b"x" * rng.randint(1, 3000)]) + b"\n"
                  for _ in range(rng.randint(0, 40))]
        data = b"".join(pieces) + (rng.choice([b"cut-off tail", b" ", b"y" * 5000]) if rng.random() < 0.5 else b"")
        p.write_bytes(data)
        size = rng.choice([1, 7, 64, 1000, 4096])
        blocks = list(reader.file_blocks(p, size=size))
        got = [x for b in blocks for x in reader.block_lines(p, b)]
        assert got == list(_lines_by_iteration(p)), trial
        assert sum(b.newlines for b in blocks) == data.count(b"\n")
        assert sum(b.length for b in blocks) == len(data)  # every byte in exactly one block


def test_components_label_each_node_with_the_smallest_of_its_component():
    from forager.export.dedupe import components
    rng = np.random.default_rng(0)
    n = 500
    a, b = rng.integers(0, n, 300), rng.integers(0, n, 300)
    parent = list(range(n))  # reference: a plain union-find

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x
    for x, y in zip(a, b):
        rx, ry = find(int(x)), find(int(y))
        parent[max(rx, ry)] = min(rx, ry)
    assert components(n, a, b).tolist() == [find(i) for i in range(n)]
    assert components(3, np.zeros(0, np.int64), np.zeros(0, np.int64)).tolist() == [0, 1, 2]


def _square(x):
    return x * x


def _noop():
    pass


def test_workers_exit_even_when_a_worker_never_takes_its_stop_signal():
    """Real forked workers: one stopped (SIGSTOP) after the work is done, as the worker CI saw
    waiting forever for the queue's lock; leaving the block kills it instead of waiting."""
    import signal
    import time

    from forager.export.parallel import Workers

    w = Workers(2, _noop)
    w.join_timeout = 2.0
    t0 = time.monotonic()
    with w:
        assert list(w.map(_square, range(10))) == [x * x for x in range(10)]
        stopped = w.pool._pool[0]
        os.kill(stopped.pid, signal.SIGSTOP)
    assert time.monotonic() - t0 < 30
    assert not stopped.is_alive()
