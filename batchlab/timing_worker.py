"""Measure batch sizes in a separate process: the page's server never times anything itself.

Why a process of its own (one per server process, started on the first job):

- **Threads.** torch's CPU work is split over an intra-op thread pool, by default one thread per
  core; every operation of an update waits for all of them, and one thread whose core another
  program holds stalls the update (measured on a loaded 2-core machine: batch 1 took 54 ms with
  2 threads, 0.54 ms with 1). ``torch.set_num_threads`` is the cure but is process-wide: set in the
  server it would change every other page's training. Here it is set in the worker only, per job
  (``TimingConfig.threads``).
- **The clock.** A Streamlit server runs every session's script as a thread of one Python process;
  their pure-Python work holds the GIL and would land inside the timed spans. The worker's clock
  sees only its own updates, and the server's script thread just sleeps waiting for events.
- **Memory.** Out of memory on the CPU may end with the kernel killing a process instead of an
  error. The worker asks to be the first one killed (``/proc/self/oom_score_adj`` = 1000), so
  then only the worker dies: the batch size gets the row status ``crashed`` and the next job
  starts a fresh worker.

The protocol, over one ``multiprocessing`` pipe (its end closes when the process dies, so a death
is seen at once, even in the middle of a message; a ``multiprocessing.Queue`` would keep waiting):

    server → worker   Job(id, config, batch, make_model)
    worker → server   Ready(pid) once, after importing torch; then per job Started(id, device,
                      threads), Progress(id, phase, done, total)…, and Finished(id, row) or
                      Failed(id, message)

``TimingWorker.run`` sends a job and waits on the pipe with a timeout (the waiting thread sleeps in
``select``), calling ``progress`` for each Progress and ``tick`` when nothing came for ``poll_s``,
so that a Streamlit script drawing on a bar in those calls can be interrupted (Stop, a changed
setting). Whatever ends the wait early, an exception from a callback included, terminates the
worker (``try``/``finally``): a job is never left running behind the page. The worker is daemonic,
so multiprocessing terminates it when the server exits; if the server is killed, the worker finds
its pipe closed (waiting for a job, or reporting progress) and exits.

The worker is started with the "spawn" method (a fresh interpreter: no copy of the server's
threads or locks; CUDA needs it). Spawn re-runs ``__main__.__file__`` in the child, and under
Streamlit ``__main__`` is the page being run, so the start hides it (``_no_main_script``).

No torch on the server's side of this module: the worker imports it.
"""
from __future__ import annotations

import atexit
import contextlib
import itertools
import multiprocessing
import multiprocessing.connection
import os
import sys
import threading
import time
import types
from dataclasses import dataclass
from typing import Callable

from .timing_csv import TimingRow

POLL_S = 0.25  # the longest the waiting thread sleeps without calling back (how soon Stop is seen)
PROGRESS_EVERY_S = 0.05  # the worker reports progress at most this often (and always at the end of a phase)
STOP_TIMEOUT_S = 5.0  # after SIGTERM, wait this long before SIGKILL
OOM_SCORE_ADJ = "/proc/self/oom_score_adj"


# ----------------------------------------------------------------- messages
@dataclass(frozen=True)
class Job:
    id: int
    config: object  # batchlab.timing.TimingConfig
    batch: int
    make_model: Callable | None = None  # as measure_batch's; importable by name (it is pickled)


@dataclass(frozen=True)
class Ready:
    pid: int


@dataclass(frozen=True)
class Started:
    id: int
    device: str  # timing.describe_device, read after the thread count was set
    threads: int  # torch.get_num_threads() in the worker


@dataclass(frozen=True)
class Progress:
    id: int
    phase: str  # "warmup", "repeats" or "epoch"
    done: int
    total: int


@dataclass(frozen=True)
class Finished:
    id: int
    row: TimingRow


@dataclass(frozen=True)
class Failed:
    id: int
    message: str


class MeasurementError(RuntimeError):
    """The worker could not measure (an error that is not out of memory, or a worker that did not start)."""


class Cancelled(RuntimeError):
    """``cancel()`` was called from another thread while ``run`` waited."""


# ----------------------------------------------------------------- the worker process
def _be_killed_first() -> None:
    """Out of memory, the kernel kills the process with the highest score: let that be this one."""
    try:
        with open(OOM_SCORE_ADJ, "w") as handle:
            handle.write("1000")
    except OSError:  # not Linux, or not allowed: the memory guard still applies
        pass


def _throttled(send, job_id: int):
    """``progress(phase, done, total)`` for measure_batch, sent at most every PROGRESS_EVERY_S."""
    last = [0.0]

    def progress(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - last[0] < PROGRESS_EVERY_S:
            return
        last[0] = now
        send(Progress(job_id, phase, done, total))
    return progress


def serve(conn) -> None:
    """The worker's loop: import torch, say Ready, then measure jobs until the pipe closes."""
    import torch

    from batchlab import timing

    _be_killed_first()
    # Building the first optimizer imports torch._dynamo (about 1.4 s here): pay it while starting,
    # so that a job's bar does not sit on "preparing" (it is never timed: the optimizer is built first).
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=timing.LEARNING_RATE)
    try:
        conn.send(Ready(os.getpid()))
        while True:
            try:
                job = conn.recv()
            except EOFError:  # the server has gone
                return
            try:
                torch.set_num_threads(job.config.threads)  # this process only
                device = timing.describe_device(job.config.device)
                conn.send(Started(job.id, device, torch.get_num_threads()))
                row = timing.measure_batch(job.config, job.batch, describe=device, make_model=job.make_model,
                                           progress=_throttled(conn.send, job.id))
            except (BrokenPipeError, ConnectionResetError):
                raise
            except Exception as exc:  # a bug, or a device error: said to the server, the worker goes on
                conn.send(Failed(job.id, f"{type(exc).__name__}: {exc}"))
                continue
            conn.send(Finished(job.id, row))
    except (BrokenPipeError, ConnectionResetError):  # the server has gone while this one reported
        return


@contextlib.contextmanager
def _no_main_script():
    """Start a spawned process without re-running ``__main__.__file__`` in it.

    multiprocessing's spawn gives the child the parent's ``__main__`` to import first; a Streamlit
    server installs each page it runs as ``__main__``, so the child would run the page again. A bare
    module (no ``__file__``, no ``__spec__``) stands in while the process starts. Streamlit itself
    swaps ``__main__`` at every script run; the old one is put back only if nobody swapped since."""
    saved = sys.modules.get("__main__")
    stand_in = types.ModuleType("__main__")
    sys.modules["__main__"] = stand_in
    try:
        yield
    finally:
        if sys.modules.get("__main__") is stand_in:
            sys.modules["__main__"] = saved


# ----------------------------------------------------------------- the server's side
def crashed_row(config, batch: int, device: str | None = None) -> TimingRow:
    """The row of a batch size whose worker died (killed for memory, or crashed): no times."""
    if device is None:
        from batchlab import timing

        device = timing.describe_device(config.device, threads=config.threads)
    return TimingRow(device=device, model=config.model, batch=int(batch), examples=config.examples,
                     repeats=config.repeats, status="crashed")


class TimingWorker:
    """One measuring process, started on the first job and again after a crash or a cancel.

    ``run(config, batch)`` gives the row of one batch size; one job at a time (a second concurrent
    call raises RuntimeError: the page's lock keeps sessions in turn)."""

    def __init__(self, *, poll_s: float = POLL_S, stop_timeout_s: float = STOP_TIMEOUT_S):
        self.poll_s, self.stop_timeout_s = float(poll_s), float(stop_timeout_s)
        self._context = multiprocessing.get_context("spawn")
        self._process = None
        self._conn = None
        self._ready = False
        self._cancelled = False
        self._ids = itertools.count(1)
        self._busy = threading.Lock()  # one job at a time
        self._state = threading.RLock()  # the process and the pipe (cancel may come from another thread)
        atexit.register(self.close)  # multiprocessing terminates daemons too; this also waits for them

    # ------------------------------------------------------------- the process
    @property
    def process(self):
        """The current ``multiprocessing.Process``, or None (not started, or ended)."""
        return self._process

    @property
    def pid(self) -> int | None:
        process = self._process
        return None if process is None else process.pid

    def alive(self) -> bool:
        process = self._process
        return process is not None and process.is_alive()

    def start(self) -> None:
        """Start the process if none is running (returns at once; it says Ready after importing torch)."""
        with self._state:
            if self.alive():
                return
            self._forget()
            ours, theirs = self._context.Pipe(duplex=True)
            process = self._context.Process(target=serve, args=(theirs,), name="batch-timing-worker", daemon=True)
            with _no_main_script():
                process.start()
            theirs.close()  # only the worker holds that end now: its death closes the pipe
            self._process, self._conn, self._ready = process, ours, False

    def wait_ready(self, timeout_s: float = 60.0) -> int:
        """Start if needed and wait until the worker has imported torch; its pid."""
        self.start()
        deadline = time.monotonic() + timeout_s
        while not self._ready:
            try:
                message = self._receive(max(0.0, deadline - time.monotonic()))
            except (EOFError, OSError) as exc:
                self.cancel()
                raise MeasurementError(f"the measuring process ended before it was ready ({exc})") from None
            if message is None and time.monotonic() >= deadline:
                raise MeasurementError(f"the measuring process did not start within {timeout_s:g} s")
        return self.pid

    def cancel(self) -> None:
        """End the running job by ending the process (SIGTERM, then SIGKILL); the next job starts a new one."""
        with self._state:
            self._cancelled = True
            process = self._process
            if process is not None and process.is_alive():
                process.terminate()
                process.join(self.stop_timeout_s)
                if process.is_alive():
                    process.kill()
                    process.join(self.stop_timeout_s)
            self._forget()

    close = cancel

    def _forget(self) -> None:
        """Let go of an ended process: reap it, close our end of its pipe."""
        if self._process is not None and not self._process.is_alive():
            self._process.join(0)
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn, self._ready = None, None, False

    def _receive(self, timeout_s: float):
        """The next message, None if none came within ``timeout_s``; raises EOFError if the process ended."""
        conn, process = self._conn, self._process
        if conn is None or process is None:
            raise EOFError("no measuring process")
        ready = multiprocessing.connection.wait([conn, process.sentinel], timeout_s)
        if conn in ready:
            message = conn.recv()  # EOFError when the worker died: its end of the pipe is closed
        elif ready:  # the process ended and left nothing to read
            raise EOFError(f"the measuring process ended with exit code {process.exitcode}")
        else:
            return None
        if isinstance(message, Ready):
            self._ready = True
        return message

    # ------------------------------------------------------------- jobs
    def run(self, config, batch: int, *, progress: Callable[[str, int, int], None] | None = None,
            tick: Callable[[], None] | None = None, started: Callable[[Started], None] | None = None,
            make_model: Callable | None = None) -> TimingRow:
        """Measure ``batch`` under ``config`` in the worker: the TimingRow measure_batch gives there, or
        a ``crashed`` row if the worker died meanwhile (and is then gone; the next job starts another).

        Calls back in this thread: ``started(Started)`` when the worker begins, ``progress(phase, done,
        total)`` per Progress, ``tick()`` whenever nothing was called back for ``poll_s``. If any of
        them raises, the worker is terminated and the exception goes on. Raises MeasurementError
        for a job the worker could not measure (the worker stays), Cancelled after ``cancel()``."""
        if not self._busy.acquire(blocking=False):
            raise RuntimeError("the measuring process is already running a job")
        finished = False
        try:
            row = self._run(Job(next(self._ids), config, int(batch), make_model), progress, tick, started)
            finished = True
            return row
        except MeasurementError:
            finished = True  # the worker said why (and waits for the next job), or is gone already
            raise
        finally:
            if not finished:
                self.cancel()
            self._busy.release()

    def _run(self, job: Job, progress, tick, started) -> TimingRow:
        with self._state:
            self._cancelled = False
            self.start()
            conn = self._conn
        try:
            conn.send(job)
        except OSError:  # died since start(): it never saw the job
            return self._ended(job, None)
        device = None
        last_call = time.monotonic()
        while True:
            try:
                message = self._receive(self.poll_s)
            except (EOFError, OSError):
                return self._ended(job, device)
            if isinstance(message, Started) and message.id == job.id:
                device = message.device
                if started is not None:
                    started(message)
                    last_call = time.monotonic()
            elif isinstance(message, Progress) and message.id == job.id:
                if progress is not None:
                    progress(message.phase, message.done, message.total)
                    last_call = time.monotonic()
            elif isinstance(message, Finished) and message.id == job.id:
                return message.row
            elif isinstance(message, Failed) and message.id == job.id:
                raise MeasurementError(message.message)
            if tick is not None and time.monotonic() - last_call >= self.poll_s:
                tick()
                last_call = time.monotonic()

    def _ended(self, job: Job, device: str | None) -> TimingRow:
        """The worker died during ``job``: a crashed row, or MeasurementError if it never started."""
        with self._state:
            cancelled, ready = self._cancelled, self._ready
            process = self._process
            code = None
            if process is not None:
                process.join(self.stop_timeout_s)
                code = process.exitcode
            self._forget()
        if cancelled:
            raise Cancelled("the measurement was cancelled")
        if not ready:
            raise MeasurementError(f"the measuring process ended before it was ready (exit code {code})")
        return crashed_row(job.config, job.batch, device)
