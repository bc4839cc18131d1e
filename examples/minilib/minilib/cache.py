"""Caches: a least-recently-used cache, a time-to-live cache and ``memoize``."""

import functools
import time
from collections import OrderedDict

_MISSING = object()
DEFAULT_CAPACITY = 128


class LRUCache:
    """A mapping that holds at most ``capacity`` items, evicting the least
    recently used one first. ``on_evict(key, value)`` is called per eviction."""

    def __init__(self, capacity=DEFAULT_CAPACITY, on_evict=None):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.on_evict = on_evict
        self.hits = 0
        self.misses = 0
        self._data = OrderedDict()

    def get(self, key, default=None):
        value = self._data.get(key, _MISSING)
        if value is _MISSING:
            self.misses += 1
            return default
        self.hits += 1
        self._data.move_to_end(key)
        return value

    def put(self, key, value):
        if key in self._data:
            self._data.move_to_end(key)
        self._data[key] = value
        while len(self._data) > self.capacity:
            old_key, old_value = self._data.popitem(last=False)
            if self.on_evict is not None:
                self.on_evict(old_key, old_value)

    def pop(self, key, default=None):
        return self._data.pop(key, default)

    def __contains__(self, key):
        return key in self._data

    def __len__(self):
        return len(self._data)

    def keys(self):
        """Keys from least to most recently used."""
        return list(self._data)

    def hit_ratio(self):
        lookups = self.hits + self.misses
        if lookups == 0:
            return 0.0
        return self.hits / lookups

    def clear(self):
        self._data.clear()
        self.hits = 0
        self.misses = 0


class TTLCache:
    """A cache whose entries expire ``ttl`` seconds after they were stored.

    ``clock`` returns the current time in seconds; tests pass a fake one.
    """

    def __init__(self, ttl, clock=None):
        if ttl <= 0:
            raise ValueError("ttl must be positive")
        self.ttl = ttl
        self.clock = clock if clock is not None else time.monotonic
        self._data = {}

    def put(self, key, value):
        self._data[key] = (value, self.clock() + self.ttl)

    def get(self, key, default=None):
        entry = self._data.get(key)
        if entry is None:
            return default
        value, expires = entry
        if self.clock() >= expires:
            del self._data[key]
            return default
        return value

    def purge(self):
        """Drop every expired entry and return how many were dropped."""
        now = self.clock()
        expired = [key for key, (_, expires) in self._data.items() if expires <= now]
        for key in expired:
            del self._data[key]
        return len(expired)

    def __len__(self):
        return len(self._data)


def memoize(capacity=DEFAULT_CAPACITY):
    """Decorator caching a function's results by its positional arguments."""

    def decorator(func):
        store = LRUCache(capacity)

        @functools.wraps(func)
        def wrapper(*args):
            result = store.get(args, _MISSING)
            if result is _MISSING:
                result = func(*args)
                store.put(args, result)
            return result

        wrapper.cache = store
        return wrapper

    return decorator
