"""A class of students on one running app: N browser sessions, each moving a slider on a schedule.

    from serving.loadtest import Plan, run
    summary = run(Plan("http://127.0.0.1:8501", sessions=60, interval=5, duration=60))

What each session does (``student``):

1. arrives at a random moment within the first ``ramp`` seconds and opens the
   page (GET, websocket, first run): the page-load time;
2. optionally makes the view its own (``Scenario.own_view``: a start point a
   little off the default), so that its reruns miss the caches that sessions
   share, as if every student had clicked a different start;
3. once every session has opened its page (the class has arrived: page loads
   are measured in step 1, and a move made while others still open would
   count their openings as the cost of moves), moves the slider at
   ``t_k = window start + phase + k · interval`` (a random phase per session)
   to the next of its values (``slider_values``, in the session's own order);
   the latency of a move runs from ``t_k`` to the finished rerun. A session
   waits for its previous rerun before moving again, and a late move is
   measured from when it was due, so an overloaded server shows as growing
   latency, not as fewer requests (no coordinated omission).

Moves are due only within ``duration`` seconds; reruns still running then
get up to ``timeout`` seconds to finish (else they count as errors), and
every session closes. The whole test ends by ``Plan.deadline_seconds``
(ramp + timeout for the openings, interval + duration + timeout): sessions
still busy then are cancelled and counted as errors.
"""
from __future__ import annotations

import asyncio
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .deploy import STICKY_COOKIE
from .protocol import Session, number_state, slider_state
from .stats import Summary, summarize


@dataclass(frozen=True)
class Scenario:
    """Which page and slider; the slider's options within ``value_range`` are the values it moves to;
    ``own_view``: (key of a number input, offset per session as a share of its range) or None."""
    page: str = "playground"
    slider: str = "run0_gd_lr"
    # Run 1's learning rates (gradient descent on the bowl) that converge or bounce without diverging
    # over the default 10,000 steps: every move costs a full run.
    value_range: tuple = (1e-5, 1e-2)
    own_view: tuple | None = ("start_x_bowl", 1e-4)


PLAYGROUND = Scenario()
PLAYGROUND_SHARED = Scenario(own_view=None)  # every student on the same views: caches shared across sessions hit
# Basins at its defaults (two panels of a 100 × 100 grid on the bumpy valley): each student moves η among the
# 13 stops from 1e-4 to 0.1, in an order of their own; 26 grids do not fit the server's store of 16, so most
# moves compute.
BASINS = Scenario(page="basins", slider="basin_lr", value_range=(1e-4, 1e-1), own_view=None)
SCENARIOS = {"playground": PLAYGROUND, "playground-shared": PLAYGROUND_SHARED, "basins": BASINS}


def slider_values(proto, value_range) -> list:
    """The values to move slider ``proto`` to: its options (select_slider) or ten even stops within
    ``value_range`` and its own limits."""
    lo, hi = value_range
    if len(proto.options):
        values = [o for o in proto.options if lo <= float(o) <= hi]
    else:
        lo, hi = max(lo, proto.min), min(hi, proto.max)
        values = [lo + (hi - lo) * k / 9 for k in range(10)]
    if len(values) < 2:
        raise ValueError(f"slider {proto.id!r}: fewer than two values within {value_range}")
    return values


@dataclass(frozen=True)
class Plan:
    url: str
    sessions: int = 10
    interval: float = 5.0  # seconds between one session's moves
    duration: float = 60.0  # seconds during which moves are due
    ramp: float | None = None  # sessions arrive within this many seconds (None: one interval)
    timeout: float = 60.0  # longest wait for one run
    seed: int = 0
    scenario: Scenario = PLAYGROUND

    def __post_init__(self):
        for name in ("interval", "duration", "timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"Plan: {name} = {getattr(self, name)} is not positive")
        if not 1 <= self.sessions <= 10_000:
            raise ValueError(f"Plan: sessions = {self.sessions} is out of range; allowed 1 to 10000")

    @property
    def arrival_seconds(self) -> float:
        return self.interval if self.ramp is None else self.ramp

    @property
    def deadline_seconds(self) -> float:
        """The longest the test runs: arrivals, time to open, the moves, one last run."""
        return self.arrival_seconds + self.timeout + self.interval + self.duration + self.timeout


class Arrivals:
    """When every session has opened its page (or failed to): the moves' window starts no earlier."""

    def __init__(self, sessions: int, window_start: float):
        self.waiting, self.window_start, self.all_open = sessions, window_start, asyncio.Event()

    def arrived(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.window_start = max(self.window_start, time.perf_counter())
            self.all_open.set()

    async def window(self) -> float:
        await self.all_open.wait()
        return self.window_start


@dataclass
class Log:
    """What one session saw."""
    load: float | None = None  # seconds to open the page
    backend: str = ""  # the sticky cookie's value, behind nginx
    latencies: list = field(default_factory=list)  # seconds from each move to its finished rerun
    sizes: list = field(default_factory=list)  # bytes received for each move (websocket and fetched media)
    errors: list = field(default_factory=list)  # one short kind per failure
    examples: dict = field(default_factory=dict)  # error kind -> the first full message seen

    def error(self, kind: str, message: str = "") -> None:
        self.errors.append(kind)
        self.examples.setdefault(kind, message or kind)


def own_view_state(session: Session, scenario: Scenario, index: int):
    """The widget state that makes session ``index``'s view its own (a start nudged off the default)."""
    key, offset = scenario.own_view
    proto = session.widget(key)
    value = proto.value if proto.set_value else proto.default
    nudged = value + (index + 1) * offset * (proto.max - proto.min)
    return number_state(proto, min(max(nudged, proto.min), proto.max))


async def open_page(plan: Plan, index: int, log: Log) -> Session | None:
    """Open the page and make the view the session's own; None (and an error logged) on failure."""
    started = time.perf_counter()
    try:
        session = await Session.open(plan.url, plan.scenario.page, timeout=plan.timeout)
    except Exception as exc:  # refused, timed out, or a handshake the server rejected
        log.error(f"open: {type(exc).__name__}", str(exc))
        return None
    log.backend = session.cookies.get(STICKY_COOKIE, "")
    try:
        first = await session.run(timeout=plan.timeout)
        if first.ok and plan.scenario.own_view:
            first = await session.run([own_view_state(session, plan.scenario, index)], timeout=plan.timeout)
    except Exception as exc:
        first, error = None, (f"open: {type(exc).__name__}", str(exc))
    else:
        error = None if first.ok else describe(first)
    if error:
        log.error(*error)
        await session.close()
        return None
    log.load = time.perf_counter() - started
    return session


def describe(result) -> tuple[str, str]:
    """(a short name, the full message) of a failed run; the summary counts failures by name."""
    if result.exceptions:
        return f"exception: {result.exceptions[0].split(':')[0]}", result.exceptions[0]
    return f"finished with status {result.status}", ""


async def student(plan: Plan, index: int, arrivals: Arrivals, log: Log) -> None:
    """One session: arrive, open the page, wait for the class, move the slider whenever a move is due, leave."""
    rng = random.Random(plan.seed * 100_003 + index)
    await asyncio.sleep(rng.uniform(0, plan.arrival_seconds))
    try:
        session = await open_page(plan, index, log)
    finally:
        arrivals.arrived()
    if session is None:
        return
    try:
        window_start = await arrivals.window()
        due = window_start + rng.uniform(0, plan.interval)
        slider = session.widget(plan.scenario.slider)
        values = slider_values(slider, plan.scenario.value_range)
        rng.shuffle(values)
        k = 0
        while due < window_start + plan.duration:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            result = await session.run([slider_state(slider, values[k % len(values)])], timeout=plan.timeout)
            if result.ok:
                log.latencies.append(time.perf_counter() - due)
                log.sizes.append(result.bytes_received)
            else:
                log.error(*describe(result))
            k += 1
            due += plan.interval
    except asyncio.TimeoutError:
        log.error("timeout")
    except Exception as exc:  # a closed websocket (websockets' ConnectionClosed), a missing widget
        log.error(f"move: {type(exc).__name__}", str(exc))
    finally:
        await session.close()


async def run_async(plan: Plan) -> Summary:
    # Moves fall due from one interval after the last arrival (time to open the page), and not before
    # every session has opened it.
    arrivals = Arrivals(plan.sessions, time.perf_counter() + plan.arrival_seconds + plan.interval)
    logs = [Log() for _ in range(plan.sessions)]
    tasks = [asyncio.create_task(student(plan, i, arrivals, log)) for i, log in enumerate(logs)]
    _, late = await asyncio.wait(tasks, timeout=plan.deadline_seconds)
    for task in late:  # cancelling closes its websocket (student's finally)
        task.cancel()
    if late:
        await asyncio.wait(late)
    return summarize(
        plan.sessions, plan.interval, plan.duration,
        latencies=[x for log in logs for x in log.latencies],
        errors=[e for log in logs for e in log.errors] + ["unfinished at the deadline"] * len(late),
        loads=[log.load for log in logs if log.load is not None], backends=[log.backend for log in logs],
        examples={kind: message for log in reversed(logs) for kind, message in log.examples.items()},
        sizes=[x for log in logs for x in log.sizes])


def run_coroutine(coro):
    """``asyncio.run(coro)``, also from a thread whose event loop is already running (a notebook, or a
    test session whose browser driver keeps a loop on the main thread): then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def run(plan: Plan) -> Summary:
    """Run the load test against the app at ``plan.url`` (127.0.0.1 only) and summarize it."""
    return run_coroutine(run_async(plan))
