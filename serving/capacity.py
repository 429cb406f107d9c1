"""What one machine holds: start-up time, and load tests against freshly started processes.

Each measurement starts its own app processes (one plain process, or several
behind nginx as ``scripts/serve`` runs them) on free ports and stops them
afterwards: Streamlit keeps closed sessions for two minutes, so a process
that served one load test is not a fair start for the next.
"""
from __future__ import annotations

import contextlib
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

import psutil

from .deploy import ROOT, Fleet, app_command, free_ports, stop, wait_healthy
from .loadtest import Plan, run, run_coroutine
from .metrics import fetch_cache_lookups
from .protocol import Session
from .stats import Summary


@dataclass
class Capacity:
    """A load test and what it cost the app processes."""
    processes: int
    summary: Summary
    cpu_s: float  # CPU seconds of all app processes during the test
    wall_s: float
    runs: int  # script runs served: the moves, and two to open each page
    misses: int  # runs of the Playground's simulation that computed (cache misses), all processes
    peak_mb: float = 0.0  # the largest resident memory of the app processes together, sampled every 0.2 s

    @property
    def cpu_ms_per_run(self) -> float:
        return 1e3 * self.cpu_s / max(self.runs, 1)

    @property
    def cores(self) -> float:
        return self.cpu_s / self.wall_s


@contextlib.contextmanager
def served(processes: int, root=ROOT):
    """Yields ``(url, app pids, app urls)``: one app process, or ``processes`` of them behind nginx.
    ``root``: the checkout whose app.py one process runs (another one serves as a benchmark's peer)."""
    log = tempfile.TemporaryFile(mode="w+")
    if processes == 1:
        port = free_ports()
        app = subprocess.Popen(app_command(port), cwd=root, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", app)
            yield f"http://127.0.0.1:{port}", [app.pid], [f"http://127.0.0.1:{port}"]
        finally:
            stop(app)
            log.close()
        return
    fleet = Fleet.on_free_ports(processes, output=log)
    try:
        fleet.start()
        yield fleet.url, [app.pid for app in fleet.apps], [fleet.app_url(i) for i in range(processes)]
    finally:
        fleet.stop()
        log.close()


async def open_page(url: str, page: str = "playground") -> float:
    """Seconds to open a page and finish its first run."""
    started = time.perf_counter()
    session = await Session.open(url, page, timeout=300)
    result = await session.run(timeout=300)
    await session.close()
    if not result.ok:
        raise RuntimeError(f"the {page} page's first run failed: {result.exceptions}")
    return time.perf_counter() - started


async def open_playground(url: str) -> float:
    """Seconds to open the Playground and finish its first run."""
    return await open_page(url, "playground")


def start_up() -> tuple[float, float]:
    """(seconds from starting a process to /_stcore/health ok, seconds to the first finished Playground run)."""
    port = free_ports()
    with tempfile.TemporaryFile(mode="w+") as log:
        started = time.perf_counter()
        app = subprocess.Popen(app_command(port), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", app, timeout=120)
            healthy_s = time.perf_counter() - started
            run_coroutine(open_playground(f"http://127.0.0.1:{port}"))
            return healthy_s, time.perf_counter() - started
        finally:
            stop(app)


def wait_quiet(pids, since: float, after_s: float, window_s: float = 0.5, busy: float = 0.05,
               longest_s: float = 60.0) -> float:
    """Wait until ``after_s`` seconds have passed since ``since`` (a ``time.monotonic()``) and then until the
    processes ``pids`` used less than ``busy`` of a core over ``window_s``: an app process's once-only
    background work after its first page (``lab.surface_choice.WARM_UP_AFTER_S``) is then over and is
    not counted as load. Returns the seconds waited; gives up after ``longest_s``."""
    started = time.monotonic()
    time.sleep(max(0.0, since + after_s - started))
    while time.monotonic() - started < longest_s:
        before = cpu_seconds(pids)
        time.sleep(window_s)
        if cpu_seconds(pids) - before < busy * window_s:
            break
    return time.monotonic() - started


def warm(app_urls, pids, page: str) -> None:
    """Every app process's start-up: its imports, ``page``'s first run and the background warm-up after it."""
    from lab.surface_choice import WARM_UP_AFTER_S

    for url in app_urls:
        run_coroutine(open_page(url, page))
    # each process's warm-up starts with its first page: counted from the last one opened
    wait_quiet(pids, time.monotonic(), WARM_UP_AFTER_S + 1.0)


def cpu_seconds(pids) -> float:
    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


def resident_mb(pids) -> float:
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


@contextlib.contextmanager
def peak_memory(pids, every: float = 0.2):
    """Yields a dict whose "mb" is, at the end, the largest resident memory of ``pids`` together."""
    seen = {"mb": resident_mb(pids)}
    stop = threading.Event()

    def sample():
        while not stop.wait(every):
            seen["mb"] = max(seen["mb"], resident_mb(pids))
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join()


def measure(processes: int, sessions: int, duration: float, interval: float = 5.0, shared: bool = False,
            scenario=None) -> Capacity:
    """A load test (``sessions`` moving a slider every ``interval`` s for ``duration`` s) on fresh processes.
    ``scenario``: a ``serving.loadtest.Scenario`` (default the Playground, each view its own or ``shared``)."""
    from .loadtest import PLAYGROUND, PLAYGROUND_SHARED

    scenario = scenario or (PLAYGROUND_SHARED if shared else PLAYGROUND)
    with served(processes) as (url, pids, app_urls):
        warm(app_urls, pids, scenario.page)  # each process's start-up, not load
        cpu0, wall0 = cpu_seconds(pids), time.perf_counter()
        with peak_memory(pids) as memory:
            summary = run(Plan(url, sessions, interval, duration, timeout=120.0, scenario=scenario))
        cpu, wall = cpu_seconds(pids) - cpu0, time.perf_counter() - wall0
        misses = sum(fetch_cache_lookups(u).get("simulate_view", {}).get("miss", 0) for u in app_urls)
    opening = 2 if scenario.own_view else 1  # the first run, and the one that makes the view the session's own
    return Capacity(processes, summary, cpu, wall, summary.moves + opening * sessions, misses, memory["mb"])
