"""generate_mutants: determinism, filtering of useless mutants, caps and selection."""

from __future__ import annotations

import ast
import random
import textwrap

import libcst as cst
import pytest

from forager.tasks.mutate import OPERATORS, Mutant, generate_mutants
from forager.tasks.mutate.functions import find_functions

SOURCE = textwrap.dedent(
    '''\
    import math


    def mean(values):
        """Arithmetic mean of a non-empty sequence."""
        if not values:
            raise ValueError("mean of nothing")
        return sum(values) / len(values)


    def clamp(value, low=0, high=1):
        if value < low:
            return low
        elif value > high:
            return high
        return value


    class Stats:
        def __init__(self, values):
            self.values = list(values)

        def spread(self, scale=1.0):
            ordered = sorted(self.values)
            width = ordered[-1] - ordered[0]
            return math.sqrt(width) * scale
    '''
)


def outside_unchanged(original: str, mutant: Mutant) -> bool:
    lines = original.splitlines(keepends=True)
    before, after = "".join(lines[: mutant.start_line - 1]), "".join(lines[mutant.end_line :])
    return mutant.mutated.startswith(before) and mutant.mutated.endswith(after)


def test_same_seed_same_mutants() -> None:
    first = generate_mutants(SOURCE, "pkg/stats.py", None, seed=11, per_function=4)
    second = generate_mutants(SOURCE, "pkg/stats.py", None, seed=11, per_function=4)
    assert first and first == second


def test_other_seeds_pick_other_mutants() -> None:
    picks = {
        tuple(m.description for m in generate_mutants(SOURCE, "pkg/stats.py", None, seed=seed, per_function=2))
        for seed in range(4)
    }
    assert len(picks) > 1


def test_mutants_are_valid_distinct_and_local() -> None:
    mutants = generate_mutants(SOURCE, "pkg/stats.py", None, seed=3)
    assert {m.operator for m in mutants} >= {"binop_replace", "compare_replace", "body_remove", "return_remove"}
    dumps = [ast.dump(ast.parse(m.mutated)) for m in mutants]
    assert ast.dump(ast.parse(SOURCE)) not in dumps
    assert len(set(dumps)) == len(dumps)
    for mutant in mutants:
        assert mutant.original == SOURCE and mutant.file == "pkg/stats.py"
        if mutant.operator != "import_remove":
            assert outside_unchanged(SOURCE, mutant), mutant.description
    spans = {(m.function, m.start_line, m.end_line) for m in mutants}
    assert spans == {
        ("mean", 4, 8),
        ("clamp", 11, 16),
        ("Stats.__init__", 20, 21),
        ("Stats.spread", 23, 26),
    }


def test_order_is_by_function_then_operator() -> None:
    mutants = generate_mutants(SOURCE, "pkg/stats.py", None, seed=3)
    keys = [(m.start_line, m.operator) for m in mutants]
    assert keys == sorted(keys)


def test_no_op_mutants_are_dropped() -> None:
    source = "def hook(event):\n    pass\n"
    module = cst.parse_module(source)
    (target,) = find_functions(module)
    raw = [d for _, d in OPERATORS["body_remove"].mutate(module, target, random.Random(0))]
    assert len(raw) == 2  # `pass` -> `pass` is one of them
    kept = generate_mutants(source, "hooks.py", None, seed=0, operators=["body_remove"])
    assert [m.description for m in kept] == ["replaced the body of `hook` (line 2) with `raise NotImplementedError`"]


def test_duplicates_are_dropped_within_and_across_operators() -> None:
    same_branches = "def pick(flag, value):\n    return value if flag else value\n"
    kept = generate_mutants(same_branches, "pick.py", None, seed=0, operators=["condition_remove"])
    assert len(kept) == 1  # both branches give `return value`

    source = "def f(a):\n    b = a * 2\n    c = 2\n    return a + b\n"
    names = ["assignment_remove", "body_partial_remove"]
    module = cst.parse_module(source)
    (target,) = find_functions(module)
    raw = [m.code for name in names for m, _ in OPERATORS[name].mutate(module, target, random.Random(0))]
    kept = generate_mutants(source, "f.py", None, seed=0, operators=names)
    assert len(kept) < len(raw)
    assert len({ast.dump(ast.parse(m.mutated)) for m in kept}) == len(kept)


def test_per_function_caps_and_spreads_over_operators() -> None:
    mutants = generate_mutants(SOURCE, "pkg/stats.py", None, seed=5, per_function=3)
    by_function: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        by_function.setdefault(mutant.function, []).append(mutant)
    assert set(by_function) == {"mean", "clamp", "Stats.__init__", "Stats.spread"}
    for found in by_function.values():
        assert 1 <= len(found) <= 3
    assert all(len({m.operator for m in found}) == len(found) for found in by_function.values())


def test_function_and_operator_selection() -> None:
    mutants = generate_mutants(SOURCE, "s.py", ["clamp", "nested.nowhere"], seed=1, operators=["compare_replace"])
    assert mutants and {(m.function, m.operator) for m in mutants} == {("clamp", "compare_replace")}
    with pytest.raises(ValueError, match="unknown mutation operators: nope"):
        generate_mutants(SOURCE, "s.py", None, seed=1, operators=["nope"])
    with pytest.raises(ValueError, match="cannot parse"):
        generate_mutants("def broken(:\n", "b.py", None, seed=1)


def test_line_endings_and_missing_final_newline_are_kept() -> None:
    crlf = "import os\r\n\r\ndef join(a, b):\r\n    if a > b:\r\n        return os.sep\r\n    return a + b\r\n"
    for mutant in generate_mutants(crlf, "crlf.py", None, seed=2):
        assert "\n" not in mutant.mutated.replace("\r\n", ""), mutant.description
    bare = "def last(a, b):\n\treturn a - b"
    mutants = generate_mutants(bare, "bare.py", None, seed=2)
    assert mutants
    assert all(not m.mutated.endswith("\n") for m in mutants)
    assert any(m.mutated == "def last(a, b):\n\treturn a + b" for m in mutants)
