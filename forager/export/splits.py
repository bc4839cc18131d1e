"""Splits grouped by repository: no repository is in two splits; the same seed, the same splits.

Repositories are taken in an order fixed by a hash of the seed and their name, and each goes to
the split furthest below its target share of trajectories.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from forager.errors import ForagerError


def assign(repo_counts: Counter, fractions: dict[str, float], seed: int) -> dict[str, str]:
    total_f = sum(fractions.values())
    if not fractions or total_f <= 0 or any(f < 0 for f in fractions.values()):
        raise ForagerError(f"split fractions must be positive: {fractions}")
    names = list(fractions)
    total = sum(repo_counts.values())
    target = {s: fractions[s] / total_f * total for s in names}
    got = dict.fromkeys(names, 0)
    order = sorted(repo_counts, key=lambda r: hashlib.sha256(f"{seed}\0{r}".encode()).hexdigest())
    out = {}
    for repo in order:
        split = max(names, key=lambda s: (target[s] - got[s], -names.index(s)))
        out[repo] = split
        got[split] += repo_counts[repo]
    return out


def parse_fractions(text: str) -> dict[str, float]:
    """"train=0.9,test=0.1" -> {"train": 0.9, "test": 0.1}."""
    out = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ForagerError(f"--splits: {part!r} is not NAME=FRACTION") from None
    return out
