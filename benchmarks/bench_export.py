"""`forager export` at scale: N trajectories (real ones replicated with changes) exported with
dedupe to Parquet; trajectories per second and peak memory, against a naive export in the same
run (load everything, pairwise Jaccard on a sample, extrapolated to N). Peak memory counts the
export's worker processes too (their proportional set size, sampled).

    PYTHONPATH=. python benchmarks/bench_export.py [N] [TRAJ.jsonl ...]
    BENCH_EXPORT_CACHE=DIR ...   keeps the replicated input in DIR for the next run

Without files it uses runs/demo/*.jsonl (`forager demo` writes them). Copies get new ids, one of
500 repositories, and changed actions: 70 % rewritten (unique), 20 % one word changed (near
duplicates), 10 % unchanged (exact duplicates of the actions).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NAIVE_CAP = 20_000

NAIVE = r"""
import json, re, sys, time, itertools, random
from forager.records.trajectory import Trajectory
from forager.export.dedupe import actions_text
path, sample, cap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
trajs = [Trajectory.model_validate_json(l) for l in itertools.islice(open(path), cap)]
load = time.perf_counter() - t0
random.seed(0)
pick = random.sample(trajs, min(sample, len(trajs)))
def sh(t):
    w = re.findall(r"\w+|[^\w\s]", actions_text(t))
    return {tuple(w[i:i + 5]) for i in range(max(1, len(w) - 4))}
sets = [sh(t) for t in pick]
t1 = time.perf_counter()
dups = sum(1 for a, b in itertools.combinations(sets, 2) if len(a & b) / max(1, len(a | b)) >= 0.5)
pair = time.perf_counter() - t1
print(json.dumps({"n": len(trajs), "load": load, "pairs": len(sets) * (len(sets) - 1) // 2, "pair_seconds": pair}))
"""


def replicate(sources: list[Path], n: int, out: Path) -> None:
    lines = [ln for p in sources for ln in p.read_text().splitlines() if ln.strip()]
    base = [json.loads(ln) for ln in lines]
    rng = random.Random(0)
    words = [f"w{i}" for i in range(20000)]
    with out.open("w") as fh:
        for i in range(n):
            d = json.loads(json.dumps(base[i % len(base)]))
            d["trajectory_id"] = f"{d['trajectory_id']}~{i}"
            d["instance_id"] = f"{d['instance_id']}~{i}"
            d["repo"] = f"org{i % 500}/repo{i % 500}"
            kind = rng.random()
            for turn in d["turns"]:
                a = turn["tool"]["arguments"]
                if kind < 0.7:
                    for k in ("command", "content", "replace", "search"):
                        if a[k]:
                            a[k] = " ".join(rng.choice(words) for _ in range(max(8, len(a[k].split()))))
                elif kind < 0.9 and a["command"]:
                    a["command"] += " " + rng.choice(words)
            if kind < 0.9:
                d["submitted_patch"] += f"\n# {i}\n"
            fh.write(json.dumps(d) + "\n")


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return out


def _pss_mb(pid: int) -> float:
    """Proportional set size of a process and all its descendants: memory shared between forked workers
    counts once, not once per process (the sum of their RSS would count it several times)."""
    total = 0
    for p in _tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                total += next(int(ln.split()[1]) for ln in fh if ln.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def child(args: list[str]) -> tuple[float, float, str, float]:
    """Seconds, peak memory (MB, all its processes together, sampled every 0.1 s; at least the largest
    single process's peak RSS) of a child process, its stdout, and the CPU seconds of it and its workers
    (a figure the machine's load changes far less than the wall time)."""
    t0 = time.perf_counter()
    peak = 0.0
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, *args], stdout=out, stderr=err, env={**os.environ, "PYTHONPATH": str(ROOT)})
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _pss_mb(proc.pid))
            time.sleep(0.1)
        proc.returncode = os.waitstatus_to_exitcode(status)
        dt = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        sys.exit(stdout[-2000:] + stderr[-2000:])
    # ru_maxrss: the peak of the child or of the largest process it waited for, whichever is larger.
    return dt, max(peak, usage.ru_maxrss / 1024), stdout, usage.ru_utime + usage.ru_stime


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    sources = [Path(p) for p in sys.argv[2:]] or sorted((ROOT / "runs" / "demo").glob("*.jsonl"))
    sources = [p for p in sources if p.name != "tasks.jsonl"]
    if not sources:
        sys.exit("no trajectories: run `forager demo` or give trajectory files")
    with tempfile.TemporaryDirectory() as tmp:
        # BENCH_EXPORT_CACHE=DIR keeps the replicated file there between runs (same N, same sources).
        cache = os.environ.get("BENCH_EXPORT_CACHE")
        key = hashlib.sha256("\0".join([str(n)] + [p.read_text() for p in sources]).encode()).hexdigest()[:12]
        data = Path(cache) / f"bench-export-{n}-{key}.jsonl" if cache else Path(tmp) / "trajectories.jsonl"
        if data.is_file():
            print(f"reusing {data} ({data.stat().st_size / 1e9:.2f} GB)")
        else:
            t0 = time.perf_counter()
            replicate(sources, n, data.with_suffix(".part"))
            data.with_suffix(".part").replace(data)
            print(f"replicated {n} trajectories from {len(sources)} files in {time.perf_counter() - t0:.0f}s "
                  f"({data.stat().st_size / 1e9:.2f} GB)")
        print(f"load average before the export: {os.getloadavg()[0]:.2f}")
        dt, peak, _, cpu = child(["-m", "forager.cli", "export", str(data), "-o", str(Path(tmp) / "ds"), "--format", "openai",
                             "--files", "parquet", "--splits", "train=0.9,test=0.1", "--blocklist", "none"])
        m = json.loads((Path(tmp) / "ds" / "manifest.json").read_text())
        # The naive run loads at most NAIVE_CAP trajectories (all of them would take several GB on a
        # shared machine); its load time and memory are scaled linearly to N, the pairs quadratically.
        cap = min(n, NAIVE_CAP)
        ndt, npeak, out, ncpu = child(["-c", NAIVE, str(data), "2000", str(cap)])
        naive = json.loads(out)
        full_pairs = n * (n - 1) / 2
        naive_total = naive["load"] * n / cap + naive["pair_seconds"] * full_pairs / naive["pairs"]
        table(f"export of {n} trajectories with dedupe to Parquet", ["run", "seconds", "traj/s", "cpu s", "traj/cpu-s", "peak MB",
                                                                     "kept"], [
            ("forager export (streaming, MinHash/LSH)", f"{dt:.1f}", f"{n / dt:.0f}", f"{cpu:.1f}", f"{n / cpu:.0f}", f"{peak:.0f}",
             m["counts"]["written"]),
            (f"naive: load {cap} ({naive['load']:.0f}s) + pairwise on 2000 ({naive['pair_seconds']:.1f}s)", f"{ndt:.1f}", "-",
             f"{ncpu:.1f}", "-", f"{npeak:.0f}", "-"),
            (f"naive scaled to {n}: load all + all pairs", f"{naive_total:.0f}", f"{n / naive_total:.1f}", "-", "-",
             f"{npeak * n / cap:.0f}", "-"),
        ])
        print("counts:", json.dumps(m["counts"]))


if __name__ == "__main__":
    main()
