"""Descriptive statistics on plain sequences of numbers."""

import math
from collections import Counter


class StatsError(ValueError):
    """Raised when a statistic is undefined for the given data."""


def _require(values, minimum=1):
    data = list(values)
    if len(data) < minimum:
        raise StatsError(f"need at least {minimum} value(s), got {len(data)}")
    return data


def mean(values):
    data = _require(values)
    return sum(data) / len(data)


def median(values):
    data = sorted(_require(values))
    middle = len(data) // 2
    if len(data) % 2 == 1:
        return data[middle]
    return (data[middle - 1] + data[middle]) / 2


def mode(values):
    """The most common value; ties go to the smallest value."""
    counts = Counter(_require(values))
    best = max(counts.values())
    return min(value for value, count in counts.items() if count == best)


def variance(values, sample=True):
    """Sample variance (n - 1 denominator) or, with ``sample=False``, population."""
    data = _require(values, 2 if sample else 1)
    centre = mean(data)
    squares = 0.0
    for value in data:
        squares += (value - centre) ** 2
    denominator = len(data) - 1 if sample else len(data)
    return squares / denominator


def stdev(values, sample=True):
    return math.sqrt(variance(values, sample))


def _interpolate(low, high, fraction):
    return low + (high - low) * fraction


def percentile(values, pct):
    """Linear-interpolation percentile, ``pct`` in [0, 100]."""
    if not 0 <= pct <= 100:
        raise StatsError("percentile must be between 0 and 100")
    data = sorted(_require(values))
    position = (len(data) - 1) * pct / 100
    lower = math.floor(position)
    upper = math.ceil(position)
    return _interpolate(data[lower], data[upper], position - lower)


def coefficient_of_variation(values):
    """Population standard deviation divided by the mean."""
    data = _require(values)
    try:
        return stdev(data, False) / mean(data)
    except ZeroDivisionError:
        raise StatsError("coefficient of variation is undefined for a zero mean") from None


def zscores(values):
    """Standard scores using the population standard deviation."""
    data = _require(values)
    centre = mean(data)
    spread = stdev(data, False)
    if spread == 0:
        return [0.0 for _ in data]
    return [(value - centre) / spread for value in data]


def histogram(values, bins, low, high):
    """Counts of ``values`` in ``bins`` equal-width bins over ``[low, high]``.

    Values outside the range are ignored; ``high`` itself lands in the last bin.
    """
    if bins < 1 or high <= low:
        raise StatsError("need bins >= 1 and high > low")
    counts = [0] * bins
    width = (high - low) / bins
    for value in values:
        if value < low or value > high:
            continue
        index = int((value - low) / width)
        if index == bins:
            index -= 1
        counts[index] += 1
    return counts


def moving_average(values, window):
    """Means of each run of ``window`` consecutive values."""
    data = list(values)
    if window < 1 or window > len(data):
        raise StatsError("window must be between 1 and the number of values")
    averages = []
    running = sum(data[:window])
    averages.append(running / window)
    for index in range(window, len(data)):
        running += data[index] - data[index - window]
        averages.append(running / window)
    return averages


def summary(values):
    """A dict of count, min, max, mean and median."""
    data = _require(values)
    return {
        "count": len(data),
        "min": min(data),
        "max": max(data),
        "mean": mean(data),
        "median": median(data),
    }
