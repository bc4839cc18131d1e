"""Each mutation operator on realistic code: valid, different, and confined to its function."""

from __future__ import annotations

import ast
import difflib
import functools
import random
import textwrap

import libcst as cst
import pytest

from forager.tasks.mutate import OPERATORS
from forager.tasks.mutate.functions import FunctionInfo, find_functions

SOURCE = textwrap.dedent(
    '''\
    """Inventory helpers."""

    from __future__ import annotations

    import json
    import os.path
    # collections we need
    from collections import defaultdict, OrderedDict

    DEFAULT_LIMIT = 10  # items per page


    def load_items(path, encoding="utf-8"):
        """Read items from a JSON file; a missing file means no items."""
        if not os.path.exists(path):
            return []
        with open(path, encoding=encoding) as handle:
            data = json.load(handle)
        return [item for item in data if item.get("active", True)]


    def total_price(items, discount=0.0, *, tax_rate=0.2):
        total = 0
        for item in items:
            if item["qty"] <= 0 or item["price"] is None:
                continue
            total += item["qty"] * item["price"]
        total = total - total * discount
        return round(total * (1 + tax_rate), 2)


    class Inventory:
        """A keyed collection of items."""

        def __init__(self, items=None, limit=DEFAULT_LIMIT):
            self.items = OrderedDict()
            self.limit = limit
            for item in items or []:
                self.add(item)

        def add(self, item):
            key = item["sku"].strip().lower()
            if key in self.items:
                raise KeyError(f"duplicate sku {key}")
            elif len(self.items) >= self.limit:
                raise ValueError("inventory is full")
            self.items[key] = item

        def page(self, number, size=DEFAULT_LIMIT):
            start = (number - 1) * size
            keys = list(self.items)[start:start + size]
            return [self.items[k] for k in keys]

        def group_by(self, field):
            import itertools

            groups = defaultdict(list)
            ordered = sorted(self.items.values(), key=lambda i: i[field])
            for value, members in itertools.groupby(ordered, key=lambda i: i[field]):
                groups[value].extend(members)
            return dict(groups)

        def restock(self, sku, amount):
            item = self.items[sku]
            attempts = 0
            while attempts < 3 and not item.get("locked"):
                attempts += 1
                try:
                    item["qty"] = max(0, item["qty"] + amount)
                except TypeError:
                    item["qty"] = amount
                else:
                    break
            return item["qty"] if item else -1


    def summary(inventory):
        count = len(inventory.items)
        label = "item" if count == 1 else "items"
        value = total_price(list(inventory.items.values()), 0.0)
        return "%d %s worth %s" % (count, label, value)
    '''
)

# Operator -> functions of SOURCE where it must find something to do.
CASES = {
    "body_remove": ["total_price", "Inventory.add"],
    "body_partial_remove": ["total_price", "Inventory.group_by"],
    "param_remove": ["total_price", "Inventory.page"],
    "call_args_reorder": ["load_items", "summary"],
    "variable_swap": ["total_price", "Inventory.page"],
    "import_remove": ["load_items", "Inventory.group_by"],
    "return_remove": ["Inventory.page", "summary"],
    "binop_replace": ["total_price", "Inventory.page"],
    "compare_replace": ["Inventory.add", "Inventory.restock"],
    "unaryop_replace": ["load_items", "Inventory.restock"],
    "boolop_replace": ["total_price", "Inventory.restock"],
    "if_invert": ["load_items", "Inventory.add"],
    "loop_remove": ["total_price", "Inventory.restock"],
    "condition_remove": ["Inventory.add", "summary"],
    "assignment_remove": ["Inventory.__init__", "Inventory.restock"],
    "wrapper_remove": ["load_items", "Inventory.restock"],
    "constant_change": ["Inventory.restock", "load_items"],
    "statement_shuffle": ["summary", "Inventory.restock"],
}


@functools.lru_cache(maxsize=None)  # operators never change the module they are given
def targets(source: str = SOURCE) -> tuple[cst.Module, dict[str, FunctionInfo]]:
    module = cst.parse_module(source)
    return module, {t.qualname: t for t in find_functions(module, source)}


def run(name: str, qualname: str, source: str = SOURCE, seed: int = 0) -> list[tuple[str, str]]:
    """(mutated source, description) of one operator on one function."""
    module, found = targets(source)
    return [(m.code, d) for m, d in OPERATORS[name].mutate(module, found[qualname], random.Random(seed))]


cached_run = functools.lru_cache(maxsize=None)(run)  # several tests look at the same output


def outside_changes(original: str, mutated: str, start: int, end: int) -> tuple[str, str]:
    """(expected, actual): the original's text before line `start` and after line `end`, and
    the mutant's text of the same lengths at its start and end. Equal when an edit kept to
    the lines start..end."""
    lines = original.splitlines(keepends=True)
    before, after = "".join(lines[: start - 1]), "".join(lines[end:])
    head = mutated[: len(before)]
    tail = mutated[len(mutated) - len(after) :] if after else ""
    return before + after, head + tail


def test_every_operator_has_cases() -> None:
    assert set(CASES) == set(OPERATORS)


@pytest.mark.parametrize(
    ("name", "qualname"), [(name, q) for name, qualnames in sorted(CASES.items()) for q in qualnames]
)
def test_operator_yields_valid_local_mutants(name: str, qualname: str) -> None:
    _, found = targets()
    target = found[qualname]
    mutants = cached_run(name, qualname)
    assert mutants, f"{name} found nothing to do in {qualname}"
    original_ast = ast.dump(ast.parse(SOURCE))
    for mutated, description in mutants:
        assert description and "\n" not in description
        compile(mutated, "sample.py", "exec")  # parses and compiles
        assert ast.dump(ast.parse(mutated)) != original_ast, description
        expected, actual = outside_changes(SOURCE, mutated, target.start_line, target.end_line)
        if name == "import_remove" and actual != expected:
            # A module-level import: only import lines may change (see the test below).
            removed, added = changed_lines(SOURCE, mutated)
            assert all(line.startswith(("import ", "from ")) for line in removed + added), description
            continue
        assert actual == expected, f"{description}: text outside {qualname} changed"


@pytest.mark.parametrize("name", sorted(CASES))
def test_operator_is_deterministic(name: str) -> None:
    qualname = CASES[name][0]
    assert run(name, qualname, seed=5) == run(name, qualname, seed=5)


# Behaviour of single operators --------------------------------------------------------------


def changed_lines(original: str, mutated: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines of a mutant."""
    diff = list(difflib.ndiff(original.splitlines(), mutated.splitlines()))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


def test_body_remove_keeps_docstring_and_picks_stub() -> None:
    outs = dict((d, m) for m, d in cached_run("body_remove", "load_items"))
    assert len(outs) == 2
    for mutated in outs.values():
        assert '"""Read items from a JSON file; a missing file means no items."""' in mutated
    stubs = sorted(added[0].strip() for added in (changed_lines(SOURCE, m)[1] for m in outs.values()))
    assert stubs == ["raise NotImplementedError", "return None"]  # it returns a value
    procedure = [changed_lines(SOURCE, m)[1] for m, _ in cached_run("body_remove", "Inventory.add")]
    assert sorted(a[0].strip() for a in procedure) == ["pass", "raise NotImplementedError"]


def test_param_remove_never_drops_the_receiver() -> None:
    outs = cached_run("param_remove", "Inventory.page")
    defs = sorted(changed_lines(SOURCE, m)[1][0].strip() for m, _ in outs)
    assert defs == ["def page(self, number):", "def page(self, size=DEFAULT_LIMIT):"]
    kwonly = [changed_lines(SOURCE, m)[1][0].strip() for m, _ in cached_run("param_remove", "total_price")]
    assert "def total_price(items, discount=0.0):" in kwonly  # no bare `*` left behind


def test_call_args_reorder_swaps_positional_arguments() -> None:
    (mutated, description), = cached_run("call_args_reorder", "load_items")
    assert 'item.get(True, "active")' in mutated
    assert "line 19" in description


def test_variable_swap_swaps_uses_but_not_parameters_or_attributes() -> None:
    for mutated, description in cached_run("variable_swap", "Inventory.page"):
        removed, added = changed_lines(SOURCE, mutated)
        assert all(not line.strip().startswith("def ") for line in added)
        assert "self.items" in mutated and "self." in added[-1] or "self" not in description
    swapped = {d: m for m, d in cached_run("variable_swap", "Inventory.page")}
    mutated = swapped["swapped every use of `number` and `size` in `Inventory.page`"]
    assert "start = (size - 1) * number" in mutated


def test_import_remove_module_level_keeps_other_names_and_comments() -> None:
    outs = {d: m for m, d in cached_run("import_remove", "Inventory.group_by")}
    module_level = outs["removed `defaultdict` from the import on line 8, used by `Inventory.group_by`"]
    removed, added = changed_lines(SOURCE, module_level)
    assert removed == ["from collections import defaultdict, OrderedDict"]
    assert added == ["from collections import OrderedDict"]
    local = outs["removed `import itertools` (line 55), used by `Inventory.group_by`"]
    assert changed_lines(SOURCE, local) == (["        import itertools"], [])
    whole = {d: m for m, d in cached_run("import_remove", "load_items")}["removed `import json` (line 5), used by `load_items`"]
    assert changed_lines(SOURCE, whole) == (["import json"], [])
    assert "# collections we need\n" in whole


def test_return_remove_deletes_or_empties_a_return() -> None:
    outs = [changed_lines(SOURCE, m) for m, _ in cached_run("return_remove", "Inventory.page")]
    assert (["        return [self.items[k] for k in keys]"], []) in outs
    assert (["        return [self.items[k] for k in keys]"], ["        return"]) in outs


def test_binop_replace_covers_augmented_assignment() -> None:
    descriptions = [d for _, d in cached_run("binop_replace", "total_price")]
    assert "replaced `+=` with `-=` on line 27" in descriptions
    assert "replaced `*` with `/` on line 27" in descriptions


def test_compare_replace_handles_two_word_operators() -> None:
    outs = [changed_lines(SOURCE, m)[1] for m, _ in cached_run("compare_replace", "Inventory.add")]
    assert ["        if key not in self.items:"] in outs


def test_unaryop_replace_keeps_parentheses_apart_from_keywords() -> None:
    source = "def f(x):\n    if(not x):\n        return -(x + 1)\n    return 0\n"
    outs = sorted(m for m, _ in cached_run("unaryop_replace", "f", source))
    assert outs == sorted(
        [
            "def f(x):\n    if(x):\n        return -(x + 1)\n    return 0\n",
            "def f(x):\n    if(not x):\n        return (x + 1)\n    return 0\n",
        ]
    )


def test_boolop_replace_swaps_and_or() -> None:
    (mutated, _), = cached_run("boolop_replace", "Inventory.restock")
    assert 'while attempts < 3 or not item.get("locked"):' in mutated


def test_if_invert_negates_and_undoes_not() -> None:
    outs = [changed_lines(SOURCE, m)[1] for m, _ in cached_run("if_invert", "Inventory.add")]
    assert ["        if not (key in self.items):"] in outs
    (mutated, _), = cached_run("if_invert", "load_items")
    assert "    if os.path.exists(path):\n" in mutated
    tight = cached_run("if_invert", "f", "def f(x):\n    if(x):\n        return 1\n")
    assert tight[0][0] == "def f(x):\n    if not (x):\n        return 1\n"


def test_loop_remove_runs_body_once_only_when_that_compiles() -> None:
    assert [d for _, d in cached_run("loop_remove", "Inventory.restock")] == ["removed the `while` loop (lines 66-73)"]
    source = "def drain(queue):\n    n = 0\n    while queue:\n        n += queue.pop()\n    return n\n"
    outs = {d: m for m, d in cached_run("loop_remove", "drain", source)}
    once = outs["replaced the `while` loop (lines 3-4) by one run of its body"]
    assert once == "def drain(queue):\n    n = 0\n    n += queue.pop()\n    return n\n"


def test_condition_remove_handles_if_elif_and_conditional_expressions() -> None:
    descriptions = sorted(d for _, d in cached_run("condition_remove", "Inventory.add"))
    assert descriptions == [
        "removed the `elif len(self.items) >= self.limit:` branch (lines 45-46)",
        "removed the `if key in self.items:` branch on line 43; the following `elif` becomes the `if`",
        "removed the condition `if key in self.items:` on line 43; its body always runs",
        "replaced `elif len(self.items) >= self.limit:` on line 45 with `else:`",
    ]
    outs = [changed_lines(SOURCE, m)[1] for m, _ in cached_run("condition_remove", "summary")]
    assert ['    label = "items"'] in outs and ['    label = "item"'] in outs


def test_assignment_remove_never_leaves_an_empty_block() -> None:
    outs = {d: m for m, d in cached_run("assignment_remove", "Inventory.restock")}
    mutated = outs["removed the assignment `item[\"qty\"] = amount` on line 71"]
    assert "            except TypeError:\n                pass\n" in mutated


def test_wrapper_remove_unwraps_with_and_try() -> None:
    (with_removed, _), = cached_run("wrapper_remove", "load_items")
    assert "    data = json.load(handle)\n" in with_removed and "with open" not in with_removed
    (try_removed, _), = cached_run("wrapper_remove", "Inventory.restock")
    assert "try:" not in try_removed and "except" not in try_removed
    assert '            item["qty"] = max(0, item["qty"] + amount)\n            break\n' in try_removed


def test_constant_change_leaves_docstrings_alone() -> None:
    outs = cached_run("constant_change", "load_items")
    assert outs
    assert all('"""Read items from a JSON file; a missing file means no items."""' in m for m, _ in outs)
    descriptions = [d for _, d in outs]
    assert 'changed the constant `"utf-8"` to `""` on line 13' in descriptions
    assert "changed the constant `True` to `False` on line 19" in descriptions


def test_statement_shuffle_only_swaps_independent_statements() -> None:
    outs = {d: m for m, d in cached_run("statement_shuffle", "summary")}
    assert list(outs) == ["swapped the statements on lines 79 and 80"]  # label and value
    source = "def f(a):\n    b = a + 1\n    c = b * 2\n    return c\n"
    assert cached_run("statement_shuffle", "f", source) == []
