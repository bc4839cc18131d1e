"""Bring a recipe's source tree into a build context: clone (gitpython), pin, export, squash."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import git
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from forager import paths
from forager.errors import ForagerError
from forager.hashing import IGNORED, digest, tree_digest
from forager.records.recipe import LoadedRecipe, Source

# Fixed identity and date so squashing the same tree twice gives the same commit.
SQUASH_ENV = {
    "GIT_AUTHOR_NAME": "forager", "GIT_AUTHOR_EMAIL": "forager@localhost",
    "GIT_COMMITTER_NAME": "forager", "GIT_COMMITTER_EMAIL": "forager@localhost",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z",
}

_retry_network = retry(reraise=True, stop=stop_after_attempt(3), wait=wait_exponential(min=2, max=20),
                       retry=retry_if_exception_type(git.GitCommandError))


def mirror_dir(url: str) -> Path:
    return paths.cache("git") / (digest(url)[:16] + ".git")


@_retry_network
def _clone_bare(url: str, dest: Path) -> git.Repo:
    # git itself resolves url.<base>.insteadOf, so mirrors of bare repositories just work.
    return git.Repo.clone_from(url, dest, bare=True)


@_retry_network
def _fetch(repo: git.Repo) -> None:
    repo.git.fetch("origin", "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*", "--prune")


def _has_commit(repo: git.Repo, commit: str) -> bool:
    try:
        repo.git.rev_parse("--verify", "--quiet", f"{commit}^{{commit}}")
        return True
    except git.GitCommandError:
        return False


def bare_mirror(source: Source) -> git.Repo:
    """A bare clone in Forager's cache, fetched again when the pinned commit is missing."""
    url, dest = source.clone_url(), mirror_dir(source.clone_url())
    try:
        repo = git.Repo(dest) if dest.exists() else _clone_bare(url, dest)
        if source.commit and not _has_commit(repo, source.commit):
            _fetch(repo)
    except git.GitCommandError as exc:
        shutil.rmtree(dest, ignore_errors=True) if not (dest / "HEAD").exists() else None
        detail = (exc.stderr or str(exc)).strip().splitlines()[-1:] or ["?"]
        raise ForagerError(f"cannot clone {url}: {detail[0].strip()[:200]}") from None
    return repo


def resolve_commit(source: Source) -> str:
    """The full commit id a git/github source is pinned to (resolving ref or HEAD if unset)."""
    repo = bare_mirror(source)
    target = source.commit or source.ref or "HEAD"
    if not _has_commit(repo, target):
        raise ForagerError(f"commit {target} not found in {source.clone_url()}")
    return repo.git.rev_parse(f"{target}^{{commit}}")


def source_digest(loaded: LoadedRecipe) -> tuple[str, str | None]:
    """(hash of the source content, resolved commit or None for a local path)."""
    local = loaded.source_dir()
    if local is not None:
        return tree_digest(local), None
    commit = resolve_commit(loaded.recipe.source)
    return commit, commit


def _export_commit(repo: git.Repo, commit: str, dest: Path) -> list[str]:
    """Write the commit's tree into dest. Not `git archive`: it drops `export-ignore` paths,
    and some repositories mark their tests that way. Returns the paths left out because the
    repository lacks their blobs (a mirror snapshot without its largest files)."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        repo.git.read_tree(commit, env=env)
        missing = _missing_blobs(repo, commit)
        if missing:
            repo.git.execute(["git", f"--git-dir={repo.git_dir}", f"--work-tree={dest}", "update-index", "--force-remove",
                              "--", *missing], env=env)
        repo.git.execute(["git", f"--git-dir={repo.git_dir}", f"--work-tree={dest}", "checkout-index", "-a", "-f"],
                         env=env)
    return missing


def _missing_blobs(repo: git.Repo, commit: str) -> list[str]:
    """Paths of the commit's tree whose blobs the repository does not hold."""
    entries = [ln.split("\t", 1) for ln in repo.git.ls_tree("-r", "--full-tree", commit).splitlines() if "\t" in ln]
    blobs = [(meta.split()[2], path) for meta, path in entries if meta.split()[1] == "blob"]
    if not blobs:
        return []
    res = subprocess.run(["git", f"--git-dir={repo.git_dir}", "cat-file", "--batch-check"], capture_output=True, text=True,
                         input="".join(f"{sha}\n" for sha, _ in blobs), check=True)
    return [path for (sha, path), line in zip(blobs, res.stdout.splitlines()) if line.endswith(" missing")]


def _copy_local(src: Path, dest: Path) -> None:
    def ignore(_dir, names):
        return [n for n in names if n in IGNORED or n.endswith((".egg-info", ".pyc"))]
    shutil.copytree(src, dest, ignore=ignore, dirs_exist_ok=True, symlinks=True)


def _squash(dest: Path, message: str) -> None:
    env = {**os.environ, **SQUASH_ENV}
    repo = git.Repo.init(dest, initial_branch="main")
    repo.git.add("-A", "--force", env=env)
    repo.git.commit("-q", "--no-verify", "-m", message, env=env)


def _full_history(repo: git.Repo, commit: str, dest: Path) -> None:
    clone = git.Repo.clone_from(repo.git_dir, dest, no_checkout=True)
    clone.git.checkout("-q", "-B", "main", commit)
    clone.git.remote("remove", "origin")


def materialize(loaded: LoadedRecipe, commit: str | None, dest: Path) -> list[str]:
    """Write the repository tree (with its .git) that becomes /testbed; returns the paths left out
    because the mirror lacks their content."""
    src, name = loaded.source_dir(), loaded.recipe.name
    if src is not None:
        _copy_local(src, dest)
        _squash(dest, f"{name}: snapshot of {src.name}")
        return []
    repo = bare_mirror(loaded.recipe.source)
    assert commit
    if loaded.recipe.source.history == "full":
        _full_history(repo, commit, dest)
        return []
    missing = _export_commit(repo, commit, dest)
    _squash(dest, f"{name} at {commit}")
    return missing
