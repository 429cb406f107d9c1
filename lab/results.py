"""A small cache of computed results for pages that show a progress bar while they compute.

Streamlit's own caches record the elements a cached function draws (a progress bar) and replay
them later against a page that no longer has them; so pages that report progress keep their
results here instead (one instance per server process, through st.cache_resource).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future
from typing import Callable


class ResultCache:
    """Results by ``key(config)``, least recently used dropped beyond ``max_entries`` or beyond
    ``max_bytes`` as measured by ``size(result)`` (the newest is always kept); thread-safe. A result
    being computed is computed once: sessions that ask for it meanwhile wait for it (a class moving
    one slider asks for the same few results at once)."""

    def __init__(self, compute: Callable, key: Callable = repr, size: Callable = lambda result: 0,
                 max_entries: int = 32, max_bytes: int = 128 * 2**20):
        self.compute, self.key, self.size = compute, key, size
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict = OrderedDict()
        self._computing: dict = {}  # key -> Future of the result being computed
        self._lock = threading.Lock()

    def get(self, config):
        with self._lock:
            k = self.key(config)
            if k in self._items:
                self._items.move_to_end(k)
                return self._items[k]
            return None

    def put(self, config, result):
        with self._lock:
            self._items[self.key(config)] = result
            self._items.move_to_end(self.key(config))
            while len(self._items) > 1 and (len(self._items) > self.max_entries or
                                            sum(map(self.size, self._items.values())) > self.max_bytes):
                self._items.popitem(last=False)
        return result

    def __len__(self) -> int:
        return len(self._items)

    def run(self, config, progress=None):
        """The cached result, or a new one (``progress`` is called only by the session that computes it;
        the others wait). If that computation stops (its session went away), a waiting session
        computes the result itself."""
        k = self.key(config)
        while True:
            with self._lock:
                if k in self._items:
                    self._items.move_to_end(k)
                    return self._items[k]
                pending = self._computing.get(k)
                mine = pending is None
                if mine:
                    pending = self._computing[k] = Future()
            if not mine:
                try:
                    return pending.result()
                except BaseException:  # noqa: BLE001 (stopped elsewhere: try again, computing it here)
                    continue
            try:
                result = self.put(config, self.compute(config, progress))
            except BaseException as error:
                with self._lock:
                    del self._computing[k]
                pending.set_exception(error)
                raise
            with self._lock:
                del self._computing[k]
            pending.set_result(result)
            return result
