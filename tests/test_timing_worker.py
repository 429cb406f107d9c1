"""The measuring process (batchlab.timing_worker), for real: a spawned worker measures rows of the same
shape as measure_batch, sets torch's threads in itself only, is terminated when the waiting side
gives up (an exception from a callback, as when Streamlit interrupts a script, or cancel()),
reports a worker killed mid-job as a crashed row without hanging, and never outlives the process
that started it. Every wait is bounded."""
from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import psutil
import pytest
import torch

from batchlab import timing, timing_worker
from batchlab.models import mlp

ROOT = Path(__file__).resolve().parents[1]
BOUND_S = 60.0  # no wait in these tests may exceed this: a hang fails instead of stalling the suite
EXAMPLES = 2_000  # a small training set: each fresh worker makes its data quickly
TINY = timing.TimingConfig(model="mlp", batches=(1, 8), repeats=2, warmup=0, epoch_budget_s=0.0, device="cpu",
                           threads=1, examples=EXAMPLES)
LONG = timing.TimingConfig(model="mlp", batches=(EXAMPLES,), repeats=100, warmup=0, epoch_budget_s=0.0,
                           device="cpu", threads=1, examples=EXAMPLES)  # 100 updates on 2,000 examples: over 1 s


class Interrupted(BaseException):
    """What Streamlit raises in a script on Stop or a changed setting (its StopException is a BaseException)."""


class OutOfMemoryModel(torch.nn.Module):
    """Fails in every update (beyond batch 1, which the memory guard uses to count activations)."""

    def __init__(self, name):
        super().__init__()
        self.inner = mlp()

    def forward(self, x):
        if x.shape[0] > 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 8.00 GiB")
        return self.inner(x)


class BrokenModel(OutOfMemoryModel):
    def forward(self, x):
        if x.shape[0] > 1:
            raise RuntimeError("shapes do not match")
        return self.inner(x)


def gone(pid: int, within_s: float = BOUND_S) -> bool:
    """True once ``pid`` has ended (a zombie waiting for its parent to reap it counts as ended)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def in_thread(call):
    """``call()`` in a thread, joined for at most BOUND_S: (result, exception)."""
    out = {}

    def target():
        try:
            out["result"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(BOUND_S)
    assert not thread.is_alive(), f"the call did not return within {BOUND_S:g} s"
    return out.get("result"), out.get("error")


@pytest.fixture(scope="module")
def worker(tmp_path_factory):
    """One worker for the module, started while ``__main__`` is a script (as under Streamlit, where it
    is the page being run): spawn must not run that script in the child."""
    marker = tmp_path_factory.mktemp("main") / "ran"
    script = marker.with_name("page.py")
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = page
    try:
        w = timing_worker.TimingWorker()
        w.wait_ready(BOUND_S)
    finally:
        sys.modules["__main__"] = saved
    w.marker = marker
    yield w
    w.close()


def test_a_worker_process_measures_rows_of_the_right_shape(worker):
    assert not worker.marker.exists()  # the "page" was not run again in the worker
    before = torch.get_num_threads()
    events = []
    rows = [worker.run(TINY, b, started=events.append, progress=lambda *e: events.append(e)) for b in TINY.batches]
    assert worker.pid != os.getpid() and worker.alive()
    for batch, row in zip(TINY.batches, rows):
        assert (row.model, row.batch, row.examples, row.repeats, row.status) == ("mlp", batch, EXAMPLES, 2, "ok")
        assert all(math.isfinite(v) and v > 0 for v in (row.low_s, row.median_s, row.high_s))
        assert row.low_s <= row.median_s <= row.high_s
        assert row.epoch_estimate_s == pytest.approx(math.ceil(EXAMPLES / batch) * row.median_s, rel=1e-12)
        assert row.epoch_measured_s is None  # budget 0 s
    # threads = 1 in the worker: it says so in its event and in each row; this process is untouched
    started = [e for e in events if isinstance(e, timing_worker.Started)]
    assert [s.threads for s in started] == [1, 1]
    assert {r.device for r in rows} == {s.device for s in started} == {timing.describe_device("cpu", threads=1)}
    assert rows[0].device.endswith(", 1 thread")
    assert torch.get_num_threads() == before
    # progress: each timed update, in order, after the job started
    timed = [("repeats", 1, 2), ("repeats", 2, 2)]
    assert events == [started[0], *timed, started[1], *timed]


def test_the_thread_count_follows_each_job(worker):
    if timing.MAX_THREADS < 2:
        pytest.skip("one CPU: only one thread count is allowed")
    events = []
    row = worker.run(timing.TimingConfig(batches=(4,), repeats=1, warmup=0, epoch_budget_s=0.0, threads=2,
                                         examples=EXAMPLES), 4, started=events.append)
    assert events[0].threads == 2 and row.device.endswith(", 2 threads")
    assert worker.run(TINY, 1).device.endswith(", 1 thread")


def test_out_of_memory_is_a_row_and_other_errors_are_said_and_the_worker_stays(worker):
    pid = worker.pid
    row = worker.run(TINY, 8, make_model=OutOfMemoryModel)
    assert row.status == "out_of_memory" and row.median_s is None and row.batch == 8
    with pytest.raises(timing_worker.MeasurementError, match="RuntimeError: shapes do not match"):
        worker.run(TINY, 8, make_model=BrokenModel)
    assert worker.pid == pid and worker.alive() and worker.run(TINY, 1).ok


@pytest.mark.parametrize("where", ["progress", "tick"])
def test_an_interrupted_wait_terminates_the_worker_and_the_next_job_works(worker, where):
    worker.wait_ready(BOUND_S)
    pid, process = worker.pid, worker.process

    def interrupt(*_):
        raise Interrupted

    # progress: at the first timed update; tick: nothing came for poll_s (one update here takes longer)
    callbacks = {"progress": interrupt} if where == "progress" else {"tick": interrupt}
    _, error = in_thread(lambda: worker.run(LONG, EXAMPLES, **callbacks))
    assert isinstance(error, Interrupted)
    assert not process.is_alive() and gone(pid, 1.0)  # ended and reaped before run() returned
    assert worker.process is None and not worker.alive()
    row = worker.run(TINY, 8)
    assert row.ok and worker.pid not in (None, pid)


def test_cancel_from_another_thread_ends_the_job(worker):
    worker.wait_ready(BOUND_S)
    pid = worker.pid
    cancel_soon = lambda _started: threading.Timer(0.2, worker.cancel).start()  # noqa: E731 - once the job runs
    _, error = in_thread(lambda: worker.run(LONG, EXAMPLES, started=cancel_soon))
    assert isinstance(error, timing_worker.Cancelled)
    assert gone(pid, 1.0) and worker.run(TINY, 1).ok


def test_a_worker_killed_mid_job_gives_a_crashed_row_not_a_hang(worker):
    worker.wait_ready(BOUND_S)
    pid = worker.pid
    device = []

    def kill_it(phase, done, total):
        if done == 1:
            os.kill(pid, signal.SIGKILL)  # as the kernel's out-of-memory killer would

    row, error = in_thread(lambda: worker.run(LONG, EXAMPLES, progress=kill_it,
                                              started=lambda s: device.append(s.device)))
    assert error is None
    assert row == timing_worker.crashed_row(LONG, EXAMPLES, device[0])
    assert (row.status, row.batch, row.median_s) == ("crashed", EXAMPLES, None)
    assert row.device == device[0] == f"CPU: {timing.cpu_model()}, 1 thread"
    assert gone(pid, 1.0) and not worker.alive()
    assert worker.run(TINY, 8).ok and worker.pid != pid  # a fresh worker for the next size


def test_the_worker_asks_to_be_killed_first_when_memory_runs_out(worker):
    worker.wait_ready(BOUND_S)
    path = Path(f"/proc/{worker.pid}/oom_score_adj")
    if not path.exists():
        pytest.skip("no /proc/PID/oom_score_adj here")
    assert path.read_text().strip() == "1000"
    assert Path("/proc/self/oom_score_adj").read_text().strip() != "1000"


SERVER = """
import sys, time
from batchlab.timing_worker import TimingWorker
worker = TimingWorker()
print(worker.wait_ready(60), flush=True)
time.sleep(0 if sys.argv[1] == "exit" else 60)
"""


@pytest.mark.parametrize("end", ["exit", "killed"])
def test_no_worker_outlives_the_process_that_started_it(end):
    server = subprocess.Popen([sys.executable, "-c", SERVER, end], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        pid = int(server.stdout.readline())
        assert psutil.pid_exists(pid) and pid != server.pid
        if end == "killed":  # no atexit, no cleanup: the worker finds its pipe closed
            server.kill()
        server.wait(BOUND_S)
        assert gone(pid), f"worker {pid} still running after its server ended ({end})"
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(BOUND_S)
