import math

import pytest

from minilib.stats import (
    StatsError,
    coefficient_of_variation,
    histogram,
    mean,
    median,
    mode,
    moving_average,
    percentile,
    stdev,
    summary,
    variance,
    zscores,
)

DATA = [2, 4, 4, 4, 5, 5, 7, 9]


def test_mean():
    assert mean([1, 2, 3, 4]) == 2.5
    assert mean(x for x in (3, 6)) == 4.5
    with pytest.raises(StatsError):
        mean([])


def test_median():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert median([5]) == 5
    assert median([10, 1]) == 5.5


def test_mode():
    assert mode([1, 2, 2, 3, 3]) == 2
    assert mode([7]) == 7
    assert mode([5, 1, 5, 1, 5]) == 5


def test_variance():
    assert variance(DATA, sample=False) == 4.0
    assert variance(DATA) == pytest.approx(32 / 7)
    assert variance([1], False) == 0.0
    assert variance([1, 3]) == 2.0
    with pytest.raises(StatsError):
        variance([1])


def test_stdev():
    assert stdev(DATA, False) == 2.0
    assert stdev(DATA) == pytest.approx(math.sqrt(32 / 7))


def test_percentile():
    data = [50, 15, 40, 20, 35]
    assert percentile(data, 0) == 15
    assert percentile(data, 100) == 50
    assert percentile(data, 50) == 35
    assert percentile(data, 25) == 20
    assert percentile(data, 40) == pytest.approx(29.0)
    assert percentile(data, 90) == pytest.approx(46.0)
    assert percentile([3], 70) == 3


def test_percentile_range_checked():
    with pytest.raises(StatsError):
        percentile([1, 2], 101)
    with pytest.raises(StatsError):
        percentile([1, 2], -1)
    with pytest.raises(StatsError):
        percentile([], 50)


def test_coefficient_of_variation():
    assert coefficient_of_variation(DATA) == 0.4
    assert coefficient_of_variation([3, 3]) == 0.0
    with pytest.raises(StatsError):
        coefficient_of_variation([-1, 1])


def test_zscores():
    assert zscores(DATA) == [-1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 1.0, 2.0]
    assert zscores([3, 3, 3]) == [0.0, 0.0, 0.0]


def test_histogram():
    values = [0, 1, 2.5, 5, 9.99, 10, 11, -1]
    assert histogram(values, 4, 0, 10) == [2, 1, 1, 2]
    assert histogram([1, 2, 3], 1, 0, 3) == [3]
    assert histogram([2, 3, 4.5, 6, 7], 2, 2, 6) == [2, 2]
    with pytest.raises(StatsError):
        histogram(values, 0, 0, 10)
    with pytest.raises(StatsError):
        histogram(values, 2, 5, 5)


def test_moving_average():
    assert moving_average([1, 2, 3, 4, 5], 2) == [1.5, 2.5, 3.5, 4.5]
    assert moving_average([1, 2, 3, 4, 5], 3) == [2.0, 3.0, 4.0]
    assert moving_average([1, 2, 3, 4, 5], 5) == [3.0]
    assert moving_average([4, 8], 1) == [4.0, 8.0]
    with pytest.raises(StatsError):
        moving_average([1, 2], 3)
    with pytest.raises(StatsError):
        moving_average([1, 2], 0)


def test_summary():
    assert summary([4, 1, 3, 2]) == {"count": 4, "min": 1, "max": 4, "mean": 2.5, "median": 2.5}
