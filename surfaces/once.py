"""A cache whose first calls for one key, made at the same time, compute once.

``functools.lru_cache`` lets every caller that misses compute: when a class opens a page on a
process that has not drawn it yet, 60 sessions each compute the same surface pictures and
critical points at once (Home's nine thumbnails: 1.6 s of CPU for one session, 81 s for 60 at once,
who then waited about 58 s for the page; ``benchmarks/class_opens.py``). Here the first caller of a key computes it while the
others wait for its value; callers of other keys are not held up, and a hit only takes a lock for
a dictionary look-up. A call that raises caches nothing: the next caller tries again.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from functools import wraps
from typing import NamedTuple


class CacheInfo(NamedTuple):
    hits: int
    misses: int  # computations (a caller that waited for another's computation counts as a hit)
    maxsize: int
    currsize: int


def computed_once(maxsize: int = 64):
    """Like ``lru_cache(maxsize)`` for hashable arguments, but concurrent first calls of a key compute it once."""
    def decorate(fn):
        memo: OrderedDict = OrderedDict()
        computing: dict = {}  # key -> the lock its computing caller holds
        guard = threading.Lock()
        counts = {"hits": 0, "misses": 0}

        def lookup(key):
            """(True, value) if the key is cached (counted as a hit), else (False, None); under ``guard``."""
            if key in memo:
                memo.move_to_end(key)
                counts["hits"] += 1
                return True, memo[key]
            return False, None

        @wraps(fn)
        def cached(*args, **kwargs):
            key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
            with guard:
                found, value = lookup(key)
                if found:
                    return value
                lock = computing.setdefault(key, threading.Lock())
            with lock:  # the first caller computes; the others wait here, then find its value
                with guard:
                    found, value = lookup(key)
                    if found:
                        return value
                    counts["misses"] += 1
                try:
                    value = fn(*args, **kwargs)
                except BaseException:
                    with guard:
                        computing.pop(key, None)
                    raise
                with guard:  # cached before the lock is dropped, so no newcomer computes it again
                    memo[key] = value
                    while len(memo) > maxsize:
                        memo.popitem(last=False)
                    computing.pop(key, None)
                return value

        def cache_clear():
            with guard:
                memo.clear()
                counts.update(hits=0, misses=0)

        def cache_info() -> CacheInfo:
            with guard:
                return CacheInfo(counts["hits"], counts["misses"], maxsize, len(memo))

        cached.cache_clear, cached.cache_info = cache_clear, cache_info
        return cached

    return decorate
