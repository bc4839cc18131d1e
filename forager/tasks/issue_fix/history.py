"""Offline issue-fix candidates: commits of the repository's own history that fix code and test it.

Walk the first-parent chain backwards from the image's commit, skip the root commit, and keep
commits whose change touches at least one test file and at least one non-test `.py` file. A
merge counts as one change against its first parent, as a merged pull request is (a history
of merged branches would otherwise give no candidate at all). Each kept commit is split into a test patch (the test files) and a gold
patch (everything else), both `git diff parent commit -- paths`, so `git apply` takes them
at the parent, which becomes the task's base commit.
"""

from __future__ import annotations

from typing import Iterator

import git

from forager.tasks.issue_fix.candidate import FixCandidate, Issue
from forager.testsuite.testfiles import is_test_path

# Commits looked at, at most, per image when --max-candidates is not reached sooner.
MAX_SCAN = 2000
_RS = "\x1e"


def split_paths(paths: list[str]) -> tuple[list[str], list[str]]:
    """(test files, other files), each sorted."""
    tests = sorted(p for p in paths if is_test_path(p))
    code = sorted(p for p in paths if not is_test_path(p))
    return tests, code


def qualifies(tests: list[str], code: list[str]) -> bool:
    """A candidate changes tests and Python code outside the tests."""
    return bool(tests) and any(p.endswith(".py") for p in code)


def _git(repo: git.Repo, *args: str) -> bytes:
    # Fixed options so a user's git config (prefixes, colour, external diff, quoting) cannot
    # change what is produced; pathspecs are literal so odd file names stay file names.
    argv = ["git", "--literal-pathspecs", "-c", "core.quotepath=off", "-c", "diff.noprefix=false",
            "-c", "diff.mnemonicPrefix=false", *args]
    return repo.git.execute(argv, stdout_as_string=False, strip_newline_in_stdout=False)


def changed_paths(repo: git.Repo, parent: str, commit: str) -> list[str]:
    out = _git(repo, "diff", "--no-renames", "--name-only", "-z", parent, commit)
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def diff(repo: git.Repo, parent: str, commit: str, paths: list[str]) -> str:
    """A git-apply-able patch of `paths` from parent to commit (UnicodeDecodeError if not UTF-8)."""
    if not paths:
        return ""
    out = _git(repo, "diff", "--no-renames", "--binary", "--full-index", "--no-color", "--no-ext-diff",
               "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/", parent, commit, "--", *paths)
    return out.decode("utf-8")


def split_commit(repo: git.Repo, commit: str, parent: str | None = None, *,
                 issue: Issue | None = None, pull_request: int | None = None) -> FixCandidate | None:
    """The candidate for `commit` (against its first parent unless given), or None if it does not qualify."""
    c = repo.commit(commit)
    if parent is None:
        if len(c.parents) != 1:
            return None
        parent = c.parents[0].hexsha
    tests, code = split_paths(changed_paths(repo, parent, c.hexsha))
    if not qualifies(tests, code):
        return None
    try:
        test_patch, gold_patch = diff(repo, parent, c.hexsha, tests), diff(repo, parent, c.hexsha, code)
    except UnicodeDecodeError:
        return None  # a patch that is not UTF-8 text cannot go into a JSON task
    message = c.message if isinstance(c.message, str) else c.message.decode("utf-8", "replace")
    return FixCandidate(commit=c.hexsha, parent=parent, message=message, test_files=tuple(tests),
                     code_files=tuple(code), test_patch=test_patch, gold_patch=gold_patch,
                     origin="github" if issue else "history", issue=issue, pull_request=pull_request)


def _first_parent_log(repo: git.Repo, head: str, max_scan: int) -> Iterator[tuple[str, list[str], list[str]]]:
    """(commit, parents, changed paths) along the first-parent chain, newest first."""
    out = _git(repo, "log", "--first-parent", "--diff-merges=first-parent", "--no-renames", "--name-only",
               f"--max-count={max_scan}",
               f"--format={_RS}%H %P", head, "--").decode("utf-8", "surrogateescape")
    for record in out.split(_RS):
        lines = record.split("\n")
        if not lines[0].strip():
            continue
        ids = lines[0].split()
        yield ids[0], ids[1:], [ln for ln in lines[1:] if ln]


def mine(repo: git.Repo, head: str, max_candidates: int, max_scan: int = MAX_SCAN) -> list[FixCandidate]:
    """Up to max_candidates candidates, newest first, from the history behind `head`."""
    found: list[FixCandidate] = []
    for commit, parents, paths in _first_parent_log(repo, head, max_scan):
        if len(found) >= max_candidates:
            break
        if not parents or not qualifies(*split_paths(paths)):
            continue  # the root commit, and changes without both tests and code
        cand = split_commit(repo, commit, parents[0])
        if cand is not None:
            found.append(cand)
    return found
