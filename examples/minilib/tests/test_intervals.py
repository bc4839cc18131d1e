from minilib.intervals import (
    IntervalSet,
    contains,
    gaps,
    intersection,
    length,
    merge,
    normalize,
    overlaps,
    shift,
    total_length,
)


def test_normalize_and_length():
    assert normalize((5, 1)) == (1, 5)
    assert normalize([2, 3]) == (2, 3)
    assert length((7, 2)) == 5


def test_contains_half_open_and_closed():
    assert contains((1, 5), 1) is True
    assert contains((1, 5), 5) is False
    assert contains((1, 5), 5, True) is True
    assert contains((1, 5), 1, closed=True) is True
    assert contains((1, 5), 0, closed=True) is False
    assert contains((5, 1), 3) is True


def test_overlaps():
    assert overlaps((1, 5), (4, 8)) is True
    assert overlaps((1, 5), (5, 8)) is False
    assert overlaps((5, 8), (1, 5)) is False
    assert overlaps((1, 10), (3, 4)) is True
    assert overlaps((8, 4), (1, 5)) is True
    assert overlaps((1, 2), (3, 4)) is False


def test_intersection():
    assert intersection((1, 5), (3, 9)) == (3, 5)
    assert intersection((0, 10), (2, 4)) == (2, 4)
    assert intersection((1, 3), (3, 5)) is None
    assert intersection((1, 2), (6, 8)) is None


def test_merge_sorts_and_joins():
    assert merge([(5, 7), (1, 3), (2, 4), (8, 9)]) == [(1, 4), (5, 7), (8, 9)]


def test_merge_touching():
    assert merge([(2, 3), (1, 2)]) == [(1, 3)]
    assert merge([(2, 3), (1, 2)], False) == [(1, 2), (2, 3)]


def test_merge_nested_reversed_and_empty():
    assert merge([(1, 10), (2, 3)]) == [(1, 10)]
    assert merge([(4, 2)]) == [(2, 4)]
    assert merge([]) == []


def test_total_length():
    assert total_length([(1, 4), (2, 6), (10, 12)]) == 7
    assert total_length([]) == 0


def test_gaps():
    assert gaps([(2, 4), (6, 7)], 0, 10) == [(0, 2), (4, 6), (7, 10)]
    assert gaps([(-5, 1), (3, 4), (12, 15)], 0, 10) == [(1, 3), (4, 10)]
    assert gaps([(0, 10)], 0, 10) == []
    assert gaps([], 3, 5) == [(3, 5)]


def test_shift():
    assert shift((1, 3), 10) == (11, 13)
    assert shift((1, 3), 1, 2) == (3, 7)
    assert shift((3, 1), 0, -1) == (-1, -3)


def test_interval_set_membership():
    s = IntervalSet([(1, 3), (3, 5), (10, 12)])
    assert list(s) == [(1, 3), (3, 5), (10, 12)]
    assert len(s) == 3
    assert 1 in s
    assert 4 in s
    assert 11 in s
    assert 0 not in s
    assert 5 not in s
    assert 7 not in s
    assert 12 not in s
    assert s.span() == (1, 12)
    assert s.covered() == 6


def test_interval_set_add():
    s = IntervalSet()
    assert s.span() is None
    assert 1 not in s
    assert s.add(5, 8).add(1, 2).add(7, 9) is s
    assert list(s) == [(1, 2), (5, 9)]
    assert s.covered() == 5
