"""The forking pytest server in a real container: same tasks as fresh processes, and hostile mutants."""

from __future__ import annotations

from dataclasses import replace

import pytest

from forager.containers import Sandbox
from forager.jsonio import read_lines
from forager.records import ledger
from forager.records.task import Task
from forager.tasks.mutate_fix.pipeline import Settings, generate
from forager.tasks.mutate_fix.workers import Workers
from forager.testsuite.warm_pytest import Unavailable, WarmPytest
from tests.conftest import ALL_OPERATORS_TASKS

pytestmark = pytest.mark.docker

STATS = "minilib/stats.py"
MEAN = "    return sum(data) / len(data)\n"


def test_server_and_new_processes_give_the_same_tasks(example_manifest, example_tasks, tasks_dir, tmp_path):
    # example_tasks ran with the server; the same settings again with new test processes only.
    runners = {a.runner for a in ledger.load(tasks_dir / ALL_OPERATORS_TASKS).values()}
    assert {"fork", "session"} <= runners, runners  # swaps, and import-time mutants in fresh sessions
    out = tmp_path / "fresh.jsonl"
    summary = generate([example_manifest], out, Settings(per_image=100, per_operator=1, seed=0, warm=False))
    assert set(summary.runners) == {"process"}
    fresh = {t.instance_id: (t.FAIL_TO_PASS, t.PASS_TO_PASS) for t in read_lines(out, Task)}
    served = {t.instance_id: (t.FAIL_TO_PASS, t.PASS_TO_PASS) for t in example_tasks}
    assert served == fresh


@pytest.fixture()
def served(example_manifest):
    with Sandbox.start(example_manifest.image_tag, kind="test") as box:
        warm = WarmPytest(box, example_manifest.recipe.test)
        source = box.read_file(f"/testbed/{STATS}").decode()
        yield box, warm, source
        warm.close()


def test_a_hung_mutant_times_out_and_the_server_goes_on(served):
    box, warm, source = served
    run, mode = warm.run(STATS, source.replace(MEAN, "    while True:\n        pass\n"),
                         ["tests/test_stats.py::test_mean"], timeout=3)
    assert run.timed_out and mode == "fork"
    again, _ = warm.run(STATS, source.replace(MEAN, "    return 0\n"), ["tests/test_stats.py::test_mean"], 30)
    assert again.statuses["tests/test_stats.py::test_mean"] == "failed"
    # The hung fork was killed: only the server and its zygote remain.
    count = ("for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f 2>/dev/null; echo; done"
             " | grep -c '^python /opt/forager/helpers/pytest_server.py'")
    assert box.exec(count).output.strip() == "2"


def test_the_tree_is_restored_after_a_mutant_that_writes_files(served):
    box, warm, source = served
    vandal = ("    open('/testbed/junk.txt', 'w').write('x')\n"
              "    open('/testbed/README.md', 'a').write('vandal')\n" + MEAN)
    run, _ = warm.run(STATS, source.replace(MEAN, vandal), ["tests/test_stats.py::test_mean"], 30)
    assert run.statuses["tests/test_stats.py::test_mean"] == "passed"
    assert box.exec("git status --porcelain --untracked-files=all").output == ""
    assert box.read_file(f"/testbed/{STATS}").decode() == source


def test_a_mutant_that_kills_the_server_is_judged_in_new_processes(example_manifest, served):
    box, warm, source = served
    killer = "    import os\n    os.kill(os.getppid(), 9)\n" + MEAN
    with pytest.raises(Unavailable):
        warm.run(STATS, source.replace(MEAN, killer), ["tests/test_stats.py::test_mean"], 30)
    # Through the workers: the server is dropped, the mutant judged the old way, tree clean.
    from contextlib import ExitStack

    from forager.tasks.mutate.mutant import Mutant
    from forager.tasks.mutate_fix.candidates import MutantCandidate
    mu = Mutant(file=STATS, function="mean", operator="body_partial_remove", original=source,
                mutated=source.replace(MEAN, "    return 0\n"), start_line=18, end_line=20, description="test")
    reasons = []
    with ExitStack() as stack:
        workers = Workers(example_manifest, box, 1, stack, serve=False, on_fallback=reasons.append)
        worker = workers.workers[0]
        worker.warm = warm
        result = workers.check(worker, MutantCandidate(mu, ("tests/test_stats.py::test_mean",)))
    assert worker.warm is None and reasons and "stopped" in reasons[0]
    assert result.runner == "process" and result.outcome == "kept"
    assert box.exec("git status --porcelain --untracked-files=all").output == ""


ORDER_TESTS = '''from minilib import stats

SEEN = []


def test_a_records_a_mean():
    SEEN.append(stats.mean([1, 2, 3]))


def test_b_needs_a_before_it():
    assert SEEN == [2.0]
'''


def test_a_test_that_fails_alone_in_a_fork_sends_only_its_mutants_to_new_processes(example_manifest):
    from forager.records.status import Status
    from forager.tasks.mutate.mutant import Mutant
    from forager.tasks.mutate_fix.candidates import MutantCandidate
    from forager.tasks.mutate_fix.check import check
    a, b = "tests/test_order.py::test_a_records_a_mean", "tests/test_order.py::test_b_needs_a_before_it"
    m = example_manifest.model_copy(deep=True)
    m.baseline.update({a: Status.passed, b: Status.passed})  # both pass in a whole run, in file order
    with Sandbox.start(m.image_tag, kind="test") as box:
        box.write_file("/testbed/tests/test_order.py", ORDER_TESTS.encode())
        box.exec("git add -A && git -c user.name=t -c user.email=t@t commit -qm order")
        warm = WarmPytest(box, m.recipe.test, stable_pass=set(m.passing()))
        try:
            source = box.read_file(f"/testbed/{STATS}").decode()
            mu = Mutant(file=STATS, function="mean", operator="body_partial_remove", original=source,
                        mutated=source.replace(MEAN, "    return 0\n"), start_line=18, end_line=20, description="test")
            cand = MutantCandidate(mu, ("tests/test_stats.py::test_mean",))
            # b fails under the mutant; run alone on the unchanged tree (the confirmation) it fails too:
            # the fork is no judge of b, so new processes judge this mutant, and the server stays.
            first = check(box, m, cand, warm, covering_only=False)
            assert first.runner == "process" and first.outcome == "kept" and b in first.fail_to_pass
            assert warm.unreliable == {b}
            again = check(box, m, cand, warm, covering_only=False)
            assert (again.runner, again.fail_to_pass) == ("process", first.fail_to_pass)
            # A mutant whose failures the fork can judge still runs there.
            other = source.replace("        return data[middle]\n", "        return data[0]\n")
            judged = MutantCandidate(replace(mu, function="median", mutated=other), ("tests/test_stats.py::test_median",))
            res = check(box, m, judged, warm, covering_only=False)
            assert (res.runner, res.outcome) == ("fork", "kept") and b not in res.fail_to_pass
        finally:
            warm.close()
