import time

import pytest

from minilib.cache import DEFAULT_CAPACITY, LRUCache, TTLCache, memoize


class FakeClock:
    def __init__(self, now=0.0):
        self.now = now

    def __call__(self):
        return self.now


def test_lru_rejects_bad_capacity():
    with pytest.raises(ValueError):
        LRUCache(0)
    assert LRUCache(1).capacity == 1


def test_lru_get_put_and_default():
    cache = LRUCache(4)
    assert cache.get("x") is None
    assert cache.get("x", 7) == 7
    cache.put("x", 1)
    assert cache.get("x") == 1
    assert "x" in cache
    assert "y" not in cache
    assert len(cache) == 1


def test_lru_evicts_least_recently_used():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert "b" not in cache
    assert cache.keys() == ["a", "c"]


def test_lru_put_existing_key_refreshes():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 3)
    cache.put("c", 4)
    assert cache.keys() == ["a", "c"]
    assert cache.get("a") == 3


def test_lru_on_evict_callback():
    evicted = []
    cache = LRUCache(2, lambda key, value: evicted.append((key, value)))
    for index, key in enumerate("abcd"):
        cache.put(key, index)
    assert evicted == [("a", 0), ("b", 1)]
    assert len(cache) == 2


def test_lru_hit_ratio():
    cache = LRUCache(3)
    assert cache.hit_ratio() == 0.0
    cache.put("k", "v")
    for _ in range(3):
        cache.get("k")
    cache.get("missing")
    assert cache.hits == 3
    assert cache.misses == 1
    assert cache.hit_ratio() == 0.75


def test_lru_pop_and_clear():
    cache = LRUCache(3)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.get("a")
    cache.get("zzz")
    assert cache.pop("a") == 1
    assert cache.pop("a", "gone") == "gone"
    assert cache.keys() == ["b"]
    cache.clear()
    assert len(cache) == 0
    assert (cache.hits, cache.misses) == (0, 0)


def test_lru_default_capacity():
    cache = LRUCache()
    assert DEFAULT_CAPACITY == 128
    for i in range(130):
        cache.put(i, i * i)
    assert len(cache) == 128
    assert 0 not in cache
    assert 1 not in cache
    assert cache.get(2) == 4


def test_ttl_expiry():
    clock = FakeClock()
    cache = TTLCache(10, clock)
    cache.put("a", "alpha")
    clock.now = 9.5
    assert cache.get("a") == "alpha"
    clock.now = 10
    assert cache.get("a", "expired") == "expired"
    assert len(cache) == 0
    assert cache.get("never") is None


def test_ttl_purge():
    clock = FakeClock()
    cache = TTLCache(10, clock=clock)
    cache.put("a", 1)
    clock.now = 5
    cache.put("b", 2)
    clock.now = 12
    assert cache.purge() == 1
    assert len(cache) == 1
    assert cache.get("b") == 2
    clock.now = 15
    assert cache.purge() == 1
    assert len(cache) == 0


def test_ttl_validation_and_default_clock():
    with pytest.raises(ValueError):
        TTLCache(0)
    assert TTLCache(0.5, FakeClock()).ttl == 0.5
    cache = TTLCache(60)
    assert cache.clock is time.monotonic
    cache.put("k", "v")
    assert cache.get("k") == "v"


def test_memoize_caches_by_arguments():
    calls = []

    @memoize()
    def combine(a, b):
        """Combine two digits."""
        calls.append((a, b))
        return a * 10 + b

    assert combine(2, 3) == 23
    assert combine(2, 3) == 23
    assert combine(3, 2) == 32
    assert calls == [(2, 3), (3, 2)]
    assert combine.__name__ == "combine"
    assert combine.__doc__ == "Combine two digits."
    assert combine.cache.hits == 1


def test_memoize_capacity():
    calls = []

    @memoize(2)
    def square(x):
        calls.append(x)
        return x * x

    for x in (1, 2, 3, 1):
        square(x)
    assert calls == [1, 2, 3, 1]
    assert square.cache.keys() == [(3,), (1,)]
    assert square(1) == 1
    assert calls == [1, 2, 3, 1]
