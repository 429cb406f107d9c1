"""lab.results.ResultCache: a result asked for by several sessions at once is computed once."""
import threading
import time

import pytest

from lab.results import ResultCache


def slow_square(calls, started, release):
    def compute(config, progress=None):
        calls.append(config)
        started.set()
        assert release.wait(10)
        if progress:
            progress(1.0)
        return config * config
    return compute


def test_sessions_asking_while_a_result_is_computed_wait_for_that_one_computation():
    calls, started, release = [], threading.Event(), threading.Event()
    cache = ResultCache(slow_square(calls, started, release))
    answers = []
    first = threading.Thread(target=lambda: answers.append(cache.run(7)))
    first.start()
    assert started.wait(10)
    others = [threading.Thread(target=lambda: answers.append(cache.run(7))) for _ in range(5)]
    for t in others:
        t.start()
    time.sleep(0.2)  # the others are now waiting on the first computation
    release.set()
    for t in [first, *others]:
        t.join(10)
    assert answers == [49] * 6 and calls == [7]
    assert cache.run(7) == 49 and calls == [7]  # and it is kept


def test_when_the_computing_session_stops_a_waiting_one_computes_it():
    class Stopped(Exception):
        pass

    calls, started, release = [], threading.Event(), threading.Event()
    cache = ResultCache(slow_square(calls, started, release))

    def leave(_fraction):
        raise Stopped  # the page's progress callback raises when its session has gone away
    outcome = {}

    def first():
        try:
            cache.run(3, leave)
        except Stopped:
            outcome["first"] = "stopped"
    a = threading.Thread(target=first)
    a.start()
    assert started.wait(10)
    b = threading.Thread(target=lambda: outcome.setdefault("second", cache.run(3)))
    b.start()
    time.sleep(0.2)
    release.set()
    a.join(10)
    b.join(10)
    assert outcome == {"first": "stopped", "second": 9} and calls == [3, 3]


def test_an_error_reaches_the_session_that_computed():
    def broken(config, progress=None):
        raise ValueError(f"config = {config} is out of range")
    cache = ResultCache(broken)
    with pytest.raises(ValueError, match="config = 1"):
        cache.run(1)
    assert len(cache) == 0
