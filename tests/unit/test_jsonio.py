"""JSONL writing: whole lines only; a torn last line (crash mid-write) is skipped, others are errors."""

import pytest
from pydantic import BaseModel

from forager.errors import ForagerError
from forager.jsonio import append_line, read_lines, write_atomic


class Row(BaseModel):
    n: int


def test_append_and_read(tmp_path):
    f = tmp_path / "a.jsonl"
    for i in range(3):
        append_line(f, Row(n=i))
    assert [r.n for r in read_lines(f, Row)] == [0, 1, 2]


def test_torn_tail_is_skipped_but_bad_middle_line_is_an_error(tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_text('{"n": 1}\n{"n": 2')
    assert [r.n for r in read_lines(f, Row)] == [1]
    f.write_text('{"n": 1}\n{"x": 2}\n{"n": 3}\n')
    with pytest.raises(ForagerError, match=r"a.jsonl:2: not a valid Row"):
        list(read_lines(f, Row))


def test_write_atomic_replaces_whole_file(tmp_path):
    f = tmp_path / "m.json"
    write_atomic(f, "one")
    write_atomic(f, "two")
    assert f.read_text() == "two" and [p.name for p in tmp_path.iterdir()] == ["m.json"]
