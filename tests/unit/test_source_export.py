"""Exporting a pinned commit of a git source: the whole tree (export-ignore too), squashed to one commit."""

import subprocess

import git

from forager.images import source
from forager.records.recipe import load_recipe


def test_git_source_is_exported_whole_and_squashed(tmp_path, monkeypatch):
    monkeypatch.setenv("FORAGER_HOME", str(tmp_path / "home"))
    upstream = tmp_path / "up"
    repo = git.Repo.init(upstream, initial_branch="main")
    (upstream / "tests").mkdir()
    (upstream / "tests" / "test_a.py").write_text("def test_a():\n    pass\n")
    (upstream / ".gitattributes").write_text("tests export-ignore\n")
    (upstream / "m.py").write_text("x = 1\n")
    repo.git.add("-A")
    repo.git.commit("-m", "one", env={"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b",
                                     "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b"})
    (upstream / "m.py").write_text("x = 2\n")
    repo.git.commit("-am", "two", env={"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b",
                                      "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b"})
    first = repo.git.rev_parse("HEAD~1")
    recipe = tmp_path / "r.toml"
    recipe.write_text(f'[source]\ngit = "{upstream}"\ncommit = "{first[:10]}"\n')
    loaded = load_recipe(recipe)
    commit = source.resolve_commit(loaded.recipe.source)
    assert commit == first
    dest = tmp_path / "testbed"
    source.materialize(loaded, commit, dest)
    assert (dest / "tests" / "test_a.py").exists() and (dest / "m.py").read_text() == "x = 1\n"
    log = subprocess.run(["git", "-C", str(dest), "log", "--format=%s"], capture_output=True, text=True).stdout
    assert log.splitlines() == [f"r at {first}"]
