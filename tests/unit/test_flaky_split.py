"""Baseline and flaky tests from repeated runs; rejection rules."""

from forager.images.validate import reject_reason, split_flaky
from forager.records.recipe import Recipe
from forager.testsuite.run import SuiteRun


def run(statuses, ok=True):
    return SuiteRun(statuses=statuses, exit_code=0, duration=1.0, timed_out=False, junit_ok=ok, output_tail="")


def test_changing_or_missing_tests_are_flaky():
    runs = [run({"a": "passed", "b": "passed", "c": "failed"}),
            run({"a": "passed", "b": "failed", "c": "failed"}),
            run({"a": "passed", "c": "failed", "d": "passed"})]
    baseline, flaky = split_flaky(runs)
    assert baseline == {"a": "passed", "c": "failed"}
    assert flaky == ["b", "d"]


def recipe(**validation):
    return Recipe.model_validate({"name": "x", "source": {"github": "a/b"}, "validation": validation})


def test_rejections():
    assert "could not be collected" in reject_reason(recipe(), [run({}, ok=False)], {})
    assert "stable passing" in reject_reason(recipe(min_passed=2), [run({"a": "passed"})], {"a": "passed"})
    base = {"a": "passed", "b": "failed", "c": "failed"}
    assert "1 of 3" in reject_reason(recipe(min_pass_ratio=0.5), [run(base)], base)
    assert reject_reason(recipe(min_pass_ratio=0.3), [run(base)], base) is None


def test_a_timeout_says_how_far_the_suite_got():
    slow = SuiteRun(statuses={}, exit_code=124, duration=900.0, timed_out=True, junit_ok=False,
                    output_tail="collected 1582 items\n\ntests/a.py ....   [  2%]\n.......   [ 16%]\n")
    assert reject_reason(recipe(), [slow], {}).endswith("(run 1; 1582 tests collected, about 16% run)")


def test_a_pytest_internal_error_is_not_a_baseline():
    crashed = SuiteRun(statuses={"a": "passed"} | {f"t{i}": "passed" for i in range(30)}, exit_code=3, duration=1.0,
                       timed_out=False, junit_ok=True, output_tail="INTERNALERROR> Traceback")
    good = run(crashed.statuses)
    reason = reject_reason(recipe(), [good, crashed], crashed.statuses)
    assert reason.startswith("pytest stopped with an internal error in run 2")
    unittest = recipe().model_copy(update={"test": recipe().test.model_copy(update={"framework": "unittest"})})
    assert reject_reason(unittest, [crashed], crashed.statuses) is None
