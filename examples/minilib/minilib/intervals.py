"""Half-open numeric intervals ``(start, end)``: merging, overlap, gaps, coverage."""

from bisect import bisect_right


def normalize(interval):
    """Return ``interval`` as a tuple with ``start <= end``."""
    start, end = interval
    if start > end:
        start, end = end, start
    return (start, end)


def length(interval):
    start, end = normalize(interval)
    return end - start


def contains(interval, point, closed=False):
    """True if ``point`` lies in the interval; ``closed`` also admits the end."""
    start, end = normalize(interval)
    if closed:
        return start <= point <= end
    return start <= point < end


def overlaps(first, second):
    """True if the two half-open intervals share more than a single point."""
    a_start, a_end = normalize(first)
    b_start, b_end = normalize(second)
    return a_start < b_end and b_start < a_end


def intersection(first, second):
    """The common part of two intervals, or None if they do not overlap."""
    a_start, a_end = normalize(first)
    b_start, b_end = normalize(second)
    start = max(a_start, b_start)
    end = min(a_end, b_end)
    if start >= end:
        return None
    return (start, end)


def merge(intervals, join_touching=True):
    """Merge overlapping intervals into a sorted list of disjoint ones.

    With ``join_touching`` intervals like (1, 2) and (2, 3) become (1, 3).
    """
    ordered = sorted(normalize(item) for item in intervals)
    merged = []
    for start, end in ordered:
        if merged:
            last_start, last_end = merged[-1]
            if start < last_end or (join_touching and start == last_end):
                merged[-1] = (last_start, max(last_end, end))
                continue
        merged.append((start, end))
    return merged


def total_length(intervals):
    """Length covered by the union of ``intervals``."""
    total = 0
    for start, end in merge(intervals):
        total += end - start
    return total


def gaps(intervals, lower, upper):
    """The parts of ``[lower, upper)`` that no interval covers."""
    result = []
    cursor = lower
    for start, end in merge(intervals):
        if end <= lower or start >= upper:
            continue
        if start > cursor:
            result.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < upper:
        result.append((cursor, upper))
    return result


def shift(interval, offset, scale=1):
    """Scale an interval about zero and then move it by ``offset``."""
    start, end = normalize(interval)
    return (start * scale + offset, end * scale + offset)


class IntervalSet:
    """A set of numbers stored as sorted disjoint half-open intervals."""

    def __init__(self, intervals=()):
        self._items = merge(intervals, False)

    def add(self, start, end):
        self._items = merge(self._items + [(start, end)], False)
        return self

    def __contains__(self, point):
        starts = [start for start, _ in self._items]
        index = bisect_right(starts, point) - 1
        if index < 0:
            return False
        return contains(self._items[index], point)

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def span(self):
        """The smallest single interval containing the whole set, or None."""
        if not self._items:
            return None
        return (self._items[0][0], self._items[-1][1])

    def covered(self):
        return total_length(self._items)
