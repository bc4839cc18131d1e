"""issue-fix end to end: a repository whose history is built here, a full-history image, tasks,
and the episode start state that hides every later commit."""

from __future__ import annotations

import json
import os
from pathlib import Path

import git
import pytest

from forager.containers import Sandbox
from forager.images.pipeline import build_one
from forager.jsonio import read_lines
from forager.records import ledger
from forager.records.task import Task
from forager.tasks.issue_fix import start_state_script
from forager.tasks.issue_fix.pipeline import run_issue_fix

pytestmark = pytest.mark.docker

PYPROJECT = """[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "calc"
version = "{version}"

[tool.setuptools]
packages = ["calc"]

[tool.pytest.ini_options]
addopts = "-p no:cacheprovider"
"""

OPS = '''def add(a, b):
    return a + b


def total(xs):
    return sum(xs)


def describe(xs):
    {describe}
    return f"{{len(xs)}} items"


def clamp(x, lo, hi):
    """Limit x to the closed interval [lo, hi]."""
    if x < lo:
        return lo
    if x > hi:
        return {high}
    return x


def mean(xs):
    xs = list(xs)
    {mean}
    return sum(xs) / len(xs)
'''

TEST_OPS = '''from calc.ops import add, clamp, describe, total


def test_add():
    assert add(2, 3) == 5


def test_total():
    assert total([1, 2, 3]) == 6
'''


def ops(describe="pass", high="x", mean="pass", add_body=None) -> str:
    text = OPS.format(describe=describe, high=high, mean=mean)
    if add_body:
        text = text.replace("    return a + b\n", add_body)
    return text


class History:
    def __init__(self, root: Path):
        self.repo = git.Repo.init(root, initial_branch="main")
        self.root = root
        self.n = 0

    def commit(self, message: str, files: dict[str, str]) -> str:
        for rel, text in files.items():
            p = self.root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
            self.repo.git.add(rel)
        self.n += 1
        date = f"2024-01-{self.n:02d}T12:00:00Z"
        env = {"GIT_AUTHOR_NAME": "dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_AUTHOR_DATE": date,
               "GIT_COMMITTER_NAME": "dev", "GIT_COMMITTER_EMAIL": "dev@example.com", "GIT_COMMITTER_DATE": date}
        self.repo.git.commit("-q", "-m", message, env={**os.environ, **env})
        return self.repo.head.commit.hexsha


def build_history(root: Path) -> dict[str, str]:
    h = History(root)
    c = {}
    c["initial"] = h.commit("Initial calc package", {
        "pyproject.toml": PYPROJECT.format(version="0.1.0"), "calc/__init__.py": "",
        "calc/ops.py": ops(), "tests/test_ops.py": TEST_OPS, "README.md": "calc\n"})
    # Changes the packaging (version) too: its base needs a reinstalled environment.
    message = ("describe() accepts any iterable\n\nIt called len() on generators.\n\n"
               "Signed-off-by: dev <dev@example.com>")
    c["describe"] = h.commit(message, {
        "pyproject.toml": PYPROJECT.format(version="0.2.0"), "calc/ops.py": ops(describe="xs = list(xs)"),
        "tests/test_ops.py": TEST_OPS + "\n\ndef test_describe_generator():\n"
                                        "    assert describe(x for x in 'ab') == '2 items'\n"})
    test_ops2 = TEST_OPS + ("\n\ndef test_describe_generator():\n    assert describe(x for x in 'ab') == '2 items'\n"
                            "\n\ndef test_clamp_low():\n    assert clamp(-5, 0, 10) == 0\n"
                            "\n\ndef test_clamp_high():\n    assert clamp(50, 0, 10) == 10\n")
    c["clamp"] = h.commit("Fix clamp above the upper bound", {
        "calc/ops.py": ops(describe="xs = list(xs)", high="hi"), "tests/test_ops.py": test_ops2})
    c["docs"] = h.commit("Document usage", {"README.md": "calc\n\nSmall arithmetic helpers.\n"})
    c["mean"] = h.commit("mean() of nothing is 0.0", {
        "calc/ops.py": ops(describe="xs = list(xs)", high="hi", mean="if not xs:\n        return 0.0"),
        "tests/test_stats.py": "from calc.ops import mean\n\n\ndef test_mean_values():\n"
                               "    assert mean([1, 2, 3]) == 2\n\n\ndef test_mean_empty():\n"
                               "    assert mean([]) == 0.0\n"})
    # Code and tests change, but the new test passes before the change too: no task.
    c["refactor"] = h.commit("Tidy add", {
        "calc/ops.py": ops(describe="xs = list(xs)", high="hi", mean="if not xs:\n        return 0.0",
                           add_body="    total = a + b\n    return total\n"),
        "tests/test_ops.py": test_ops2 + "\n\ndef test_add_negative():\n    assert add(-2, -3) == -5\n"})
    return c


@pytest.fixture(scope="module")
def built(base_image, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("issuefix")
    mp = pytest.MonkeyPatch()
    mp.setenv("FORAGER_HOME", str(tmp / "home"))
    mp.delenv("GITHUB_TOKEN", raising=False)
    commits = build_history(tmp / "calc")
    recipe = tmp / "recipes" / "issuefix-calc.toml"
    recipe.parent.mkdir()
    recipe.write_text(f"""python = "3.11"
install = ["pip install -e ."]

[source]
git = "{tmp / 'calc'}"
commit = "{commits['refactor']}"
history = "full"

[test]
paths = ["tests"]
timeout = 120

[validation]
runs = 2
""")
    outcome = build_one(recipe, tmp / "images")
    assert outcome.status == "built", outcome.message
    yield tmp, commits, outcome.manifest
    mp.undo()
    from forager.engine import client
    client().images.remove(outcome.manifest.image_tag, force=True)


@pytest.fixture(scope="module")
def generated(built):
    tmp, commits, m = built
    out = tmp / "tasks.jsonl"
    summary = run_issue_fix([m], out, max_candidates=10, statement="commit")
    tasks = {t.meta.source_commit: t for t in read_lines(out, Task)}
    yield tmp, commits, m, out, summary, tasks
    from forager.engine import client
    for t in tasks.values():
        if t.image != m.image_tag:
            client().images.remove(t.image, force=True)


def test_bug_fixing_commits_become_tasks(generated):
    tmp, c, m, out, summary, tasks = generated
    assert not summary.failed_images
    st = summary.images[m.id]
    assert (st.candidates, st.validated, st.kept) == (4, 4, 3)
    assert set(tasks) == {c["describe"], c["clamp"], c["mean"]}
    assert c["docs"] not in tasks and c["refactor"] not in tasks

    t = tasks[c["clamp"]]
    assert t.variant == "issue-fix" and t.commit == c["describe"] and t.meta.source_commit == c["clamp"]
    assert t.FAIL_TO_PASS == ["tests/test_ops.py::test_clamp_high"]
    assert "tests/test_ops.py::test_clamp_low" in t.PASS_TO_PASS and "tests/test_ops.py::test_add" in t.PASS_TO_PASS
    assert "tests/test_ops.py" in t.test_patch and "calc/ops.py" not in t.test_patch
    assert "calc/ops.py" in t.gold_patch and "tests/" not in t.gold_patch
    assert t.problem_statement.startswith("Fix clamp above the upper bound\n")
    assert t.meta.environment == "reused" and t.image == m.image_tag

    t = tasks[c["mean"]]
    assert t.commit == c["docs"]
    assert t.FAIL_TO_PASS == ["tests/test_stats.py::test_mean_empty"]
    assert "tests/test_stats.py::test_mean_values" in t.PASS_TO_PASS

    t = tasks[c["describe"]]
    assert t.commit == c["initial"]
    assert t.FAIL_TO_PASS == ["tests/test_ops.py::test_describe_generator"]
    assert sorted(t.PASS_TO_PASS) == ["tests/test_ops.py::test_add", "tests/test_ops.py::test_total"]
    assert t.meta.environment == "reinstalled" and t.image != m.image_tag
    assert "pyproject.toml" in t.meta.environment_reason and "pyproject.toml" in t.gold_patch
    assert "Signed-off-by" not in t.problem_statement and "It called len() on generators." in t.problem_statement

    attempts = {a.key: json.loads(line) for line, a in zip(
        ledger.ledger_path(out).read_text().splitlines(), ledger.load(out).values())}
    assert attempts[c["refactor"]]["outcome"] == "no-fail-to-pass" and attempts[c["refactor"]]["reason"]


def test_rerun_resumes_without_duplicates(generated):
    tmp, c, m, out, summary, tasks = generated
    again = run_issue_fix([m], out, max_candidates=10, show=False)
    assert again.images[m.id].validated == 0 and again.images[m.id].kept == 3
    assert len(list(read_lines(out, Task))) == 3


def test_squashed_image_is_refused_with_advice(generated):
    tmp, c, m, out, summary, tasks = generated
    squashed = m.model_copy(update={"recipe": m.recipe.model_copy(update={
        "source": m.recipe.source.model_copy(update={"history": "squash"})})})
    s = run_issue_fix([squashed], tmp / "other.jsonl", show=False)
    assert 'history = "full"' in s.failed_images[m.id]


def test_start_state_hides_later_history(generated):
    tmp, c, m, out, summary, tasks = generated
    src = git.Repo(tmp / "calc")
    later = [c[k] for k in ("describe", "clamp", "docs", "mean", "refactor")]
    for fix in (c["describe"], c["mean"]):
        task = tasks[fix]
        fix_blobs = {src.git.rev_parse(f"{fix}:{p}") for p in task.meta.code_files + task.meta.test_files}
        with Sandbox.start(task.image, kind="test-issue-fix") as box:
            res = box.exec(start_state_script(task), timeout=120)
            assert res.exit_code == 0, res.output
            log = box.exec("git log --all --format=%H").output.split()
            assert len(log) == 1 and not set(log) & set(later)
            assert box.exec("git rev-parse HEAD^{tree}").output.strip() == src.commit(task.commit).tree.hexsha
            fsck = box.exec("git fsck --unreachable --no-reflogs 2>&1")
            assert fsck.exit_code == 0 and "unreachable" not in fsck.output, fsck.output
            objects = box.exec("git cat-file --batch-all-objects --batch-check").output
            assert not any(b in objects for b in fix_blobs), objects
            assert not any(x in objects for x in later)
            refs = box.exec("git for-each-ref; git stash list; git reflog --all; git remote").output.split("\n")
            assert [r for r in refs if r.strip() and "refs/heads/main" not in r and "HEAD@" not in r
                    and "main@" not in r] == []
            assert box.exec("git status --porcelain").output.strip() == ""
            # The install's file list (written at a later commit) names no file the base lacks.
            sources = box.exec("cat /testbed/calc.egg-info/SOURCES.txt")
            assert sources.exit_code == 0 and "calc/ops.py" in sources.output
            if fix == c["mean"]:
                assert "test_stats" not in sources.output
            # The failing tests fail at the start state once the withheld tests are in, and pass with the fix.
            box.write_file("/tmp/t.patch", task.test_patch.encode())
            box.write_file("/tmp/g.patch", task.gold_patch.encode())
            ids = " ".join(task.FAIL_TO_PASS)
            assert box.exec(f"git apply /tmp/t.patch && python -m pytest -q {ids}").exit_code != 0
            assert box.exec(f"git apply /tmp/g.patch && python -m pytest -q {ids}").exit_code == 0


def test_start_state_script_needs_a_base_commit(generated):
    tmp, c, m, out, summary, tasks = generated
    t = tasks[c["clamp"]].model_copy(update={"commit": None})
    with pytest.raises(ValueError):
        start_state_script(t)


def test_issue_fix_grading(generated):
    from forager.harvest.grading import grade
    tmp, c, m, out, summary, tasks = generated
    for t in tasks.values():
        g = grade(t, t.gold_patch)
        assert g.resolved, (t.instance_id, g.error, g.log)
    t = tasks[c["clamp"]]
    # A submission that fixes nothing: the withheld test patch's tests decide, and fail.
    g = grade(t, "--- /dev/null\n+++ b/calc/notes.py\n@@ -0,0 +1 @@\n+NOTE = 1\n")
    assert g.applied and not g.resolved and "tests/test_ops.py::test_clamp_high" in {
        r.test for r in g.fail_to_pass if r.status != "passed"}
    # A test patch that does not apply is a failed grading, never a run without the tests.
    lines = t.test_patch.splitlines(keepends=True)
    i = next(i for i, ln in enumerate(lines) if ln.startswith(" ") and ln.strip())
    lines[i] = lines[i].rstrip("\n") + "  # drifted\n"
    g = grade(t.model_copy(update={"test_patch": "".join(lines)}), t.gold_patch)
    assert not g.resolved and g.error == "the test patch does not apply over the submission"


def test_statement_from_the_failing_tests_output_never_the_fix(generated):
    tmp, c, m, out, summary, tasks = generated
    other = tmp / "tests-statements.jsonl"
    run_issue_fix([m], other, max_candidates=10, per_image=1, show=False)  # the default: offline, the tests' output
    (t,) = list(read_lines(other, Task))
    assert t.meta.statement_origin == "tests"
    assert t.FAIL_TO_PASS[0] in t.problem_statement and "This is what running the tests prints" in t.problem_statement
    subject = tasks[t.meta.source_commit].problem_statement.splitlines()[0]
    assert subject not in t.problem_statement and "diff --git" not in t.problem_statement
    assert {x.meta.statement_origin for x in tasks.values()} == {"commit"}


def test_issue_fix_in_the_cwm_dialect(generated):
    """An issue-fix task worked in CWM's dialect: CWM's issue prompt around the issue, a scripted
    fix through the real loop and container, every observation checked, the patch resolved."""
    from forager.harvest.episode import HarvestSettings, prompts_for
    from forager.harvest.grading import grade
    from tests.integration.test_cwm_scripted import check_episode, run_scripted_fix
    tmp, c, m, out, summary, tasks = generated
    t = tasks[c["clamp"]]
    system, user = prompts_for(t, HarvestSettings(policy="cwm", endpoint="http://unused/v1"))
    assert f"<issue_description>\n{t.problem_statement}" in user and "\n\n# Environment\n\n" in system
    ep, edits, files = run_scripted_fix(t, system, user)
    check_episode(ep, edits, files)
    assert ep.messages[1].content == user.strip()
    g = grade(t, ep.patch)
    assert g.resolved, (g.error, g.log[-2000:])
