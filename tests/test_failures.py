"""One student's trouble is not the class's: a diverging run, a page that raises, the largest computation,
and sessions that leave in the middle of a run.

A "class" is three browser sessions (serving.loadtest) moving the Playground's learning-rate slider once
a second for five seconds, each rerun a cache miss; while it runs, one more session makes trouble.
"""
from __future__ import annotations

import asyncio
import contextlib
import time

import psutil
import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from serving.loadtest import PLAYGROUND, Plan, own_view_state, run_async, run_coroutine, slider_values
from serving.protocol import Session, slider_state
from tests.serving_helpers import app_server

CLASS = dict(sessions=3, interval=1.0, duration=5.0, ramp=1.0, timeout=90.0)
CLASS_MOVES = 3 * 5  # due at phase + k for k = 0 … 4 in each session
TTL_S = 2  # server.disconnectedSessionTTL for the memory test (Streamlit keeps a closed session 120 s by default)
# Memory after 100 sessions came and went, above the baseline: from −29 to +16 MB in six runs here once
# closed sessions are dropped; about 190 MB (1.9 MB a session) while they are still kept (the default TTL
# of 120 s). The margin sits above that noise and catches a leak of half a megabyte a session.
LEAK_MARGIN_MB = 50
THREADS_SETTLE_S = 30  # script threads of the last reruns may still be finishing on a loaded machine
# Page requests are served from AnyIO's worker threads; AnyIO ends a worker idle for 10 s when it next
# hands out work, so counts are taken after a longer quiet spell and one more visit.
POOL_IDLE_S = 11


@pytest.fixture(scope="module")
def app():
    with app_server() as (url, process):
        yield url, process


def alongside_a_class(url: str, trouble):
    """Run the class and ``trouble(url)`` at the same time; returns (the class's summary, what trouble returned)."""
    async def both():
        return await asyncio.gather(run_async(Plan(url, **CLASS)), trouble(url))
    return run_coroutine(both())


def assert_class_unharmed(summary):
    assert summary.errors == 0, summary.error_examples
    assert summary.moves == CLASS_MOVES


async def open_link(url: str, page: str, query: str = ""):
    session = await Session.open(url, page, timeout=90, query_string=query)
    return session, await session.run(timeout=90)


# ----------------------------------------------------------------- trouble while a class works
@pytest.mark.slow
def test_a_diverging_run_is_reported_to_its_student_and_the_class_goes_on(app):
    async def diverging(url):
        session, first = await open_link(url, "playground", "surface=rosenbrock&run0_gd_lr=0.05&steps=500")
        results = [first]
        lr = session.widget("run0_gd_lr")
        for value in ("0.1", "0.2", "0.5", "1"):
            results.append(await session.run([slider_state(lr, value)], timeout=90))
        await session.close()
        return results

    summary, results = alongside_a_class(app[0], diverging)
    assert_class_unharmed(summary)
    for result in results:
        assert result.ok, result.exceptions
        assert any("diverged at step" in alert for alert in result.alerts), result.alerts


@pytest.mark.slow
def test_the_largest_playground_computation_finishes_and_the_class_goes_on(app):
    async def largest(url):  # the Playground's limits: four runs of 100,000 steps, every step recorded
        session, first = await open_link(url, "playground", "steps=100000&n_runs=4")
        lr = session.widget("run0_gd_lr")
        results = [first] + [await session.run([slider_state(lr, v)], timeout=90) for v in ("0.001", "0.002")]
        await session.close()
        return results

    summary, results = alongside_a_class(app[0], largest)
    assert_class_unharmed(summary)
    assert all(result.ok for result in results), [r.exceptions for r in results]


@pytest.mark.slow
def test_a_page_that_raises_shows_its_error_and_the_class_goes_on():
    async def raising(url):
        session = await Session.open(url, "raises", timeout=90)
        results = []
        for _ in range(5):
            results.append(await session.run(timeout=90))
            await asyncio.sleep(0.5)
        await session.close()
        return results

    with app_server(script="tests/apps/raising_page.py") as (url, _):
        summary, results = alongside_a_class(url, raising)
    assert_class_unharmed(summary)
    assert len(results) == 5
    for result in results:
        assert not result.ok and "RuntimeError: a page that raises" in result.exceptions[0]


# ----------------------------------------------------------------- sessions that leave
async def visit(url: str, index: int, leave_mid_run: bool) -> None:
    """Open the Playground, make the view this visit's own (a cache miss) and move the learning rate (another);
    either wait for that rerun or close the tab right after asking for it."""
    session = await Session.open(url, "playground", timeout=90)
    await session.run(timeout=90)
    await session.run([own_view_state(session, PLAYGROUND, index)], timeout=90)
    lr = session.widget("run0_gd_lr")
    move = [slider_state(lr, slider_values(lr, PLAYGROUND.value_range)[1])]
    if leave_mid_run:
        await session.websocket.send(session.request(move))
    else:
        await session.run(move, timeout=90)
    await session.close()


async def crowd(url: str, indices, leave_mid_run: bool, at_once: int = 20) -> None:
    indices = list(indices)
    for k in range(0, len(indices), at_once):
        await asyncio.gather(*(visit(url, i, leave_mid_run) for i in indices[k:k + at_once]))


def settled(url: str, process: psutil.Process, threads_at_most: int | None = None) -> tuple[float, int]:
    """(resident MB, threads) once closed sessions have outlived the TTL and idle pool threads their
    time (Streamlit drops expired sessions, AnyIO idle threads, when the next visit comes) and the thread
    count is down to ``threads_at_most`` (or THREADS_SETTLE_S has passed)."""
    time.sleep(max(TTL_S + 1, POOL_IDLE_S))
    run_coroutine(crowd(url, [10_000], leave_mid_run=False))
    time.sleep(1)
    deadline = time.monotonic() + THREADS_SETTLE_S
    while threads_at_most is not None and process.num_threads() > threads_at_most and time.monotonic() < deadline:
        time.sleep(0.5)
    return process.memory_info().rss / 2**20, process.num_threads()


@pytest.mark.slow
def test_a_hundred_sessions_that_leave_mid_run_leave_nothing_behind():
    with app_server(f"--server.disconnectedSessionTTL={TTL_S}") as (url, server):
        process = psutil.Process(server.pid)
        # Fill the page's caches to their bounds first (32 views), so that the baseline includes them.
        run_coroutine(crowd(url, range(1_000, 1_034), leave_mid_run=False))
        base_mb, base_threads = settled(url, process)
        run_coroutine(crowd(url, range(100), leave_mid_run=True))
        after_mb, after_threads = settled(url, process, threads_at_most=base_threads + 2)
    assert after_mb - base_mb < LEAK_MARGIN_MB, (base_mb, after_mb)
    assert after_threads <= base_threads + 2, (base_threads, after_threads)  # no script thread left running


def idle_within(process: psutil.Process, seconds: float) -> float | None:
    """Seconds until the process uses less than a third of a core over one second; None if not within ``seconds``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if process.cpu_percent(interval=1.0) < 30:
            return time.monotonic() - started
    return None


async def progress_shown(session: Session, seconds: float) -> list[tuple[float, int]]:
    """(seconds since the call, bar value 0–100) of every progress bar the page draws within ``seconds``."""
    started, shown = time.monotonic(), []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                msg = ForwardMsg()
                msg.ParseFromString(await session.websocket.recv())
                if msg.WhichOneof("type") == "delta" and msg.delta.new_element.WhichOneof("type") == "progress":
                    shown.append((time.monotonic() - started, msg.delta.new_element.progress.value))
    return shown


IDLE_WITHIN_S = 10  # after the tab closes, the server must be idle within this; the grid needs far longer


@pytest.mark.slow
def test_leaving_the_largest_basins_computation_stops_it():
    """The grid's progress bar shows the computation running and far from done when the tab closes; the
    server is idle soon after, long before the computation would have ended at the pace it showed."""
    async def ask_and_leave(url):
        session = await Session.open(url, "basins", timeout=90, query_string="basin_n=200&basin_steps=100000")
        await session.websocket.send(session.request())
        shown = await progress_shown(session, 12)
        await session.close()
        return shown

    with app_server() as (url, server):
        try:
            shown = run_coroutine(ask_and_leave(url))
            idle_after = idle_within(psutil.Process(server.pid), IDLE_WITHIN_S)
        finally:
            server.kill()  # a computation left running would hold up a polite stop
    assert len(shown) >= 2, f"the grid's progress bar was not drawn twice before leaving: {shown}"  # it ran
    (first_at, _), (last_at, last) = shown[0], shown[-1]
    assert last < 100, shown  # and had not finished when the tab closed
    fastest_pace = (last + 1) / (last_at - first_at)  # percent a second, at most (the bar shows whole percents)
    assert (99 - last) / fastest_pace > 2 * IDLE_WITHIN_S, shown  # going on, it would have kept the server busy
    assert idle_after is not None, f"still busy {IDLE_WITHIN_S} s after the tab closed"
