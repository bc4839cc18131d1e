"""Recipe inference on real repositories: success rate by the issue's rule, funnel, failure taxonomy,
median time per repository.

    python benchmarks/bench_infer.py [recipes/infer_repos.txt] [--out runs/bench-infer] [--limit N] [--jobs 1]

The sample and the rule that chose it are in recipes/INFER_REPOS.md (fixed before any run). GitHub
is reached through git's url.<mirror>.insteadOf settings. A rerun resumes from the report
(OUT/recipes/infer-report.jsonl); every repository is tried once. "Success" is the issue's bar: a
validated image with at least 20 passing tests and a pass ratio of at least 0.9, no model involved.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forager.recipes.report import FUNNEL, funnel  # noqa: E402
from forager.recipes.run import infer_sources  # noqa: E402
from forager.recipes.sources import expand  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("list", nargs="?", default=str(ROOT / "recipes" / "infer_repos.txt"))
    ap.add_argument("--out", default=str(ROOT / "runs" / "bench-infer"))
    ap.add_argument("--limit", type=int, default=None, help="only the first N repositories of the list")
    ap.add_argument("--jobs", type=int, default=1)
    a = ap.parse_args()
    lines = Path(a.list).read_text().splitlines()
    old = {ln.split()[0] for ln in lines if ln.strip() and not ln.startswith("#") and ln.rstrip().endswith("old")}
    sources = expand([a.list])[: a.limit]
    out = Path(a.out)
    records = infer_sources(sources, out / "recipes", out / "images", jobs=a.jobs)
    n = len(records)
    ok = [r for r in records if r.meets_target]
    print(f"\nrepositories: {n}; success (validated, >=20 passing, ratio >=0.9): {len(ok)} ({len(ok) / max(1, n):.0%})")
    for label, group in (("old commits (2-4 years)", [r for r in records if r.source in old]),
                         ("recent commits", [r for r in records if r.source not in old])):
        g_ok = sum(r.meets_target for r in group)
        print(f"  {label}: {g_ok}/{len(group)}")
    f = funnel(records)
    print("funnel: " + ", ".join(f"{s} {f[s]}" for s in FUNNEL))
    tax = Counter(r.failure or ("below-target" if not r.meets_target else "") for r in records)
    tax.pop("", None)
    print("failure taxonomy: " + (", ".join(f"{k} {v}" for k, v in tax.most_common()) or "none"))
    print(f"median time per repository: {median(r.seconds for r in records) if records else 0:.0f} s; "
          f"attempts: {sum(len(r.attempts) for r in records)}")
    print(f"{'repository':34} {'stage':16} {'passed':>6} {'ratio':>6}  failure")
    for r in records:
        ratio = f"{r.passed / r.total:.2f}" if r.total else "-"
        print(f"{r.source.split('@')[0]:34} {r.stage:16} {r.passed:>6} {ratio:>6}  {r.failure}")


if __name__ == "__main__":
    main()
