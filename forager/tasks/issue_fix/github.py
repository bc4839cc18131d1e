"""Issue-fix candidates from GitHub: merged pull requests that close an issue (PyGithub).

Used when GITHUB_TOKEN is set and api.github.com answers; otherwise skipped with a one-line
note, and the repository's history (history.py) is the only source. A pull request counts
when it was merged, its title or body links an issue of the same repository ("fixes #12",
"closes owner/name#12", ...), and its merge commit is in the image's history. The change is
the merge commit against its first parent, split like an offline commit; the issue's title
and body become the problem statement.
"""

from __future__ import annotations

import os
import re
from typing import Callable

import git
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from forager.records.recipe import Source
from forager.tasks.issue_fix.candidate import FixCandidate, Issue
from forager.tasks.issue_fix.history import split_commit

LINK_RE = re.compile(r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+([\w.-]+/[\w.-]+)?#(\d+)\b", re.I)
URL_RE = re.compile(r"github\.com[:/]+([A-Za-z0-9][\w.-]*/[\w.-]+?)(?:\.git)?/*$")
PULLS_PER_CANDIDATE = 20  # pull requests looked at per candidate wanted, at most

def repo_name(source: Source) -> str | None:
    """owner/name for a GitHub source or a git URL on github.com, else None."""
    if source.github:
        return source.github
    m = URL_RE.search(source.git or "")
    return m.group(1) if m else None


def linked_issues(text: str, repo: str) -> list[int]:
    """Issue numbers a pull request says it closes, in order, without duplicates."""
    out: list[int] = []
    for m in LINK_RE.finditer(text or ""):
        other, number = m.group(1), int(m.group(2))
        if (other is None or other.lower() == repo.lower()) and number not in out:
            out.append(number)
    return out


def _retrying(fn):
    from github.GithubException import RateLimitExceededException
    return retry(reraise=True, stop=stop_after_attempt(5), wait=wait_exponential(min=10, max=300),
                 retry=retry_if_exception_type(RateLimitExceededException))(fn)


def _is_ancestor(repo: git.Repo, commit: str, head: str) -> bool:
    try:
        repo.git.merge_base("--is-ancestor", commit, head)
        return True
    except git.GitCommandError:
        return False


def github_candidates(mirror: git.Repo, source: Source, head: str, limit: int,
                      note: Callable[[str], None]) -> list[FixCandidate]:
    """Up to `limit` candidates from merged pull requests linked to issues; [] when offline."""
    name = repo_name(source)
    if name is None or limit <= 0:
        return []
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        note("GITHUB_TOKEN is not set: issue-fix candidates come from the repository's history only")
        return []
    from github import Auth, Github, GithubException
    from requests import RequestException

    gh = Github(auth=Auth.Token(token), timeout=15, retry=None)
    try:
        gh_repo = _retrying(gh.get_repo)(name)
        pulls = gh_repo.get_pulls(state="closed", sort="created", direction="desc")
        found: list[FixCandidate] = []
        page = 0
        while len(found) < limit and page * gh.per_page < limit * PULLS_PER_CANDIDATE:
            batch = _retrying(pulls.get_page)(page)
            page += 1
            if not batch:
                break
            for pr in batch:
                if len(found) >= limit:
                    break
                cand = _candidate(mirror, gh_repo, name, head, pr)
                if cand is not None:
                    found.append(cand)
        return found
    except (GithubException, RequestException) as exc:
        note(f"GitHub did not answer for {name} ({type(exc).__name__}): "
             "issue-fix candidates come from the repository's history only")
        return []


def _candidate(mirror: git.Repo, gh_repo, name: str, head: str, pr) -> FixCandidate | None:
    sha = pr.merge_commit_sha
    if pr.merged_at is None or not sha or not _is_ancestor(mirror, sha, head):
        return None
    from github import UnknownObjectException

    for number in linked_issues(f"{pr.title}\n{pr.body or ''}", name):
        try:
            issue = _retrying(gh_repo.get_issue)(number)
        except UnknownObjectException:
            continue  # a link to an issue that does not exist (or was deleted)
        if issue.pull_request is not None:
            continue  # a link to another pull request, not an issue
        parents = mirror.commit(sha).parents
        if not parents:
            return None
        info = Issue(number=number, title=issue.title or "", body=issue.body or "", url=issue.html_url or "")
        return split_commit(mirror, sha, parents[0].hexsha, issue=info, pull_request=pr.number)
    return None
