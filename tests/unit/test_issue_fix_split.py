"""issue-fix: mining a repository's history and splitting each change into test and code patches."""

from __future__ import annotations

import subprocess
from pathlib import Path

import git
import pytest

from forager.records.status import Status
from forager.tasks.issue_fix.candidate import FixCandidate, Issue
from forager.tasks.issue_fix.history import mine, qualifies, split_commit, split_paths
from forager.tasks.issue_fix.problem import clean_message, issue_fix_statement
from forager.tasks.issue_fix.validate import classify
from forager.testsuite.run import SuiteRun


def _repo(tmp_path: Path) -> git.Repo:
    repo = git.Repo.init(tmp_path / "repo", initial_branch="main")
    with repo.config_writer() as cw:
        cw.set_value("user", "name", "t")
        cw.set_value("user", "email", "t@example.com")
    return repo


def _commit(repo: git.Repo, message: str, files: dict[str, str | None]) -> str:
    root = Path(repo.working_tree_dir)
    for rel, text in files.items():
        p = root / rel
        if text is None:
            repo.git.rm("-q", rel)
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        repo.git.add(rel)
    repo.git.commit("-q", "--allow-empty", "-m", message)
    return repo.head.commit.hexsha


def _apply_check(repo: git.Repo, at: str, *patches: str, tmp: Path) -> Path:
    """Apply patches to a fresh checkout of `at`; returns the checkout."""
    wt = tmp / f"wt-{at[:8]}-{len(list(tmp.iterdir()))}"
    repo.git.worktree("add", "-q", "--detach", str(wt), at)
    for i, patch in enumerate(patches):
        f = tmp / f"p{i}-{wt.name}.patch"
        f.write_text(patch)
        subprocess.run(["git", "apply", str(f)], cwd=wt, check=True)
    return wt


@pytest.fixture
def history(tmp_path):
    repo = _repo(tmp_path)
    test_core = "from pkg.core import f\n\ndef test_f():\n    assert f(1) == 1\n"
    base = _commit(repo, "initial", {"pkg/__init__.py": "", "pkg/core.py": "def f(x):\n    return x\n",
                                     "tests/test_core.py": test_core, "README.md": "hello\n",
                                     "tests/data/old.txt": "old\n"})
    fix = _commit(repo, "Fix f for negatives\n\nf(-1) was -1.\n\nSigned-off-by: t <t@example.com>",
                  {"pkg/core.py": "def f(x):\n    return abs(x)\n", "CHANGES.md": "- f fixed\n",
                   "tests/test_core.py": test_core + "\ndef test_neg():\n    assert f(-1) == 1\n",
                   "tests/test_new.py": "def test_new():\n    pass\n", "tests/data/old.txt": None})
    docs = _commit(repo, "Docs", {"README.md": "hello world\n"})
    tests_only = _commit(repo, "More tests", {"tests/test_more.py": "def test_more():\n    pass\n"})
    code_only = _commit(repo, "Refactor", {"pkg/core.py": "def f(x):\n    return x if x >= 0 else -x\n"})
    non_py = _commit(repo, "Data and tests", {"pkg/data.json": "{}\n",
                                              "tests/test_data.py": "def test_d():\n    pass\n"})
    # A side branch merged with --no-ff: the merge is one change against its first parent; the side
    # commit itself is off the first-parent chain.
    repo.git.checkout("-q", "-b", "side")
    side = _commit(repo, "Side fix", {"pkg/side.py": "X = 1\n", "tests/test_side.py": "def test_s():\n    pass\n"})
    repo.git.checkout("-q", "main")
    repo.git.merge("-q", "--no-ff", "side", "-m", "Merge side")
    merge = repo.head.commit.hexsha
    fix2 = _commit(repo, "Fix g", {"pkg/g.py": "def g():\n    return 2\n",
                                   "tests/test_g.py": "from pkg.g import g\n\ndef test_g():\n    assert g() == 2\n"})
    return repo, dict(base=base, fix=fix, docs=docs, tests_only=tests_only, code_only=code_only,
                      non_py=non_py, side=side, merge=merge, fix2=fix2)


def test_split_paths_and_qualifies():
    tests, code = split_paths(["pkg/a.py", "tests/test_a.py", "conftest.py", "docs/x.rst", "pkg/a_test.py",
                               "testing/helpers.py", "tests/data/f.json"])
    assert tests == ["conftest.py", "pkg/a_test.py", "testing/helpers.py", "tests/data/f.json", "tests/test_a.py"]
    assert code == ["docs/x.rst", "pkg/a.py"]
    assert qualifies(tests, code)
    assert not qualifies(tests, ["docs/x.rst"])
    assert not qualifies([], ["pkg/a.py"])


def test_split_commit_patches_apply_at_parent(history, tmp_path):
    repo, c = history
    cand = split_commit(repo, c["fix"])
    assert cand is not None and cand.parent == c["base"] and cand.commit == c["fix"]
    assert cand.test_files == ("tests/data/old.txt", "tests/test_core.py", "tests/test_new.py")
    assert cand.code_files == ("CHANGES.md", "pkg/core.py")
    assert "tests/test_core.py" in cand.test_patch and "pkg/core.py" not in cand.test_patch
    assert "pkg/core.py" in cand.gold_patch and "tests/" not in cand.gold_patch
    assert "deleted file mode" in cand.test_patch and "new file mode" in cand.gold_patch
    assert cand.test_patch.endswith("\n") and cand.gold_patch.endswith("\n")
    # Each patch applies alone at the parent, and both together give the fixing commit's tree.
    _apply_check(repo, cand.parent, cand.test_patch, tmp=tmp_path)
    _apply_check(repo, cand.parent, cand.gold_patch, tmp=tmp_path)
    wt = _apply_check(repo, cand.parent, cand.test_patch, cand.gold_patch, tmp=tmp_path)
    subprocess.run(["git", "add", "-A"], cwd=wt, check=True)
    tree = subprocess.run(["git", "write-tree"], cwd=wt, check=True, capture_output=True, text=True).stdout.strip()
    assert tree == repo.commit(c["fix"]).tree.hexsha


def test_commits_that_do_not_qualify(history):
    repo, c = history
    for key in ("docs", "tests_only", "code_only", "non_py", "base", "merge"):
        assert split_commit(repo, c[key]) is None, key


def test_mine_walks_first_parent_newest_first(history):
    repo, c = history
    found = mine(repo, c["fix2"], max_candidates=10)
    assert [x.commit for x in found] == [c["fix2"], c["merge"], c["fix"]]
    assert found[0].parent == c["merge"] and found[1].parent == c["non_py"]
    assert found[1].test_files == ("tests/test_side.py",) and found[1].code_files == ("pkg/side.py",)
    assert [x.commit for x in mine(repo, c["fix2"], max_candidates=1)] == [c["fix2"]]
    assert [x.commit for x in mine(repo, c["docs"], max_candidates=10)] == [c["fix"]]
    assert mine(repo, c["base"], max_candidates=10) == []


def test_odd_file_names_stay_literal(tmp_path):
    repo = _repo(tmp_path)
    _commit(repo, "init", {"pkg/[x].py": "A = 1\n", "tests/test_*.py": "def test_a():\n    pass\n"})
    fix = _commit(repo, "fix", {"pkg/[x].py": "A = 2\n", "tests/test_*.py": "def test_a():\n    assert 1\n"})
    cand = split_commit(repo, fix)
    assert cand is not None and cand.code_files == ("pkg/[x].py",) and cand.test_files == ("tests/test_*.py",)
    _apply_check(repo, cand.parent, cand.test_patch, cand.gold_patch, tmp=tmp_path)


def test_problem_statement_from_commit_message(history):
    repo, c = history
    cand = split_commit(repo, c["fix"])
    subject, body = clean_message(cand.message)
    assert subject == "Fix f for negatives" and body == "f(-1) was -1."
    text = issue_fix_statement(cand, "demo")
    assert text.startswith("Fix f for negatives\n\nf(-1) was -1.\n")
    assert "Signed-off-by" not in text and "history of demo" in text


def test_problem_statement_from_issue():
    cand = FixCandidate(commit="a" * 40, parent="b" * 40, message="Fix it (#3)", test_files=("tests/test_x.py",),
                     code_files=("x.py",), test_patch="", gold_patch="", origin="github",
                     issue=Issue(3, "Crash on empty input", "<!-- template -->\nSteps: call f([])"))
    text = issue_fix_statement(cand, "owner/name")
    assert text.startswith("Crash on empty input\n\nSteps: call f([])\n") and "issue #3 of owner/name" in text
    assert "template" not in text and "Fix it" not in text


def _run(**statuses: str) -> SuiteRun:
    return SuiteRun(statuses={k: Status(v) for k, v in statuses.items()}, exit_code=0, duration=0.1,
                    timed_out=False, junit_ok=True, output_tail="")


def test_classify_fail_to_pass_and_pass_to_pass():
    before = [_run(a="passed", b="failed", c="passed", d="passed", fl="failed"),
              _run(a="passed", b="error", c="failed", d="passed", fl="failed")]
    after = [_run(a="passed", b="passed", c="passed", d="failed", e="passed", fl="passed"),
             _run(a="passed", b="passed", c="passed", d="failed", e="passed", fl="passed")]
    f2p, p2p = classify(before, after, flaky={"fl"})
    # e did not run before (collection error of a new test module): it did not pass, so it counts.
    assert f2p == ["b", "e"]
    assert p2p == ["a"]  # c changed between runs without the fix; d broke; fl is flaky in the image


def test_github_links_and_names():
    from forager.records.recipe import Source
    from forager.tasks.issue_fix.github import linked_issues, repo_name
    text = "Fixes #12, closes owner/name#7; resolved other/repo#9; see #3; fix: #12"
    assert linked_issues(text, "Owner/Name") == [12, 7]
    assert repo_name(Source(github="a/b")) == "a/b"
    assert repo_name(Source(git="https://github.com/a/b.git")) == "a/b"
    assert repo_name(Source(git="git@github.com:a/b.git")) == "a/b"
    assert repo_name(Source(git="/srv/git/b.git")) is None


def test_github_pull_request_becomes_candidate(history, monkeypatch):
    from types import SimpleNamespace as NS

    from forager.tasks.issue_fix import github as gh
    repo, c = history
    issues = {5: NS(pull_request=None, title="f is wrong for negatives", body="f(-1) gives -1", html_url="u5"),
              6: NS(pull_request=NS(), title="a PR", body="", html_url="u6")}
    gh_repo = NS(get_issue=lambda n: issues[n])
    pr = NS(number=9, merge_commit_sha=c["fix"], merged_at="2024", title="Fix f", body="Closes #6. Fixes #5.")
    cand = gh._candidate(repo, gh_repo, "o/n", c["fix2"], pr)
    assert cand is not None and cand.origin == "github" and cand.pull_request == 9 and cand.parent == c["base"]
    assert cand.issue.number == 5 and "f(-1) gives -1" in issue_fix_statement(cand, "o/n")
    # Not merged, not in the image's history, or linked to no issue: no candidate.
    assert gh._candidate(repo, gh_repo, "o/n", c["fix2"], NS(**{**pr.__dict__, "merged_at": None})) is None
    assert gh._candidate(repo, gh_repo, "o/n", c["base"], pr) is None
    assert gh._candidate(repo, gh_repo, "o/n", c["fix2"], NS(**{**pr.__dict__, "body": "see #5"})) is None
    # The merge commit of a side branch: the change against the first parent.
    merged = gh._candidate(repo, gh_repo, "o/n", c["fix2"], NS(**{**pr.__dict__, "merge_commit_sha": c["merge"]}))
    assert merged is not None and merged.parent == c["non_py"] and merged.test_files == ("tests/test_side.py",)
