"""minilib: small pure-Python text and data utilities.

Modules:

* ``minilib.textutils`` - slugify, wrapping, word counts, case conversion
* ``minilib.intervals`` - merging, intersecting and measuring intervals
* ``minilib.matrix``    - a small immutable-ish Matrix class
* ``minilib.cache``     - LRU and TTL caches and a memoize decorator
* ``minilib.parsing``   - key=value lists, INI-style configs, arithmetic
* ``minilib.stats``     - mean, median, variance, percentiles, histograms
"""

__all__ = ["cache", "intervals", "matrix", "parsing", "stats", "textutils"]
__version__ = "0.1.0"
