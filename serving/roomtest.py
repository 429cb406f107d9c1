"""A class room under load: one instructor, N students, each a browser session on Streamlit's protocol.

    from serving.roomtest import RoomPlan, run
    result = run(RoomPlan("http://127.0.0.1:8080", students=60))

What happens (``run_async``), all through the app itself (nothing is read from
or written to the store directly, so it measures any deployment):

1. The instructor opens the home page (on the process ``instructor_backend``
   names, by nginx's sticky cookie), presses "Start a room" and reads the
   code from the address; then opens the Playground.
2. N students open the join link (``/?room=CODE``, on ``student_backend``)
   all at once (timed: Home's first drawing on that process) and poll as a
   browser does: a run of the page's ``run_every`` fragment at its interval
   (``Session.auto_reruns``).
3. Polling only, for ``idle`` seconds: ``cpu_of()`` before and after gives
   the students' process CPU per poll, less what the process spends with no
   session at all (measured for ``baseline`` seconds before anyone joins).
4. ``pushes`` times: the instructor, on ``push_page``, moves its learning-rate
   slider (``PUSH_KEYS``) to a new value and presses "Send my view to the
   class". A student has the view when a run of theirs has finished on that
   page with that rate in its address; the latency runs from the instructor's
   click. What the students' process spent on it, less its polls, divided by
   the arrivals, is the CPU of one student's following.
5. The instructor opens the Playground, asks a question (one run of GD:
   choose η; the students follow its view) and opens the class board, which polls as students do. Every student presses "Submit my
   run" at a random moment within ``submit_window`` seconds. The board lag runs
   from the last accepted submission to the first board run whose table holds
   all of them.
"""
from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qs

from .deploy import STICKY_COOKIE
from .loadtest import run_coroutine
from .protocol import Session, slider_state, text_state

PUSH_KEYS = {"playground": "run0_gd_lr", "schedules": "sched_lr"}  # each page's learning-rate slider
RATES = ("0.001", "0.003", "0.0001", "0.0003", "1e-05")  # the rate at each push: a new view each time


@dataclass(frozen=True)
class RoomPlan:
    url: str
    students: int = 60
    pushes: int = 3
    push_gap: float = 6.0  # seconds from one push to the next
    idle: float = 15.0  # seconds of polling only
    baseline: float = 5.0  # seconds of the students' process with no session, before they join
    submit_window: float = 10.0  # students submit within this many seconds
    timeout: float = 60.0  # longest wait for one run, or for a push or the board to arrive
    instructor_backend: str | None = "app0"  # behind nginx: the process each side is pinned to (None: any)
    student_backend: str | None = "app1"
    seed: int = 0
    push_page: str = "playground"  # the page whose views are sent (one of PUSH_KEYS)
    cpu_of: Callable[[], float] | None = None  # CPU seconds of the students' process so far (poll cost)

    def __post_init__(self):
        if self.push_page not in PUSH_KEYS:
            raise ValueError(f"RoomPlan: push_page = {self.push_page!r}; allowed {', '.join(PUSH_KEYS)}")
        if not 1 <= self.students <= 1000:
            raise ValueError(f"RoomPlan: students = {self.students} is out of range; allowed 1 to 1000")
        if not 1 <= self.pushes <= len(RATES):
            raise ValueError(f"RoomPlan: pushes = {self.pushes} is out of range; allowed 1 to {len(RATES)}")


@dataclass
class RoomResult:
    students: int
    join_latencies: list = field(default_factory=list)  # seconds from opening the join link to the page drawn
    push_latencies: list = field(default_factory=list)  # seconds, one per student and push that arrived
    push_missed: int = 0  # student and push pairs that did not arrive within the timeout
    polls: int = 0  # polls during the idle phase
    idle_s: float = 0.0
    poll_cpu_ms: float | None = None  # students' process CPU per poll in the idle phase, its baseline taken out
    baseline_cpu: float | None = None  # the students' process with no session: CPU seconds per second
    follow_cpu_ms: float | None = None  # students' process CPU per arrival of a sent view (polls taken out)
    submitted: int = 0  # submissions accepted
    submit_span: float = 0.0  # seconds from the first submission's click to the last one's answer
    board_lag: float | None = None  # seconds from the last accepted submission to the board showing them all
    board_rows: int = 0
    errors: Counter = field(default_factory=Counter)
    examples: dict = field(default_factory=dict)

    def error(self, kind: str, message: str = "") -> None:
        self.errors[kind] += 1
        self.examples.setdefault(kind, message or kind)


def _pin(backend: str | None) -> dict:
    return {STICKY_COOKIE: backend} if backend else {}


def _rate(session: Session, page: str) -> str | None:
    values = parse_qs(session.query_string).get(PUSH_KEYS[page]) if session.page == page else None
    return values[-1] if values else None


class Student:
    def __init__(self, session: Session, index: int, page: str = "playground"):
        self.session, self.index, self.page = session, index, page
        self.arrived: dict[str, float] = {}  # rate -> when a run on the page with that rate finished
        self.polls = 0
        self.stop = asyncio.Event()

    def poll_fragment(self) -> tuple[str, float] | None:
        return next(iter(self.session.auto_reruns.items()), None)

    def note(self, result, log: RoomResult) -> None:
        if not result.ok:
            log.error("student run failed", "; ".join(result.exceptions) or f"status {result.status}")
        rate = _rate(self.session, self.page)
        if rate is not None:
            self.arrived.setdefault(rate, time.perf_counter())

    async def poll(self, log: RoomResult, timeout: float) -> None:
        """Poll as the browser does, until told to stop."""
        while not self.stop.is_set():
            found = self.poll_fragment()
            if found is None:
                log.error("no poll fragment", f"student {self.index}: the page announced no run_every fragment")
                return
            fragment, interval = found
            try:
                await asyncio.wait_for(self.stop.wait(), timeout=interval)
                return
            except asyncio.TimeoutError:
                pass
            try:
                result = await self.session.run(fragment_id=fragment, auto=True, timeout=timeout)
            except Exception as exc:  # a closed websocket, a timeout
                log.error(f"poll: {type(exc).__name__}", str(exc))
                return
            self.polls += 1
            self.note(result, log)


async def _start_room(plan: RoomPlan, log: RoomResult) -> tuple[Session, str]:
    teacher = await Session.open(plan.url, "", timeout=plan.timeout, cookies=_pin(plan.instructor_backend))
    await teacher.run(timeout=plan.timeout)
    started = await teacher.click("_room_start", timeout=plan.timeout)
    code = (parse_qs(teacher.query_string).get("room") or [""])[-1]
    if not started.ok or not code:
        raise RuntimeError(f"the instructor could not start a room: {started.exceptions or started.alerts}")
    await _open(teacher, plan.push_page, plan)
    return teacher, code


async def _open(session: Session, page: str, plan: RoomPlan):
    """Open ``page`` in the same session, as a click in the sidebar's navigation does."""
    session.page_name, session.page_hash = page, ""
    opened = await session.run(timeout=plan.timeout)
    if not opened.ok:
        raise RuntimeError(f"the {page} page failed: {opened.exceptions}")
    return opened


async def _join(plan: RoomPlan, code: str, index: int, log: RoomResult) -> Student | None:
    started = time.perf_counter()
    try:
        session = await Session.open(plan.url, "", timeout=plan.timeout, query_string=f"room={code}",
                                     cookies=_pin(plan.student_backend))
        result = await session.run(timeout=plan.timeout)
    except Exception as exc:
        log.error(f"join: {type(exc).__name__}", str(exc))
        return None
    if not result.ok:
        log.error("join failed", "; ".join(result.exceptions + result.errors))
        await session.close()
        return None
    log.join_latencies.append(time.perf_counter() - started)
    return Student(session, index, plan.push_page)


async def _push(teacher: Session, rate: str, plan: RoomPlan) -> float:
    """Move the page's rate to ``rate`` and send the view; the click's time."""
    moved = await teacher.run([slider_state(teacher.widget(PUSH_KEYS[plan.push_page]), rate)], timeout=plan.timeout)
    if not moved.ok:
        raise RuntimeError(f"the instructor's slider move failed: {moved.exceptions}")
    clicked = time.perf_counter()
    sent = await teacher.click("_room_send", timeout=plan.timeout)
    if not sent.ok or sent.errors:
        raise RuntimeError(f"sending the view failed: {sent.exceptions or sent.errors}")
    return clicked


async def _arrivals(students, rate: str, since: float, timeout: float, log: RoomResult) -> None:
    deadline = since + timeout
    while time.perf_counter() < deadline and not all(rate in s.arrived for s in students):
        await asyncio.sleep(0.05)
    for s in students:
        if rate in s.arrived:
            log.push_latencies.append(s.arrived[rate] - since)
        else:
            log.push_missed += 1


async def _everyone_sees_the_question(students, timeout: float, log: RoomResult) -> None:
    """Wait until every student's page has drawn the question's name box (their polls bring it)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and not all("_room_name" in s.session.widgets for s in students):
        await asyncio.sleep(0.1)
    for s in students:
        if "_room_name" not in s.session.widgets:
            log.error("question not shown", f"student {s.index}: no question {timeout:.0f} s after it was asked")


async def _submit(student: Student, at: float, plan: RoomPlan, log: RoomResult, done: list) -> None:
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    student.stop.set()  # a browser's poll and click share one connection; here the click goes alone
    await student.poller
    session = student.session
    try:
        name = session.widget("_room_name")
        result = await session.click("_room_submit", [text_state(name, f"student {student.index}")],
                                     timeout=plan.timeout)
    except Exception as exc:
        log.error(f"submit: {type(exc).__name__}", str(exc))
        return
    if result.ok and result.successes and not result.errors:
        done.append(time.perf_counter())
    else:
        log.error("submit not confirmed", "; ".join(result.exceptions + result.errors) or
                  f"status {result.status}, full runs {result.full_runs}, alerts {result.alerts}")


async def run_async(plan: RoomPlan) -> RoomResult:
    log = RoomResult(plan.students)
    rng = random.Random(plan.seed)
    if plan.cpu_of:
        cpu0 = plan.cpu_of()
        await asyncio.sleep(plan.baseline)
        log.baseline_cpu = (plan.cpu_of() - cpu0) / plan.baseline
    teacher, code = await _start_room(plan, log)
    students = [s for s in await asyncio.gather(*(_join(plan, code, i, log) for i in range(plan.students))) if s]
    try:
        for s in students:
            s.poller = asyncio.create_task(s.poll(log, plan.timeout))

        # Polling only: what one poll costs the students' process.
        polls0, cpu0, t0 = sum(s.polls for s in students), plan.cpu_of() if plan.cpu_of else None, time.perf_counter()
        await asyncio.sleep(plan.idle)
        log.polls, log.idle_s = sum(s.polls for s in students) - polls0, time.perf_counter() - t0
        if plan.cpu_of and log.polls:
            log.poll_cpu_ms = 1e3 * (plan.cpu_of() - cpu0 - log.baseline_cpu * log.idle_s) / log.polls

        polls0, cpu0 = sum(s.polls for s in students), plan.cpu_of() if plan.cpu_of else None
        for rate in RATES[:plan.pushes]:
            clicked = await _push(teacher, rate, plan)
            await _arrivals(students, rate, clicked, plan.timeout, log)
            await asyncio.sleep(max(0.0, clicked + plan.push_gap - time.perf_counter()))
        if plan.cpu_of and log.poll_cpu_ms is not None and log.push_latencies:
            polls = sum(s.polls for s in students) - polls0
            spent = 1e3 * (plan.cpu_of() - cpu0) - polls * log.poll_cpu_ms
            log.follow_cpu_ms = spent / len(log.push_latencies)

        # The question, from the Playground (it sends its view too), then the board.
        if plan.push_page != "playground":
            await _open(teacher, "playground", plan)
        asked = await teacher.click("_room_ask", [text_state(teacher.widget("_room_ask_text"), "One run of GD: choose η")],
                                    timeout=plan.timeout)
        if not asked.ok or asked.errors:
            raise RuntimeError(f"asking failed: {asked.exceptions or asked.errors}")
        await _everyone_sees_the_question(students, plan.timeout, log)
        await _open(teacher, "board", plan)
        done: list = []
        start = time.perf_counter() + 0.5
        moments = sorted(start + rng.uniform(0, plan.submit_window) for _ in students)
        submitting = [asyncio.create_task(_submit(s, at, plan, log, done)) for s, at in zip(students, moments)]
        shown = await _watch_board(teacher, submitting, done, start + plan.submit_window + plan.timeout, plan, log)
        await asyncio.gather(*submitting)
        log.submitted = len(done)
        log.submit_span = max(done) - start if done else 0.0
        log.board_lag = None if shown is None or not done else max(0.0, shown - max(done))
    finally:
        for s in students:
            s.stop.set()
        await asyncio.gather(*(s.poller for s in students if hasattr(s, "poller")), return_exceptions=True)
        await asyncio.gather(*(s.session.close() for s in students), return_exceptions=True)
        await teacher.close()
    return log


async def _watch_board(teacher: Session, submitting, done: list, deadline: float, plan: RoomPlan,
                       log: RoomResult) -> float | None:
    """Poll the board as its browser does until every submission has been answered and the board's table holds
    every accepted one; the moment it did (None: not by the deadline). ``log.board_rows``: rows last seen."""
    while time.perf_counter() < deadline:
        fragment, interval = next(iter(teacher.auto_reruns.items()), ("", 1.0))
        await asyncio.sleep(interval)
        result = await teacher.run(fragment_id=fragment, auto=bool(fragment), timeout=plan.timeout)
        if not result.ok:
            log.error("board run failed", "; ".join(result.exceptions))
        if result.tables:
            log.board_rows = result.tables[-1]  # the last drawn: a run the next one interrupted drew an older one
        if all(task.done() for task in submitting) and done and log.board_rows >= len(done):
            return time.perf_counter()
    return None


def run(plan: RoomPlan) -> RoomResult:
    """The class-room load test against the app at ``plan.url`` (127.0.0.1 only)."""
    return run_coroutine(run_async(plan))
