"""The pytest server's rule for running a mutant in a fork of already-imported code.

The helper runs inside containers; its decision function is pure, so here a module is
imported for real (exec of its compiled code), mutated, planned and, when the plan is a swap,
the swap is applied and the functions are called to see the mutant's behaviour.
"""

import importlib.util
import sys
import types

import pytest

from forager.paths import PACKAGE_DIR

HELPERS = PACKAGE_DIR / "images" / "helpers"
sys.path.insert(0, str(HELPERS))  # the server imports forager_first from beside itself, as in images
spec = importlib.util.spec_from_file_location("pytest_server", HELPERS / "pytest_server.py")
server = importlib.util.module_from_spec(spec)
spec.loader.exec_module(server)

PATH = "/testbed/pkg/mod.py"

MODULE = '''\
import math

LIMIT = 10


def add(a, b):
    return a + b


def scale(xs, k=2):
    return [x * k for x in xs]


class Box:
    def __init__(self, v):
        super().__init__()
        self.v = v

    def area(self):
        return math.floor(self.v * self.v)


def make_adder(n):
    def inner(x):
        return x + n
    return inner


ADD3 = make_adder(3)
'''


def load(src=MODULE):
    """Import the source as the server would find it: live functions by code key."""
    ns: dict = {"__name__": "mod"}
    exec(compile(src, PATH, "exec", dont_inherit=True), ns)
    live: dict = {}
    for obj in list(ns.values()) + [v for c in ns.values() if isinstance(c, type) for v in vars(c).values()]:
        if isinstance(obj, types.FunctionType):
            live.setdefault(server.key(obj.__code__), []).append(obj)
    live.setdefault(server.key(ns["ADD3"].__code__), []).append(ns["ADD3"])
    return ns, live


def plan(new_src, ran=()):
    ns, live = load()
    old = server.import_level(compile(MODULE, PATH, "exec", dont_inherit=True))
    ran_keys = {server.key(f.__code__) for f in ran_functions(ns, ran)}
    return ns, server.plan_swap(old, new_src, PATH, ran_keys, live)


def ran_functions(ns, names):
    return [ns[n] for n in names]


def swap(new_src, ran=()):
    ns, (mode, swaps) = plan(new_src, ran)
    assert mode == "swap", swaps
    for fn, attr, value in swaps:
        setattr(fn, attr, value)
    return ns


def test_a_changed_body_is_swapped_into_the_live_function():
    ns = swap(MODULE.replace("return a + b", "return a - b"))
    assert ns["add"](5, 3) == 2
    assert ns["scale"]([1, 2]) == [2, 4]  # untouched


def test_a_shorter_function_moves_lines_below_and_still_swaps():
    ns = swap(MODULE.replace("    def area(self):\n        return math.floor(self.v * self.v)\n",
                             "    def area(self):\n        pass\n").replace(
        "def add(a, b):\n    return a + b\n", "def add(a, b):\n    '''doc'''\n    return a * b\n"))
    assert ns["add"](2, 5) == 10
    assert ns["Box"](3).area() is None
    assert ns["Box"](2).v == 2


def test_a_removed_comprehension_inside_a_function_is_still_a_swap():
    ns = swap(MODULE.replace("return [x * k for x in xs]", "return xs"))
    assert ns["scale"]([1, 2]) == [1, 2]


def test_a_removed_module_import_needs_a_fresh_session():
    _, (mode, why) = plan(MODULE.replace("import math\n", ""))
    assert mode == "session" and "runs at import (<module>)" in why


def test_a_changed_default_is_swapped_into_the_live_function():
    # The defaults are a constant tuple the module body gives the function: set them as a
    # fresh import would.
    ns = swap(MODULE.replace("k=2", "k=3"))
    assert ns["scale"]([1, 2]) == [3, 6]
    assert ns["scale"].__defaults__ == (3,)


def test_a_removed_parameter_with_its_default_swaps_code_and_defaults():
    ns = swap(MODULE.replace("def scale(xs, k=2):\n    return [x * k for x in xs]",
                             "def scale(xs):\n    return [x * 2 for x in xs]"))
    assert ns["scale"]([1, 2]) == [2, 4] and ns["scale"].__defaults__ is None
    with pytest.raises(TypeError):
        ns["scale"]([1], 3)


def test_a_default_that_is_not_a_constant_or_ran_at_import_needs_a_fresh_session():
    _, (mode, why) = plan(MODULE.replace("k=2", "k=LIMIT"))
    assert mode == "session" and "<module>" in why
    _, (mode, why) = plan(MODULE.replace("k=2", "k=3"), ran=["scale"])
    assert mode == "session" and "scale ran during import" in why


def test_dropping_super_changes_the_class_body():
    # Without super() the class body no longer makes a __class__ cell.
    _, (mode, why) = plan(MODULE.replace("        super().__init__()\n", "        pass\n"))
    assert mode == "session" and "Box" in why


def test_a_function_that_ran_at_import_needs_a_fresh_session():
    # make_adder ran at import: a change of its own instructions could have made ADD3 otherwise.
    _, (mode, why) = plan(MODULE.replace("def make_adder(n):\n", "def make_adder(n):\n    n = n + 1\n"),
                          ran=["make_adder"])
    assert mode == "session" and "make_adder ran during import" in why


def test_a_change_nested_in_a_function_that_ran_at_import_swaps_what_it_made():
    # make_adder ran at import and made ADD3 from its nested code, which did not run: ADD3
    # and make_adder both get the new code, as a fresh import would give them.
    ns = swap(MODULE.replace("return x + n", "return x - n"), ran=["make_adder"])
    assert ns["ADD3"](1) == -2
    assert ns["make_adder"](5)(1) == -4


def test_a_change_nested_in_a_function_that_ran_needs_a_fresh_session_when_it_ran_too():
    ns, live = load()
    old = server.import_level(compile(MODULE, PATH, "exec", dont_inherit=True))
    ran_keys = {server.key(ns["make_adder"].__code__), server.key(ns["ADD3"].__code__)}
    mode, why = server.plan_swap(old, MODULE.replace("return x + n", "return x - n"), PATH, ran_keys, live)
    assert mode == "session" and "make_adder ran during import" in why
    # Its signature is set when it is made: a fresh session too.
    mode, _ = server.plan_swap(old, MODULE.replace("def inner(x):", "def inner(x, y=0):"), PATH,
                               {server.key(ns["make_adder"].__code__)}, live)
    assert mode == "session"


def test_a_function_that_ran_but_only_moved_is_still_a_swap():
    ns = swap(MODULE.replace("def add(a, b):\n    return a + b\n", "def add(a, b):\n\n    return a + b\n"),
              ran=["make_adder"])
    assert ns["ADD3"](1) == 4


def test_a_new_function_needs_a_fresh_session():
    _, (mode, why) = plan(MODULE + "\ndef extra():\n    pass\n")
    assert mode == "session" and "adds or removes" in why


def test_a_mutant_that_does_not_compile_is_not_swapped():
    _, (mode, why) = plan(MODULE.replace("return a + b", "return a +"))
    assert mode == "session" and "does not compile" in why


@pytest.mark.parametrize("a, b, same", [
    ("def f():\n    return 1\n", "\n\ndef f():\n    return 1\n", True),
    ("def f():\n    return 1\n", "def f():\n    return 2\n", False),
    ("def f():\n    return [i for i in range(3)]\n", "def f():\n    return [i for i in range(4)]\n", False),
    ("def f():\n    return 0\n", "def f():\n    return 0.0\n", False),
    ("def f():\n    return 0\n", "def f():\n    return False\n", False),
])
def test_same_behaviour_ignores_lines_only(a, b, same):
    fa = server.import_level(compile(a, PATH, "exec"))[1][0][1]
    fb = server.import_level(compile(b, PATH, "exec"))[1][0][1]
    assert server.same_behaviour(fa, fb) is same


@pytest.mark.parametrize("command, argv", [
    ("python -m pytest", ["-p", "no:cacheprovider", "tests"]),
    ("python3 -m pytest -x -o addopts=", ["-x", "-o", "addopts=", "-p", "no:cacheprovider", "tests"]),
    ("pytest --doctest-modules", ["--doctest-modules", "-p", "no:cacheprovider", "tests"]),
    ("FOO=1 python -m pytest", None),
    ("tox -e py311", None),
])
def test_only_plain_pytest_commands_are_served(command, argv):
    from forager.records.recipe import TestSpec
    from forager.testsuite.warm_pytest import pytest_argv
    assert pytest_argv(TestSpec(framework="pytest", command=command, paths=["tests"])) == argv


class Report:
    def __init__(self, nodeid, when, outcome):
        self.nodeid, self.when = nodeid, when
        self.failed, self.skipped, self.passed = outcome == "failed", outcome == "skipped", outcome == "passed"


def test_recorder_gives_junit_statuses_and_stops_when_the_first_tests_pass():
    class Session:
        shouldstop = False

    rec = server.Recorder(first=["t::a", "t::b"])
    items = [types.SimpleNamespace(nodeid=n) for n in ("t::z", "t::b", "t::a")]
    rec.pytest_collection_modifyitems(Session(), items)
    assert [i.nodeid for i in items] == ["t::b", "t::a", "t::z"]
    for nodeid, outcomes in (("t::b", ["passed", "passed", "passed"]), ("t::a", ["passed", "passed", "failed"])):
        for when, outcome in zip(("setup", "call", "teardown"), outcomes):
            rec.pytest_runtest_logreport(Report(nodeid, when, outcome))
    assert rec.statuses == {"t::b": "passed", "t::a": "error"}  # a teardown failure is an error
    assert not rec.session.shouldstop and rec.answer(1)["complete"]

    rec = server.Recorder(first=["t::a"])
    rec.pytest_collection_modifyitems(Session(), [types.SimpleNamespace(nodeid="t::a")])
    for when in ("setup", "call", "teardown"):
        rec.pytest_runtest_logreport(Report("t::a", when, "skipped" if when == "setup" else "passed"))
    assert rec.statuses == {"t::a": "skipped"} and not rec.session.shouldstop  # a skip is not a pass
    rec = server.Recorder(first=["t::a"])
    rec.pytest_collection_modifyitems(Session(), [types.SimpleNamespace(nodeid="t::a")])
    for when in ("setup", "call", "teardown"):
        rec.pytest_runtest_logreport(Report("t::a", when, "passed"))
    assert rec.session.shouldstop and rec.answer(2)["complete"] is False


def changed(new_src):
    old = server.import_level(compile(MODULE, PATH, "exec", dont_inherit=True))
    return server.changed_functions(old, new_src, PATH)


def test_changed_functions_name_the_mutated_function_and_its_lines():
    # Lines of the module: add is 6-7, Box.area 19-20, make_adder 23-26 (inner nested in it).
    assert changed(MODULE.replace("return a + b", "return a - b")) == [("add", 6, 7)]
    assert changed(MODULE.replace("return math.floor(self.v * self.v)", "return 0")) == [("Box.area", 19, 20)]
    # A change in a nested function is a change of the function that defines it.
    assert changed(MODULE.replace("return x + n", "return x - n")) == [("make_adder", 23, 26)]
    both = MODULE.replace("return a + b", "return b").replace("return [x * k", "return [x + k")
    assert [name for name, _, _ in changed(both)] == ["add", "scale"]
    assert changed(MODULE + "\ndef extra():\n    pass\n") is None


def test_functions_only_moved_by_the_mutant_are_not_changed():
    # Removing a line of add moves every function below it: only add changed.
    new = MODULE.replace("def add(a, b):\n    return a + b\n", "def add(a, b):\n    pass\n    return a + b\n")
    assert changed(new) == [("add", 6, 7)]
    moved = MODULE.replace("LIMIT = 10\n", "LIMIT = 10\n\n\n")
    assert changed(moved) == []


def test_signature_and_docstring_changes_are_visible_without_running():
    old = server.import_level(compile(MODULE, PATH, "exec", dont_inherit=True))
    seen = lambda new: server.interface_changes(old, new, PATH)  # noqa: E731
    assert seen(MODULE.replace("return a + b", "return a - b")) == []
    assert seen(MODULE.replace("def add(a, b):\n    return a + b", "def add(a):\n    return a + a")) == [
        ("add", "signature")]
    assert seen(MODULE.replace("def add(a, b):\n", "def add(a, b):\n    \"\"\"Sum.\"\"\"\n")) == [("add", "docstring")]
    assert seen(MODULE.replace("def add(a, b):", "def add(b, a):")) == [("add", "signature")]
    assert seen(MODULE.replace("def add(a, b):", "def add(a, *b):")) == [("add", "signature")]


def test_a_changed_function_without_a_live_object_needs_a_fresh_session():
    # Swapping nothing would run the old code (packaging's conftest froze the heap, which
    # hid every function from gc.get_objects()).
    old = server.import_level(compile(MODULE, PATH, "exec", dont_inherit=True))
    mode, why = server.plan_swap(old, MODULE.replace("return a + b", "return a - b"), PATH, set(), {})
    assert mode == "session" and "no live function object of add" in why


def test_the_heap_scan_sees_objects_a_suite_froze():
    import gc

    def marker():
        pass

    gc.freeze()
    try:
        assert gc.get_freeze_count() > 0 and not any(o is marker for o in gc.get_objects())
        assert any(o is marker for o in server.heap())
        assert gc.get_freeze_count() > 0  # still frozen
    finally:
        gc.unfreeze()


ANNOTATED = '''from __future__ import annotations


def floor(bounds: tuple[int, ...], low: int = 0) -> tuple[int, ...]:
    return tuple(b for b in bounds if b >= low)
'''


def test_string_annotations_are_folded_constants_swapped_like_defaults():
    # Under PEP 563 a function's annotations are one constant tuple of the module body: a
    # removed parameter changes it, and the fork sets __annotations__ as a fresh import would.
    ns: dict = {"__name__": "mod"}
    exec(compile(ANNOTATED, PATH, "exec", dont_inherit=True), ns)
    live = {server.key(ns["floor"].__code__): [ns["floor"]]}
    old = server.import_level(compile(ANNOTATED, PATH, "exec", dont_inherit=True))
    new = ANNOTATED.replace("bounds: tuple[int, ...], low: int = 0", "bounds: tuple[int, ...]").replace(
        "b >= low", "b >= 0")
    mode, swaps = server.plan_swap(old, new, PATH, set(), live)
    assert mode == "swap", swaps
    for fn, attr, value in swaps:
        setattr(fn, attr, value)
    fresh: dict = {"__name__": "mod"}
    exec(compile(new, PATH, "exec", dont_inherit=True), fresh)
    for attr in ("__annotations__", "__defaults__"):
        assert getattr(ns["floor"], attr) == getattr(fresh["floor"], attr), attr
    assert ns["floor"]((1, -1)) == (1,)
    # An annotation that is evaluated (no PEP 563) is code that runs at import.
    evaluated = ANNOTATED.replace("from __future__ import annotations\n", "")
    old = server.import_level(compile(evaluated, PATH, "exec", dont_inherit=True))
    mode, why = server.plan_swap(old, evaluated.replace("low: int = 0", "low: float = 0"), PATH, set(), live)
    assert mode == "session" and "<module>" in why
