"""Finding mutation targets: qualified names, line spans, and splicing a function back."""

from __future__ import annotations

import textwrap

import libcst as cst

from forager.tasks.mutate.functions import find_functions

SOURCE = textwrap.dedent(
    """\
    import os


    def outer(x):
        def inner(y):
            return y + 1
        return inner(x)


    # a comment above a decorated function
    @staticmethod
    @other(1)
    async def fetch(url):
        return url


    if os.name == "posix":
        def sep():
            return "/"


    class Shape:
        class Meta:
            def describe(self):
                return "meta"

        def area(self):
            total = 0
            return total
            # a note that belongs to the body of area

        def local_class(self):
            class Local:
                def hidden(self):
                    return 1
            return Local


    def last(): return 42
    """
)


def test_finds_functions_and_methods_with_qualified_names() -> None:
    found = find_functions(cst.parse_module(SOURCE))
    assert [f.qualname for f in found] == [
        "outer",
        "fetch",
        "sep",
        "Shape.Meta.describe",
        "Shape.area",
        "Shape.local_class",
        "last",
    ]  # inner and Local.hidden live inside functions: not targets
    assert [f.is_method for f in found] == [False, False, False, True, True, True, False]


def test_spans_start_at_def_and_include_trailing_body_comments() -> None:
    spans = {f.qualname: (f.start_line, f.end_line) for f in find_functions(cst.parse_module(SOURCE))}
    assert spans["outer"] == (4, 7)
    assert spans["fetch"] == (13, 14)  # decorators (lines 11-12) are not part of the span
    assert spans["sep"] == (18, 19)
    assert spans["Shape.area"] == (27, 30)  # the comment closing the body is the function's
    assert spans["last"] == (39, 39)
    lines = SOURCE.splitlines()
    assert lines[26].strip() == "def area(self):" and lines[29].strip().startswith("# a note")


def test_source_of_and_line_refer_to_the_original_text() -> None:
    module = cst.parse_module(SOURCE)
    area = next(f for f in find_functions(module, SOURCE) if f.qualname == "Shape.area")
    ret = area.node.body.body[1]
    assert area.line(ret) == 29
    assert area.source_of(ret.body[0]) == "return total"


def test_splice_replaces_only_the_function() -> None:
    module = cst.parse_module(SOURCE)
    describe = next(f for f in find_functions(module) if f.qualname == "Shape.Meta.describe")
    renamed = describe.node.with_changes(name=cst.Name("explain"))
    new = describe.splice(module, renamed)
    assert new.code == SOURCE.replace("def describe(self):", "def explain(self):")
    assert module.code == SOURCE  # the original tree is untouched
