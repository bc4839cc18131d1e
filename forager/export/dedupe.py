"""Deduplication: exact, then near-duplicate (MinHash/LSH over the agent's actions), then
duplicate submitted patches. One member of each cluster is kept by a stated rule.

Memory stays small: pass 1 keeps, per trajectory, a few ids and hashes in lists and its MinHash
signature in a file-backed array; LSH buckets are found by sorting each band's hashes (numpy),
not by a dict of buckets.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from forager.records.dataset import Dedupe
from forager.records.trajectory import Trajectory

_WORD = re.compile(r"\w+|[^\w\s]")
_MERSENNE = np.uint64((1 << 61) - 1)
_FNV = np.uint64(0x100000001B3)
_SHIFT32 = np.uint64(32)


def actions_text(t: Trajectory) -> str:
    """The agent's actions: each valid tool call's name and arguments, in order.

    An episode without a single tool call is judged on what the assistant wrote instead.
    """
    parts = []
    for turn in t.turns:
        if turn.tool.name:
            a = turn.tool.arguments
            parts.append("\n".join([turn.tool.name, a.path, a.command, a.search, a.replace, a.content]))
    if not parts:
        parts = [m.content for m in t.messages if m.role == "assistant"]
    return "\n".join(parts)


def norm_patch(patch: str) -> str:
    lines = [ln.rstrip() for ln in patch.splitlines() if not ln.startswith("index ")]
    return "\n".join(ln for ln in lines if ln)


def rank_key(t: Trajectory) -> tuple:
    """Smaller is better: resolved first, then higher reward, then fewer turns, then smaller id."""
    return (not t.grading.resolved, -t.reward, len(t.turns), t.trajectory_id)


class MinHasher:
    """MinHash of word n-grams with fixed, seeded permutations: the same text, the same signature."""

    def __init__(self, num_perm: int = 128, shingle: int = 5, seed: int = 1):
        rng = np.random.Generator(np.random.PCG64(seed))
        self.a = rng.integers(1, int(_MERSENNE), num_perm, dtype=np.uint64)
        self.b = rng.integers(0, int(_MERSENNE), num_perm, dtype=np.uint64)
        self.shingle = shingle
        self.num_perm = num_perm
        self._token: dict[str, int] = {}

    def _tok(self, w: str) -> int:
        h = self._token.get(w)
        if h is None:
            h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
            if len(self._token) < 1_000_000:
                self._token[w] = h
        return h

    def signature(self, text: str) -> np.ndarray:
        words = _WORD.findall(text)
        if not words:
            return np.full(self.num_perm, 0xFFFFFFFF, dtype=np.uint32)
        cache = self._token
        try:
            t = np.array([cache[w] for w in words], dtype=np.uint64)
        except KeyError:
            t = np.array([self._tok(w) for w in words], dtype=np.uint64)
        n = len(t)
        k = min(self.shingle, n)
        with np.errstate(over="ignore"):
            sh = t[: n - k + 1].copy()
            for j in range(1, k):
                sh *= _FNV
                sh += t[j: n - k + 1 + j]
            sh = np.unique(sh) & _MERSENNE
            # (a*x + b) mod 2^64, upper 32 bits: a universal-enough hash family per permutation.
            ph = np.multiply.outer(sh, self.a)
            ph += self.b
            ph >>= _SHIFT32
        return ph.min(axis=0).astype(np.uint32)


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows): the split whose S-curve threshold sits just below `threshold` (recall first)."""
    best = (num_perm, 1)
    for r in range(1, num_perm + 1):
        if num_perm % r:
            continue
        b = num_perm // r
        if (1 / b) ** (1 / r) <= threshold - 0.05:
            best = (b, r)
    return best


@dataclass
class Item:
    id: str
    repo: str
    rank: tuple
    exact: bytes
    patch: bytes


@dataclass
class DedupeResult:
    kept: list[int]
    winner: dict[int, int] = field(default_factory=dict)  # dropped index -> kept index
    counts: dict[str, int] = field(default_factory=dict)


class Deduper:
    """Add trajectories one by one (pass 1), then `run()` to cluster them."""

    def __init__(self, settings: Dedupe, workdir: Path | None = None, files: bool = True):
        """files=False: only `fingerprint` (a worker process), no signature file."""
        self.s = settings
        self.items: list[Item] = []
        self.hasher = MinHasher(settings.num_perm, settings.shingle)
        if files:
            self._dir = tempfile.TemporaryDirectory(prefix="forager-dedupe-", dir=workdir)
            self._sigpath = Path(self._dir.name) / "signatures.u32"
            self._sigfile = self._sigpath.open("wb")

    def fingerprint(self, t: Trajectory) -> tuple[Item, bytes]:
        """What dedupe keeps of one trajectory: ids and hashes, and its MinHash signature (b"" without near dedupe).
        Pure: workers compute it, the main process `add_item`s it in input order."""
        text = actions_text(t)
        exact = hashlib.sha256(text.encode()).digest()[:16] if text else hashlib.sha256(t.trajectory_id.encode()).digest()[:16]
        patch = norm_patch(t.submitted_patch)
        ph = hashlib.sha256(patch.encode()).digest()[:16] if patch else b""
        sig = self.hasher.signature(text).tobytes() if self.s.near else b""
        return Item(t.trajectory_id, t.repo, rank_key(t), exact, ph), sig

    def add_item(self, item: Item, sig: bytes) -> None:
        self.items.append(item)
        if self.s.near:
            self._sigfile.write(sig)

    def add(self, t: Trajectory) -> None:
        self.add_item(*self.fingerprint(t))

    def close(self) -> None:
        self._sigfile.close()
        self._dir.cleanup()

    def run(self) -> DedupeResult:
        self._sigfile.flush()
        n = len(self.items)
        alive = list(range(n))
        winner: dict[int, int] = {}
        counts = {}
        if self.s.exact:
            alive = self._group(alive, lambda i: self.items[i].exact, winner)
        counts["exact duplicates"] = n - len(alive)
        before = len(alive)
        if self.s.near and alive:
            alive = self._near(alive, winner)
        counts["near duplicates"] = before - len(alive)
        before = len(alive)
        if self.s.patches:
            alive = self._group(alive, lambda i: self.items[i].patch or i.to_bytes(8, "little") + b"#", winner)
        counts["duplicate patches"] = before - len(alive)
        return DedupeResult(kept=alive, winner=winner, counts=counts)

    def _best(self, members: list[int]) -> int:
        return min(members, key=lambda i: self.items[i].rank)

    def _group(self, alive: list[int], key, winner: dict[int, int]) -> list[int]:
        groups: dict = {}
        for i in alive:
            groups.setdefault(key(i), []).append(i)
        keep = set()
        for members in groups.values():
            w = self._best(members)
            keep.add(w)
            for m in members:
                if m != w:
                    winner[m] = w
        return [i for i in alive if i in keep]

    def _near(self, alive: list[int], winner: dict[int, int]) -> list[int]:
        n = len(self.items)
        sigs = np.memmap(self._sigpath, dtype=np.uint32, mode="r", shape=(n, self.s.num_perm))
        idx = np.asarray(alive, dtype=np.int64)
        bands, rows = lsh_params(self.s.threshold, self.s.num_perm)
        edges = [self._band_edges(sigs, idx, b * rows, (b + 1) * rows) for b in range(bands)]
        a = np.concatenate([e[0] for e in edges])
        c = np.concatenate([e[1] for e in edges])
        del sigs
        label = components(n, a, c)
        return self._group(alive, lambda i: int(label[i]), winner)  # a cluster: the members with one label

    def _band_edges(self, sigs, idx: np.ndarray, lo: int, hi: int, heads: int = 4, slab: int = 16384):
        """Pairs (member, head) of one band's buckets whose signatures agree on at least the threshold:
        each member is verified against its bucket's first `heads` members (bounded work per bucket)."""
        block = np.ascontiguousarray(sigs[idx, lo:hi])
        keys = block.view(np.dtype((np.void, block.dtype.itemsize * (hi - lo)))).ravel()
        order = np.argsort(keys, kind="stable")
        sk = keys[order]
        new = np.r_[True, sk[1:] != sk[:-1]]
        start = np.maximum.accumulate(np.where(new, np.arange(len(sk)), 0))  # each position's bucket start
        end = np.r_[np.flatnonzero(new)[1:], len(sk)][np.cumsum(new) - 1]  # ... and bucket end
        multi = np.flatnonzero(end - start >= 2)
        out_a, out_b = [], []
        for k in range(heads):
            pos = multi[(start[multi] + k < end[multi]) & (start[multi] + k != multi)]
            for s0 in range(0, len(pos), slab):  # slabs: memory bounded whatever the bucket sizes
                p = pos[s0:s0 + slab]
                m, h = idx[order[p]], idx[order[start[p] + k]]
                sim = (sigs[m] == sigs[h]).mean(axis=1)
                ok = sim >= self.s.threshold
                out_a.append(m[ok])
                out_b.append(h[ok])
        empty = np.zeros(0, dtype=np.int64)
        return (np.concatenate(out_a) if out_a else empty), (np.concatenate(out_b) if out_b else empty)


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected components of the graph with edges (a[i], b[i]) over 0..n-1: each node's label is the
    smallest node of its component (hook roots onto smaller roots, then compress, until no edge spans two)."""
    label = np.arange(n, dtype=np.int64)
    while True:
        ra, rb = label[a], label[b]
        span = ra != rb
        if not span.any():
            return label
        np.minimum.at(label, np.maximum(ra, rb)[span], np.minimum(ra, rb)[span])
        while True:
            nxt = label[label]
            if np.array_equal(nxt, label):
                break
            label = nxt


def clusters(result: DedupeResult, items: list[Item]) -> dict[int, tuple[str, int]]:
    """kept index -> (cluster id, cluster size); the cluster id is the kept member's trajectory_id."""
    size = {k: 1 for k in result.kept}
    for i in result.winner:
        j = i
        while j in result.winner:
            j = result.winner[j]
        size[j] = size.get(j, 1) + 1
    return {k: (items[k].id, size[k]) for k in result.kept}
