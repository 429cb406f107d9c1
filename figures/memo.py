"""Figure pieces remembered per run: when one run of a view changes, the pieces of the others are reused.

A Playground move changes one run; rebuilding every run's thinned path and curves would double
(or, with four runs, quadruple) a move's work. The runs are RunView objects that the pages' caches
keep for as long as they are shown, so pieces are remembered per object, held weakly: forgotten
with the run.
"""
from __future__ import annotations

import threading
import weakref
from functools import wraps


def per_run(fn):
    """``fn(run, *args)`` remembered for each run object (weakly) and each ``args`` (hashable).

    What it returns is shared by every caller: read-only."""
    memo: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    lock = threading.Lock()

    @wraps(fn)
    def remembered(run, *args):
        with lock:
            found = memo.get(run, {}).get(args)
        if found is not None:
            return found
        value = fn(run, *args)
        with lock:
            memo.setdefault(run, {})[args] = value
        return value

    return remembered
