"""mutate-fix on the example image: every operator kept, FAIL_TO_PASS real, deterministic, resumable."""

from __future__ import annotations

import pytest

from forager.containers import Sandbox
from forager.jsonio import read_lines
from forager.records import ledger
from forager.records.task import Task
from forager.tasks.mutate import OPERATORS
from forager.tasks.mutate_fix.pipeline import Settings, generate
from forager.testsuite.run import run_tests
from tests.conftest import ALL_OPERATORS_TASKS

pytestmark = pytest.mark.docker


def test_every_operator_yields_a_kept_task(example_tasks):
    assert {t.meta.operator for t in example_tasks} == set(OPERATORS)
    for t in example_tasks:
        assert t.FAIL_TO_PASS and t.bug_patch and t.gold_patch
        assert not set(t.FAIL_TO_PASS) & set(t.PASS_TO_PASS)
        assert all(f in t.problem_statement for f in t.FAIL_TO_PASS[:20])
        assert not any("test_flaky" in x for x in t.FAIL_TO_PASS + t.PASS_TO_PASS)


def test_fail_to_pass_fails_with_the_bug_and_passes_without_it(example_tasks):
    for t in example_tasks:
        with Sandbox.start(t.image, kind="test") as box:
            clean = run_tests(box, t.test_spec, t.FAIL_TO_PASS)
            box.write_file("/tmp/bug.patch", t.bug_patch.encode())
            assert box.exec("git apply /tmp/bug.patch").exit_code == 0
            buggy = run_tests(box, t.test_spec, t.FAIL_TO_PASS + t.PASS_TO_PASS)
        assert all(clean.statuses.get(f) == "passed" for f in t.FAIL_TO_PASS), t.instance_id
        assert all(buggy.statuses.get(f) != "passed" for f in t.FAIL_TO_PASS), t.instance_id
        assert all(buggy.statuses.get(p) == "passed" for p in t.PASS_TO_PASS), t.instance_id


def test_same_seed_gives_the_same_tasks(example_manifest, tmp_path):
    ops = ["binop_replace", "return_remove", "constant_change"]
    runs = []
    for name, workers in (("a", 1), ("b", 2)):  # parallel workers only run ahead: same tasks
        out = tmp_path / f"{name}.jsonl"
        generate([example_manifest], out, Settings(per_image=3, seed=7, operators=ops, workers=workers))
        runs.append([(t.instance_id, t.bug_patch, t.FAIL_TO_PASS, t.PASS_TO_PASS) for t in read_lines(out, Task)])
        runs.append([(a.key, a.outcome) for a in ledger.load(out).values()])
    assert len(runs[0]) == 3 and runs[0] == runs[2] and runs[1] == runs[3]


def test_rerun_skips_what_is_done(example_manifest, example_tasks, tasks_dir):
    out = tasks_dir / ALL_OPERATORS_TASKS
    before = out.read_text()
    summary = generate([example_manifest], out, Settings(per_image=100, per_operator=1, seed=0))
    assert sum(summary.validated.values()) == 0
    assert out.read_text() == before


def test_cli_rejects_unknown_operator_in_one_line(example_manifest, images_dir, tmp_path):
    from tests.conftest import forager
    res = forager("tasks", "--variant", "mutate-fix", "--images", "minilib", "--images-dir", str(images_dir),
                  "--operators", "nope", "-o", str(tmp_path / "t.jsonl"))
    assert res.returncode == 2 and "unknown nope" in res.stderr and "Traceback" not in res.stderr
