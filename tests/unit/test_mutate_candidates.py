"""The lazy candidate stream: same mutants as eager generation, only reached functions cost, cache."""

from __future__ import annotations

import textwrap
from types import SimpleNamespace

import libcst as cst

from forager.tasks.coverage_map import CoverageMap
from forager.tasks.mutate import generate_mutants
from forager.tasks.mutate.functions import find_functions
from forager.tasks.mutate_fix.candidates import FIRST_PASS, CandidateStream, function_spans

SOURCE = textwrap.dedent('''\
    import math

    if True:
        def guarded(x):
            return x + 1


    def mean(values):
        if not values:
            raise ValueError("mean of nothing")
        return sum(values) / len(values)


    class Stats:
        def __init__(self, values):
            self.values = list(values)

        @property
        def spread(self):
            ordered = sorted(self.values)
            return ordered[-1] - ordered[0]

        class Inner:
            def twice(self, x):
                def helper(y):
                    return y * 2
                return helper(x)
    ''')


class Box:
    def __init__(self, files):
        self.files, self.reads = files, []

    def read_file(self, path):
        self.reads.append(path)
        text = self.files.get(path.removeprefix("/testbed/"))
        return None if text is None else text.encode()

    def read_files(self, paths):
        return {p: data for p in paths if (data := self.read_file(p)) is not None}


def every_line_covered(files, test="t::a"):
    return CoverageMap(files={f: {n: [test] for n in range(1, src.count("\n") + 2)} for f, src in files.items()})


def manifest():
    return SimpleNamespace(id="img", content_hash="0" * 64, passing=lambda: ["t::a"])


def test_function_spans_match_find_functions():
    spans = [(t.qualname, t.start_line) for t in function_spans(SOURCE)]
    found = [(f.qualname, f.start_line) for f in find_functions(cst.parse_module(SOURCE))]
    assert spans == found


def test_the_stream_holds_the_same_mutants_as_eager_generation(tmp_path):
    files = {"pkg/a.py": SOURCE}
    stream = CandidateStream(Box(files), manifest(), every_line_covered(files), 3, cache_dir=tmp_path)
    lazy = [c.mutant.mutated for c in stream]
    eager = [mu.mutated for mu in generate_mutants(SOURCE, "pkg/a.py", None, 3)]
    assert sorted(lazy) == sorted(eager) and len(set(lazy)) == len(lazy)
    # First pass: FIRST_PASS mutants of each function, from different operators.
    first = stream.take(FIRST_PASS * len(stream.order))
    by_function = {}
    for c in first:
        by_function.setdefault(c.mutant.function, []).append(c.mutant.operator)
    assert all(len(ops) == FIRST_PASS and len(set(ops)) == FIRST_PASS for ops in by_function.values())


def test_only_reached_functions_are_generated_and_the_cache_serves_a_rerun(tmp_path):
    files = {f"pkg/m{i}.py": SOURCE for i in range(6)}
    box = Box(files)
    stream = CandidateStream(box, manifest(), every_line_covered(files), 0, cache_dir=tmp_path)
    few = stream.take(3)
    assert sum(stream.generated.values()) <= 2 * FIRST_PASS  # two functions reached, no more
    again = CandidateStream(Box({}), manifest(), every_line_covered(files), 0, cache_dir=tmp_path)
    assert [c.key for c in again.take(3)] == [c.key for c in few]  # from the cache: no file read
    more = CandidateStream(Box(files), manifest(), every_line_covered(files), 0, cache_dir=tmp_path).take(40)
    assert [c.key for c in more[:3]] == [c.key for c in few]
    fresh = CandidateStream(Box(files), manifest(), every_line_covered(files), 0, cache_dir=tmp_path / "x").take(40)
    assert [(c.key, c.covering) for c in more] == [(c.key, c.covering) for c in fresh]


def test_uncovered_functions_and_test_files_are_not_candidates(tmp_path):
    files = {"pkg/a.py": SOURCE, "tests/test_a.py": "def test_x():\n    assert True\n"}
    cmap = CoverageMap(files={"pkg/a.py": {9: ["t::a"], 10: ["t::b"]}, "tests/test_a.py": {2: ["t::a"]}})
    stream = CandidateStream(Box(files), manifest(), cmap, 0, cache_dir=tmp_path)
    assert [(t.qualname, cov) for t, cov in stream.order] == [("mean", ("t::a",))]  # t::b is not a stable pass


def test_covering_seconds_come_from_the_coverage_runs_junit(tmp_path):
    from forager.tasks.coverage_map import _durations
    from forager.testsuite.junit import pytest_node_id
    xml = (b'<testsuites><testsuite><testcase file="t.py" classname="t" name="test_a" time="0.5"/>'
           b'<testcase file="t.py" classname="t" name="test_b" time="1.25"/></testsuite></testsuites>')
    durations = _durations(xml, pytest_node_id)
    assert durations == {"t.py::test_a": 0.5, "t.py::test_b": 1.25}
    cmap = CoverageMap(files={}, durations=durations)
    assert cmap.seconds(["t.py::test_a", "t.py::test_b"]) == 1.75 and cmap.seconds(["t.py::nope"]) is None
    assert CoverageMap.model_validate_json('{"files": {}}').durations == {}  # maps cached before durations


def test_signature_readers_come_from_the_coverage_runs_code_reads(tmp_path):
    import json

    from forager.tasks.coverage_map import _code_reads
    raw = json.dumps({"tests": {"t::a": [["pkg/a.py", "mean"]], "t::b": [["pkg/a.py", "mean"], ["pkg/a.py", "f"]]},
                      "outside": [["pkg/a.py", "f"]]}).encode()
    reads = _code_reads(raw)
    cmap = CoverageMap(files={"pkg/a.py": {9: ["t::a"], 10: ["t::a"]}}, code_reads=reads)
    assert cmap.signature_readers("pkg/a.py", "mean") == {"t::a", "t::b"}
    assert cmap.signature_readers("pkg/a.py", "f") is None  # read at import or collection
    assert cmap.signature_readers("pkg/a.py", "g") == set()
    assert CoverageMap(files={}).signature_readers("pkg/a.py", "mean") is None  # not recorded
    assert _code_reads(b"not json") is None and _code_reads(b'{"tests": {}}') is None and _code_reads(None) is None
    # Candidates carry the stable-passing readers (t::b is not a stable pass here).
    stream = CandidateStream(Box({"pkg/a.py": SOURCE}), manifest(), cmap, 0, cache_dir=tmp_path)
    cands = [c for c in stream.take(50) if c.mutant.function == "mean"]
    assert cands and all(c.signature_readers == ("t::a",) for c in cands)
