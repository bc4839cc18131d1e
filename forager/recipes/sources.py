"""SOURCE arguments of `recipe infer` and `build-images`: a recipe file, owner/name@commit, a git
URL with @commit, a local git repository, or a file listing any of those (one a line)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from forager.errors import ForagerError
from forager.records.recipe import NAME_RE, Source

_GITHUB = re.compile(r"^(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+?)(?:\.git)?(?:@(?P<commit>[0-9a-fA-F]{7,40}))?$")
_URL = re.compile(r"^(?P<url>(?:https?|ssh|git|file)://\S+?|[\w.-]+@[\w.-]+:\S+?)(?:@(?P<commit>[0-9a-fA-F]{7,40}))?$")


@dataclass(frozen=True)
class RepoSource:
    """A repository to infer a recipe for."""

    source: Source
    name: str  # the recipe (and image) name
    text: str  # as the user wrote it


@dataclass(frozen=True)
class RecipeFile:
    path: Path


def recipe_name(text: str) -> str:
    """A recipe name from a repository's name: lowercase, safe characters only."""
    last = text.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].removesuffix(".git")
    name = re.sub(r"[^a-z0-9._-]+", "-", last.lower()).strip("-._") or "repo"
    name = name if name[0].isalnum() else f"r{name}"
    return name[:64] if NAME_RE.fullmatch(name[:64]) else "repo"


def parse_source(text: str, where: str = "argument") -> RepoSource | RecipeFile:
    text = text.strip()
    path = Path(text)
    if text.endswith(".toml"):
        if not path.is_file():
            raise ForagerError(f"{where}: no recipe file {text}")
        return RecipeFile(path)
    if path.is_dir():
        if not (path / ".git").exists():
            raise ForagerError(f"{where}: {text} is a directory but not a git repository (inference reads a commit)")
        return RepoSource(Source(git=str(path.resolve())), recipe_name(str(path.resolve())), text)
    if m := _URL.match(text):
        return RepoSource(Source(git=m["url"], commit=m["commit"]), recipe_name(m["url"]), text)
    if m := _GITHUB.match(text):
        return RepoSource(Source(github=m["repo"], commit=m["commit"]), recipe_name(m["repo"]), text)
    raise ForagerError(f"{where}: '{text}' is not a recipe file, owner/name@commit, a git URL@commit or a local git "
                       "repository")


def expand(args: list[str]) -> list[RepoSource | RecipeFile]:
    """Every SOURCE, with list files (any other existing file) read line by line ('#' starts a comment)."""
    out: list[RepoSource | RecipeFile] = []
    for arg in args:
        p = Path(arg)
        if p.is_file() and not arg.endswith(".toml"):
            for n, line in enumerate(p.read_text().splitlines(), 1):
                line = line.split("#", 1)[0].strip()
                if line:
                    out.append(parse_source(line.split()[0], f"{arg}:{n}"))
        else:
            out.append(parse_source(arg))
    return out
