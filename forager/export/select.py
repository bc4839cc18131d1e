"""Selection (status, grading, policy, model, repository, operator, length, ids) and
decontamination (repositories on block lists, their forks, instance ids).

Each check returns the name of the rule that drops a trajectory, or "" to keep it, so the
manifest counts drops per rule.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from forager.errors import ForagerError
from forager.records.dataset import Decontamination, Selection
from forager.records.trajectory import Trajectory


def recorded_tokens(t: Trajectory) -> int:
    """Tokens of the whole episode as the server counted them: the last prompt plus its completion."""
    if not t.turns:
        return 0
    last = t.turns[-1]
    return last.prompt_tokens + last.completion_tokens


def operators_of(task_files: list[str]) -> dict[str, str]:
    """instance_id -> mutation operator, from tasks files (read line by line, bad lines ignored)."""
    out: dict[str, str] = {}
    for f in task_files:
        path = Path(f)
        if not path.is_file():
            raise ForagerError(f"{path}: no such tasks file")
        with path.open("rb") as fh:
            for line in fh:
                try:
                    d = json.loads(line)
                    out[d["instance_id"]] = (d.get("meta") or {}).get("operator") or d.get("variant", "")
                except (ValueError, KeyError, TypeError):
                    continue
    return out


def operator(t: Trajectory, operators: dict[str, str], where: str = "") -> str:
    """The trajectory's own operator (harvests copy it from the task), else the tasks files' (older
    trajectories), else "issue" for issue-fix. A mutate-fix trajectory with neither is an error:
    the filter cannot decide, and guessing would drop it silently."""
    op = t.operator or operators.get(t.instance_id)
    if op:
        return op
    if t.variant == "issue-fix":
        return "issue"
    if not operators:
        raise ForagerError(f"{where or t.trajectory_id}: trajectory {t.trajectory_id!r} does not carry its mutation operator "
                           "(written before trajectories did); give its tasks file with --tasks to filter by operator")
    return ""


def selection_drop(t: Trajectory, s: Selection, operators: dict[str, str], where: str = "") -> str:
    if s.keep_ids and t.trajectory_id not in s.keep_ids and t.instance_id not in s.keep_ids:
        return "not in keep_ids"
    if s.drop_ids and (t.trajectory_id in s.drop_ids or t.instance_id in s.drop_ids):
        return "drop_ids"
    if s.exit_status and t.exit_status.value not in s.exit_status:
        return "exit_status"
    if s.resolved is not None and t.grading.resolved != s.resolved:
        return "resolved"
    if s.min_reward is not None and t.reward < s.min_reward:
        return "min_reward"
    if s.max_reward is not None and t.reward > s.max_reward:
        return "max_reward"
    if s.policy and t.policy not in s.policy:
        return "policy"
    if s.model and t.model not in s.model:
        return "model"
    if s.variant and t.variant not in s.variant:
        return "variant"
    if s.repo and norm_repo(t.repo) not in {norm_repo(r) for r in s.repo}:
        return "repo"
    if s.operator and operator(t, operators, where) not in s.operator:
        return "operator"
    n = len(t.turns)
    if s.min_turns is not None and n < s.min_turns:
        return "min_turns"
    if s.max_turns is not None and n > s.max_turns:
        return "max_turns"
    if s.min_tokens is not None and recorded_tokens(t) < s.min_tokens:
        return "min_tokens"
    if s.max_tokens is not None and recorded_tokens(t) > s.max_tokens:
        return "max_tokens"
    return ""


def norm_repo(repo: str) -> str:
    r = repo.strip().lower().removesuffix(".git").rstrip("/")
    for prefix in ("https://github.com/", "http://github.com/", "git@github.com:", "github.com/"):
        r = r.removeprefix(prefix)
    return r


@dataclass
class BlockList:
    repos: set[str]
    names: set[str]
    instance_ids: set[str]
    fork_match: str

    def drop(self, t: Trajectory) -> str:
        if t.instance_id in self.instance_ids:
            return "blocked instance"
        repo = norm_repo(t.repo)
        if repo in self.repos:
            return "blocked repository"
        if self.fork_match == "name" and repo.rsplit("/", 1)[-1] in self.names:
            return "fork of a blocked repository"
        return ""


def load_blocklist(d: Decontamination) -> BlockList:
    repos: set[str] = set()
    ids = set(d.instance_ids)
    for name in d.blocklists:
        path = Path(name)
        if path.suffix != ".toml":
            shipped = resources.files("forager.export") / "data" / f"{name}.toml"
            if not shipped.is_file():
                raise ForagerError(f"no block list named {name!r} (shipped: swe-bench; or give a .toml path)")
            text = shipped.read_text()
        elif path.is_file():
            text = path.read_text()
        else:
            raise ForagerError(f"{path}: no such block list")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ForagerError(f"{name}: not a valid block list ({exc})") from None
        repos |= {norm_repo(r) for r in data.get("repos", []) + data.get("forks", [])}
        ids |= set(data.get("instance_ids", []))
    names = {r.rsplit("/", 1)[-1] for r in repos}
    return BlockList(repos=repos, names=names, instance_ids=ids, fork_match=d.fork_match)
