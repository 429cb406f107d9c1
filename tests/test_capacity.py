"""serving.capacity: what a load test cost, start-up times, and load tests on freshly started processes."""
import os
import time
import urllib.request

import psutil
import pytest

from serving import capacity
from serving.capacity import Capacity, cpu_seconds, measure, served, start_up, wait_quiet
from serving.stats import summarize


def test_cost_per_run_and_cores_used():
    summary = summarize(2, 1.0, 3.0, latencies=[0.1] * 6, errors=[])
    c = Capacity(processes=1, summary=summary, cpu_s=1.5, wall_s=3.0, runs=10, misses=9)
    assert c.cpu_ms_per_run == pytest.approx(150.0) and c.cores == pytest.approx(0.5)
    assert Capacity(1, summary, cpu_s=0.2, wall_s=1.0, runs=0, misses=0).cpu_ms_per_run == pytest.approx(200.0)


def test_cpu_seconds_is_the_processes_user_and_system_time():
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:  # spend some CPU in this process
        pass
    before, ours = time.process_time(), cpu_seconds([os.getpid()])
    after = time.process_time()
    assert before - 0.02 <= ours <= after + 0.02  # psutil and the clock round differently, by a tick at most
    assert cpu_seconds([os.getpid(), os.getpid()]) == pytest.approx(2 * ours, abs=0.05)


def test_waiting_for_quiet_lasts_until_a_busy_process_has_stopped_working():
    import subprocess
    import sys

    spin = "import time\nt = time.time()\nwhile time.time() - t < 1.5: pass\ntime.sleep(30)"
    busy = subprocess.Popen([sys.executable, "-c", spin])
    try:
        started = time.monotonic()
        waited = wait_quiet([busy.pid], started, after_s=0.2)
        assert waited >= 1.4  # it waited out the spinning (1.5 s from the start) ...
        assert waited < 10.0 and busy.poll() is None  # ... and came back while the process sleeps on
        assert wait_quiet([busy.pid], time.monotonic(), after_s=0.0) < 2.0  # quiet now: one window
    finally:
        busy.kill()
        busy.wait()


def health(url: str) -> bytes:
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url + "/_stcore/health", timeout=10) as r:
        return r.read()


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.slow
def test_one_process_is_served_healthy_and_stopped_afterwards():
    with served(1) as (url, pids, app_urls):
        assert app_urls == [url] and len(pids) == 1
        assert health(url) == b"ok"
    assert gone(pids[0])


@pytest.mark.slow
@pytest.mark.nginx
def test_two_processes_are_served_behind_nginx_and_all_stopped_afterwards():
    with served(2) as (url, pids, app_urls):
        assert len(pids) == 2 and len(app_urls) == 2 and url not in app_urls
        assert health(url) == b"ok" and all(health(u) == b"ok" for u in app_urls)
    assert all(gone(pid) for pid in pids)


@pytest.mark.slow
def test_start_up_times_health_before_the_first_playground_run(monkeypatch):
    started = []
    real = capacity.subprocess.Popen
    monkeypatch.setattr(capacity.subprocess, "Popen", lambda *a, **kw: started.append(real(*a, **kw)) or started[-1])
    t0 = time.perf_counter()
    healthy_s, first_run_s = start_up()
    elapsed = time.perf_counter() - t0
    assert 0 < healthy_s < first_run_s <= elapsed
    assert len(started) == 1 and gone(started[0].pid)  # its own process, stopped afterwards


@pytest.mark.slow
def test_a_load_test_counts_moves_runs_and_the_simulations_computed():
    """2 students moving every second for 3 s: 3 moves each. Runs: the moves, and two to open each page (the
    first run and the view made the student's own). Every one of those computes but the students' first
    runs, which find the default view that capacity's own opening visit computed."""
    c = measure(1, sessions=2, duration=3.0, interval=1.0)
    assert c.processes == 1 and c.summary.errors == 0
    assert c.summary.moves == 2 * 3 and c.runs == 2 * 3 + 2 * 2
    assert c.misses == 1 + 2 + 2 * 3  # the opening visit, each own view, each move
    assert c.cpu_s > 0 and 0 < c.cores < psutil.cpu_count() + 0.5


@pytest.mark.slow
def test_a_shared_view_load_test_finds_the_shared_caches():
    c = measure(1, sessions=2, duration=3.0, interval=1.0, shared=True)
    assert c.summary.errors == 0 and c.summary.moves == 2 * 3 and c.runs == 2 * 3 + 2
    # students on the default view: a learning rate is computed once, whoever moves to it first (with the
    # plan's seed the two students' orders share a value, so at least one move finds it computed)
    assert c.misses < 1 + c.summary.moves
