"""Covering-only checks: the same results as the whole suite, and the swap rule's fallbacks.

A fork where only the mutated function's body changed, and where that function ran neither at
import nor at collection, runs only the tests whose coverage touches the function (and those
sharing a long-lived fixture with them); the others keep their baseline result. These tests
judge every candidate both ways on the example and on a real repository, and check the cases
where the server must run the whole suite instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from forager.containers import Sandbox
from forager.tasks import coverage_map
from forager.tasks.mutate_fix.candidates import CandidateStream, function_spans
from forager.tasks.mutate_fix.check import check
from forager.testsuite.warm_pytest import WarmPytest

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]


def both_ways(m, n, tmp_path):
    """Each of the first n candidates judged from its covering tests and by the whole suite."""
    with Sandbox.start(m.image_tag, kind="test") as box:
        cmap = coverage_map.collect(box, m)
        sample = CandidateStream(box, m, cmap, 0, cache_dir=tmp_path / "mutants").take(n)
        # As the pipeline starts it: per-test hang limits from the coverage run's times.
        warm = WarmPytest(box, m.recipe.test, stable_pass=set(m.passing()), durations=cmap.durations)
        try:
            pairs = [(c, check(box, m, c, warm, covering_only=True), check(box, m, c, warm, covering_only=False))
                     for c in sample]
        finally:
            warm.close()
    return pairs


def commit_edit(box, stats_suffix: str, tests: dict[str, str]) -> str:
    """The example's stats module with `stats_suffix` added and these test files, committed as
    the image's tree; the new stats source."""
    source = box.read_file(f"/testbed/{STATS}").decode() + stats_suffix
    box.write_file(f"/testbed/{STATS}", source.encode())
    for path, text in tests.items():
        box.write_file(f"/testbed/tests/{path}", text.encode())
    assert box.exec("git add -A && git -c user.name=t -c user.email=t@t commit -qm edit").exit_code == 0
    return source


def assert_agree(pairs):
    kept = [(c, a, b) for c, a, b in pairs if b.outcome == "kept" or a.outcome == "kept"]
    assert kept
    for c, a, b in pairs:
        assert (a.outcome, a.fail_to_pass, a.pass_to_pass) == (b.outcome, b.fail_to_pass, b.pass_to_pass), \
            (c.key, c.mutant.operator, c.mutant.function, a.runner, b.runner)
    assert any(a.covering_only and a.outcome == "kept" for _, a, _ in kept)
    assert not any(b.covering_only for _, _, b in pairs)


def test_covering_only_agrees_with_the_whole_suite_on_the_example(example_manifest, tmp_path):
    assert_agree(both_ways(example_manifest, 60, tmp_path))


def test_covering_only_agrees_with_the_whole_suite_on_a_real_repository(base_image, images_dir, tmp_path):
    from forager.images.pipeline import build_one
    outcome = build_one(ROOT / "recipes" / "parse.toml", images_dir)
    assert outcome.status in ("built", "up-to-date"), outcome.message
    assert_agree(both_ways(outcome.manifest, 40, tmp_path))


STATS = "minilib/stats.py"
CONFTEST = '''import pytest

from minilib.stats import percentile


@pytest.fixture(scope="session")
def shared_p50():
    return percentile([1, 2, 3], 50)
'''
SHARED = '''def test_shared_a(shared_p50):
    assert shared_p50 == 2


def test_shared_b(shared_p50):
    assert shared_p50 == 2
'''


@pytest.fixture()
def edited(example_manifest):
    """The example with a function that runs at import (median) and a session fixture of the
    repository (percentile, through tests/conftest.py), committed so the tree is clean."""
    with Sandbox.start(example_manifest.image_tag, kind="test") as box:
        source = commit_edit(box, "\n\nAT_IMPORT = median([3, 1, 2])\n",
                             {"conftest.py": CONFTEST, "test_shared.py": SHARED})
        warm = WarmPytest(box, example_manifest.recipe.test)
        spans = {t.qualname: (t.start_line, t.end_line) for t in function_spans(source)}
        yield warm, source, spans
        warm.close()


def run(warm, source, spans, name, old, new, covering):
    assert old in source
    return warm.run_covering(STATS, source.replace(old, new), covering, 60, name, spans[name])


def test_a_mutant_of_a_function_that_ran_at_import_falls_back_to_the_whole_suite(edited):
    warm, source, spans = edited
    res = run(warm, source, spans, "median", "middle = len(data) // 2", "middle = 0",
              ["tests/test_stats.py::test_median"])
    assert not isinstance(res, str)
    run_, mode, only = res
    assert mode == "session" and only is None  # median ran at import: a fresh session, whole suite
    assert run_.statuses["tests/test_stats.py::test_median"] == "failed"
    assert len(run_.statuses) > 50


def test_a_plain_body_change_runs_only_its_covering_tests(edited):
    warm, source, spans = edited
    run_, mode, only = run(warm, source, spans, "mean", "return sum(data) / len(data)", "return 0",
                           ["tests/test_stats.py::test_mean"])
    assert mode == "covering" and only == {"tests/test_stats.py::test_mean"}
    assert set(run_.statuses) == {"tests/test_stats.py::test_mean"}
    assert run_.statuses["tests/test_stats.py::test_mean"] == "failed"


def test_tests_sharing_a_session_fixture_with_a_covering_test_run_too(edited):
    warm, source, spans = edited
    # Coverage gives percentile's lines to the first user of the fixture only (test_shared_a).
    run_, mode, only = run(warm, source, spans, "percentile",
                           "return _interpolate(data[lower], data[upper], position - lower)", "return 0",
                           ["tests/test_stats.py::test_percentile", "tests/test_shared.py::test_shared_a"])
    assert mode == "covering" and "tests/test_shared.py::test_shared_b" in only
    assert run_.statuses["tests/test_shared.py::test_shared_b"] == "failed"


def test_a_mutant_that_changes_another_function_runs_the_whole_suite(edited):
    warm, source, spans = edited
    new = source.replace("return sum(data) / len(data)", "return 0").replace("best = max(counts.values())",
                                                                              "best = min(counts.values())")
    res = warm.run_covering(STATS, new, ["tests/test_stats.py::test_mean"], 60, "mean", spans["mean"])
    assert res[1] == "fork" and res[2] is None  # a swap, but of two functions: the whole suite
    assert res[0].statuses["tests/test_stats.py::test_mode"] == "failed"


DEFAULTS = '''


def scaled(data, factor=2, offset=0):
    return [x * factor + offset for x in data]
'''
DEFAULTS_TEST = '''from minilib.stats import scaled


def test_scaled():
    assert scaled([1, 2]) == [2, 4]


def test_scaled_offset():
    assert scaled([1], 3, 1) == [4]
'''


def test_a_mutant_of_a_default_swaps_the_defaults_in_a_fork(example_manifest):
    """A parameter's default is a constant the module body gives the function: the fork sets
    the function's __defaults__ as a fresh import would, instead of a fresh session; the
    signature changed, so the whole suite runs (covering tests first)."""
    with Sandbox.start(example_manifest.image_tag, kind="test") as box:
        source = commit_edit(box, DEFAULTS, {"test_scaled.py": DEFAULTS_TEST})
        warm = WarmPytest(box, example_manifest.recipe.test)
        try:
            spans = {t.qualname: (t.start_line, t.end_line) for t in function_spans(source)}
            cov = ["tests/test_scaled.py::test_scaled"]
            for old, new in [("factor=2, offset=0", "factor=3, offset=0"),  # the default changes
                             ("factor=2, offset=0", "factor=2")]:  # a parameter removed
                mutated = source.replace(old, new)
                res = warm.run_covering(STATS, mutated, cov, 60, "scaled", spans["scaled"])
                assert not isinstance(res, str)
                run_, mode, only = res
                assert (mode, only) == ("fork", None), old  # a swap, not a fresh session; not covering-only
                assert run_.statuses["tests/test_scaled.py::test_scaled"] == "failed"
                # A fresh session (forced by a change at import) gives the same statuses.
                fresh = warm.run(STATS, mutated + "\nAT_IMPORT = 1\n", cov, 60)
                assert not isinstance(fresh, str) and fresh[1] == "session"
                stable = set(example_manifest.passing()) | {"tests/test_scaled.py::test_scaled_offset"}
                assert {t: fresh[0].statuses.get(t) for t in stable} == {t: run_.statuses.get(t) for t in stable}, old
        finally:
            warm.close()


def test_a_test_running_far_past_its_own_time_ends_the_check_as_hung(example_manifest):
    """Each test of a mutant is held to ten times its time in the coverage run plus a few
    seconds: a mutant that loops forever is judged hung at once, not at the run's limit, and
    fresh processes (the naive way) judge it hung too (at their limit)."""
    import time

    from forager.tasks.mutate import Mutant
    from forager.tasks.mutate_fix.candidates import MutantCandidate
    from forager.tasks.mutate_fix.check import mutant_timeout

    m = example_manifest
    with Sandbox.start(m.image_tag, kind="test") as box:
        cmap = coverage_map.collect(box, m)
        source = box.read_file(f"/testbed/{STATS}").decode()
        span = {t.qualname: (t.start_line, t.end_line) for t in function_spans(source)}["mean"]
        mutated = source.replace("    return sum(data) / len(data)\n", "    while True:\n        pass\n")
        assert mutated != source
        covering = tuple(sorted(cmap.tests_for(STATS, *span) & set(m.passing())))
        cand = MutantCandidate(Mutant("body_remove", STATS, "mean", *span, "loops", source, mutated), covering,
                               cmap.seconds(covering))
        warm = WarmPytest(box, m.recipe.test, stable_pass=set(m.passing()), durations=cmap.durations)
        try:
            limit = 10 * max(cmap.durations[t] for t in covering) + 5 + max(cmap.durations.values())
            t0 = time.monotonic()
            res = warm.run_covering(STATS, mutated, list(covering), 300, "mean", span, 300)
            took = time.monotonic() - t0
            assert not isinstance(res, str) and res[0].timed_out and res[1] == "covering"
            assert "ran past its own time limit" in res[0].output_tail
            assert took < limit + 15 < 300, (took, limit)
            assert check(box, m, cand, warm).outcome == "hung"
            # The server goes on: the next mutant is judged normally.
            again = warm.run_covering(STATS, source.replace("return sum(data) / len(data)", "return 0"),
                                      list(covering), 60, "mean", span)
            assert not again[0].timed_out and again[0].statuses[covering[0]] == "failed"
        finally:
            warm.close()
        t0 = time.monotonic()
        assert check(box, m, cand, None).outcome == "hung"  # new processes: the whole run's limit
        assert time.monotonic() - t0 >= mutant_timeout(m) - 1


def test_verify_sample_passes_on_the_example_and_fails_loudly_on_a_difference(example_manifest, tmp_path):
    from dataclasses import replace

    from forager.tasks.mutate_fix.check import VerifyMismatch, verify
    from forager.tasks.mutate_fix.pipeline import Settings, generate
    summary = generate([example_manifest], tmp_path / "t.jsonl", Settings(per_image=6, seed=1, verify_sample=3))
    assert not summary.failed_images and summary.verified == 3 and summary.mismatches == 0
    with Sandbox.start(example_manifest.image_tag, kind="test") as box:
        cmap = coverage_map.collect(box, example_manifest)
        warm = WarmPytest(box, example_manifest.recipe.test)
        try:
            for cand in CandidateStream(box, example_manifest, cmap, 0, cache_dir=tmp_path / "m").take(30):
                result = check(box, example_manifest, cand, warm)
                if result.outcome == "kept" and result.covering_only:
                    break
            else:
                pytest.fail("no mutant kept from its covering tests")
            assert verify(box, example_manifest, cand, result, warm).fail_to_pass == result.fail_to_pass
            wrong = replace(result, fail_to_pass=result.fail_to_pass[1:], pass_to_pass=result.pass_to_pass[:-1])
            with pytest.raises(VerifyMismatch, match=cand.key):
                verify(box, example_manifest, cand, wrong, warm)
        finally:
            warm.close()


SIGNATURE_TEST = '''import inspect

from minilib.stats import mean, scaled

EARLY = inspect.signature(mean)  # read at import: no test can be named for it


def test_scaled():
    assert scaled([1, 2]) == [2, 4]


def test_scaled_offset():
    assert scaled([1], 3, 1) == [4]


def test_signature():
    assert list(inspect.signature(scaled).parameters) == ["data", "factor", "offset"]
'''


def test_a_signature_change_runs_the_tests_that_read_the_signature(example_manifest, tmp_path, monkeypatch):
    """The coverage run records which tests read a function's signature (its code object)
    without running it; a mutant that changes the signature runs them with the covering tests,
    with the same statuses as the whole suite. A signature read at import names no test: the
    whole suite runs."""
    m = example_manifest
    monkeypatch.setattr(coverage_map, "_cache_path", lambda _m: tmp_path / "coverage.json")
    with Sandbox.start(m.image_tag, kind="test") as box:
        source = commit_edit(box, DEFAULTS, {"test_signature.py": SIGNATURE_TEST})
        cmap = coverage_map.collect(box, m)
        assert cmap.signature_readers(STATS, "scaled") == {"tests/test_signature.py::test_signature"}
        assert cmap.signature_readers(STATS, "mean") is None  # read at import
        assert cmap.signature_readers(STATS, "median") == set()
        spans = {t.qualname: (t.start_line, t.end_line) for t in function_spans(source)}
        covering = sorted(cmap.tests_for(STATS, *spans["scaled"]))
        assert covering == ["tests/test_signature.py::test_scaled", "tests/test_signature.py::test_scaled_offset"]
        readers = sorted(cmap.signature_readers(STATS, "scaled"))
        warm = WarmPytest(box, m.recipe.test)
        try:
            for old, new in [("factor=2, offset=0):\n    return [x * factor + offset", "factor=2):\n    return [x * factor"),
                             ("factor=2, offset=0", "factor=3, offset=0")]:  # a parameter removed; a default
                mutated = source.replace(old, new)
                assert mutated != source
                run_, mode, only = warm.run_covering(STATS, mutated, covering, 60, "scaled", spans["scaled"],
                                                     signature_readers=readers)
                assert mode == "covering" and set(readers) <= only and "tests/test_stats.py::test_mean" not in only
                whole, _ = warm.run(STATS, mutated, covering, 60)
                assert {t: run_.statuses.get(t) for t in only} == {t: whole.statuses.get(t) for t in only}, old
                outside = {t for t, s in whole.statuses.items() if t not in only and s != "passed"
                           and t in set(m.passing())}
                assert not outside, old  # every test left out passes, as in the baseline
            assert run_.statuses["tests/test_signature.py::test_signature"] == "passed"  # a default: same names
            removed = source.replace("factor=2, offset=0):\n    return [x * factor + offset",
                                     "factor=2):\n    return [x * factor")
            run_, _, _ = warm.run_covering(STATS, removed, covering, 60, "scaled", spans["scaled"],
                                           signature_readers=readers)
            assert run_.statuses["tests/test_signature.py::test_signature"] == "failed"
            # Unknown readers: the whole suite, covering tests first.
            _, mode, only = warm.run_covering(STATS, removed, covering, 60, "scaled", spans["scaled"])
            assert (mode, only) == ("fork", None)
        finally:
            warm.close()


DECORATED = '''


def logged(fn):
    def wrapper(*args):
        return fn(*args)
    return wrapper


@logged
def double(xs):
    return [2 * x for x in xs]
'''
DECORATED_TEST = '''from minilib.stats import double, logged


def test_double():
    assert double([1, 2]) == [2, 4]


def test_logged_later():
    assert logged(len)([1, 2, 3]) == 3
'''


def test_a_change_inside_a_decorator_applied_at_import_is_swapped_into_what_it_made(example_manifest):
    """`logged` ran at import (it decorated `double`), its nested wrapper did not: a mutant of
    the wrapper is swapped into the function `logged` made then and into `logged` itself, in a
    fork, with the same statuses as a fresh session."""
    with Sandbox.start(example_manifest.image_tag, kind="test") as box:
        source = commit_edit(box, DECORATED, {"test_decorated.py": DECORATED_TEST})
        warm = WarmPytest(box, example_manifest.recipe.test)
        try:
            span = {t.qualname: (t.start_line, t.end_line) for t in function_spans(source)}["logged"]
            cov = ["tests/test_decorated.py::test_double", "tests/test_decorated.py::test_logged_later"]
            mutated = source.replace("        return fn(*args)\n", "        return fn(*args[:0] or [[]])\n")
            assert mutated != source
            run_, mode, only = warm.run_covering(STATS, mutated, cov, 60, "logged", span)
            assert mode == "covering" and only == set(cov)
            assert {t: run_.statuses[t] for t in cov} == {t: "failed" for t in cov}
            fresh = warm.run(STATS, mutated + "\nAT_IMPORT = 1\n", cov, 60)
            assert not isinstance(fresh, str) and fresh[1] == "session"
            assert {t: fresh[0].statuses.get(t) for t in cov} == {t: run_.statuses.get(t) for t in cov}
            # A change of what `logged` itself runs (it ran at import): a fresh session.
            changed = source.replace("    def wrapper(*args):\n", "    fn = len\n\n    def wrapper(*args):\n")
            res = warm.run_covering(STATS, changed, cov, 60, "logged", span)
            assert not isinstance(res, str) and res[1] == "session"
        finally:
            warm.close()


def test_the_sources_are_read_from_the_image_in_one_go(example_manifest):
    """Candidate generation reads every covered source at once (one exec, a tar stream): the
    same bytes as one file at a time, and files that do not exist are left out."""
    with Sandbox.start(example_manifest.image_tag, kind="test") as box:
        listed = box.exec("git ls-files '*.py'").output.split()
        paths = [f"/testbed/{p}" for p in listed] + ["/testbed/no/such.py"]
        found = box.read_files(paths)
        assert set(found) == set(paths[:-1]) and len(found) >= 4
        assert all(found[p] == box.read_file(p) for p in paths[:-1])
        assert box.read_files([]) == {}
