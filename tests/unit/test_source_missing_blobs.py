"""A mirror that lacks some blobs (a snapshot without its largest files) still exports the commit:
the files it cannot hold are left out and named."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import git

from forager.images.source import _export_commit


def test_blobs_missing_from_the_mirror_are_left_out_and_named(tmp_path):
    work = tmp_path / "work"
    (work / "data").mkdir(parents=True)
    (work / "pkg.py").write_text("x = 1\n")
    (work / "data" / "big.yaml").write_text("huge: cassette\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t"}
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "c"]):
        subprocess.run(cmd, cwd=work, env=env, check=True)
    subprocess.run(["git", "clone", "-q", "--bare", "--no-local", str(work), str(tmp_path / "mirror.git")], check=True)
    repo = git.Repo(tmp_path / "mirror.git")
    blob = repo.git.rev_parse("HEAD:data/big.yaml")
    packs = tmp_path / "packs"  # out of the repository, so unpacking writes loose objects
    (tmp_path / "mirror.git" / "objects" / "pack").rename(packs)
    (tmp_path / "mirror.git" / "objects" / "pack").mkdir()
    with open(next(packs.glob("*.pack")), "rb") as pack:
        subprocess.run(["git", "unpack-objects", "-q"], cwd=tmp_path / "mirror.git", check=True, stdin=pack)
    (tmp_path / "mirror.git" / "objects" / blob[:2] / blob[2:]).unlink()

    missing = _export_commit(repo, repo.head.commit.hexsha, tmp_path / "out")
    assert missing == ["data/big.yaml"]
    assert (tmp_path / "out" / "pkg.py").read_text() == "x = 1\n"
    assert not Path(tmp_path / "out" / "data" / "big.yaml").exists()
