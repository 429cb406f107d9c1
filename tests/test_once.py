"""surfaces.once.computed_once: a cache whose concurrent first calls of a key compute once."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import surfaces
from surfaces.once import computed_once

WAIT_S = 30.0  # a bound on every wait below, so that a broken lock fails the test instead of hanging it


def test_concurrent_first_calls_of_one_key_compute_it_once_and_share_its_value():
    calls, entered, release = [], threading.Event(), threading.Event()

    @computed_once(maxsize=4)
    def slow(x):
        calls.append(x)
        entered.set()
        assert release.wait(WAIT_S)
        return object()

    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(slow, 1)
        assert entered.wait(WAIT_S)  # the first caller is computing ...
        others = [pool.submit(slow, 1) for _ in range(7)]  # ... while seven more ask for the same key
        release.set()
        values = [first.result(WAIT_S)] + [f.result(WAIT_S) for f in others]
    assert calls == [1]
    assert all(v is values[0] for v in values)
    info = slow.cache_info()
    assert (info.misses, info.hits, info.currsize) == (1, 7, 1)


def test_a_key_being_computed_does_not_hold_up_callers_of_another_key():
    entered, release = threading.Event(), threading.Event()

    @computed_once(maxsize=4)
    def f(x):
        if x == "slow":
            entered.set()
            assert release.wait(WAIT_S)
        return x * 2

    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(f, "slow")
        assert entered.wait(WAIT_S)
        assert pool.submit(f, "quick").result(WAIT_S) == "quickquick"  # answered while "slow" still computes
        assert not slow.done()
        release.set()
        assert slow.result(WAIT_S) == "slowslow"


def test_a_call_that_raises_caches_nothing_and_the_next_call_computes_again():
    attempts = []

    @computed_once(maxsize=4)
    def flaky(x):
        attempts.append(x)
        if len(attempts) == 1:
            raise RuntimeError("first attempt fails")
        return x + 1

    with pytest.raises(RuntimeError, match="first attempt"):
        flaky(1)
    assert flaky(1) == 2 and flaky(1) == 2
    assert attempts == [1, 1]


def test_it_keeps_the_most_recently_used_maxsize_keys_and_tells_keyword_calls_apart():
    calls = []

    @computed_once(maxsize=2)
    def f(x, y=0):
        calls.append((x, y))
        return x + y

    f(1), f(2), f(1), f(3)  # 2 is the least recently used when 3 arrives
    f(1), f(3), f(2)
    assert calls == [(1, 0), (2, 0), (3, 0), (2, 0)]
    assert f(1, y=5) == 6 and f(1, y=5) == 6 and calls[-1] == (1, 5)
    assert f.cache_info().currsize == 2
    f.cache_clear()
    assert f.cache_info() == (0, 0, 2, 0)


def test_a_class_opening_home_at_once_builds_each_thumbnail_once():
    """What Home's first visitors do on a fresh process: many sessions ask for every thumbnail at the same
    time; each surface's picture (and its critical points) is computed once, not once per session."""
    from figures.thumbnail import thumbnail_png
    from surfaces.critical import find_critical_points

    thumbnail_png.cache_clear()
    find_critical_points.cache_clear()
    names = surfaces.names()

    def visitor(_):
        return [thumbnail_png(surfaces.get(name)) for name in names]

    with ThreadPoolExecutor(12) as pool:
        seen = list(pool.map(visitor, range(12), timeout=120))
    assert all(images == seen[0] for images in seen)
    assert thumbnail_png.cache_info().misses == len(names)
    assert find_critical_points.cache_info().misses == len(names)
