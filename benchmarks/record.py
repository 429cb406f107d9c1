"""The performance record: engine throughput, the Playground's rerun, start-up, a class, a class room.

    python benchmarks/record.py                       # about 12 minutes on 2 cores
    python benchmarks/record.py --quick               # about 3 minutes: fewer repeats, shorter load tests
    python benchmarks/record.py --smoke               # tiny runs, one student: checks that it runs (the tests do)
    python benchmarks/record.py --write docs/performance.md

Prints Markdown: the machine, engine throughput (benchmarks/engine.py's
measurements), the Playground's server-side rerun and figure sizes
(benchmarks/playground.py), start-up times, and load tests
(serving/loadtest.py) with N sessions each moving Run 1's learning rate every
5 s, on one app process and on two behind nginx (``scripts/serve``), and a
class room of 60 students (benchmarks/class_room.py). Every load test starts
fresh processes. Medians throughout: these machines are
shared and noisy, so compare a change against a record taken the same way.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import class_room as room_bench  # noqa: E402  (benchmarks/class_room.py)
import engine as engine_bench  # noqa: E402  (benchmarks/engine.py)
import optimizers  # noqa: E402
import playground as playground_bench  # noqa: E402  (benchmarks/playground.py)
import surfaces  # noqa: E402
from serving.capacity import measure, start_up  # noqa: E402
from serving.deploy import nginx_binary  # noqa: E402


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine() -> list[str]:
    import plotly
    import streamlit

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    return [f"- machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} {platform.release()}",
            f"- Python {platform.python_version()}, streamlit {streamlit.__version__}, plotly {plotly.__version__}, "
            f"numpy {np.__version__}",
            f"- taken {datetime.date.today().isoformat()} at commit {commit.strip() or '?'} (plus the working tree)"]


def engine_rows(repeats: int, size: dict = engine_bench.FULL) -> list[str]:
    """Trajectory-steps per second of the engine (benchmarks/engine.py's functions and sizes)."""
    bowl = surfaces.get("bowl")
    steps, n_rates = size["steps"], size["rates"]
    lrs = np.logspace(-8, 0, n_rates)
    runs = [
        (f"Adam, 1 run × {steps:,} steps, every step recorded", steps,
         lambda: optimizers.simulate(bowl, "adam", steps=steps)),
        (f"GD sweep, {n_rates} rates × {steps:,} steps, path every 100th", n_rates * steps,
         lambda: optimizers.simulate(bowl, optimizers.get("gd", lr=lrs), steps=steps, record=("path",), every=100)),
        (f"Adam sweep, {n_rates} rates × {steps:,} steps, path every 100th", n_rates * steps,
         lambda: optimizers.simulate(bowl, optimizers.get("adam", lr=lrs), steps=steps, record=("path",),
                                     every=100)),
    ]
    rows = ["| engine run | median | trajectory-steps/s |", "|---|---|---|"]
    for label, work, fn in runs:
        med, _, _ = engine_bench.median_time(fn, repeats)
        rows.append(f"| {label} | {med * 1e3:,.1f} ms | {work / med / 1e6:,.0f} M |")
    rows.append("")
    rows.append(f"Engine start-up (import and first run, numba's cache warm): "
                f"{engine_bench.start_up_seconds(False):.2f} s.")
    return rows


def playground_rows(repeats: int) -> list[str]:
    """The Playground's rerun on a cache miss (benchmarks/playground.py's ``rerun``)."""
    playground_bench.rerun(next(iter(playground_bench.VIEWS.values())))  # first-call costs
    rows = ["| view | rerun (simulate, figures, serialize) | figure JSON |", "|---|---|---|"]
    for label, view in playground_bench.VIEWS.items():
        samples = [playground_bench.rerun(view) for _ in range(repeats)]
        total = statistics.median(sum(t.values()) for t, _ in samples)
        size = sum(samples[0][1].values())
        rows.append(f"| {label} | {total * 1e3:,.0f} ms | {size / 1e6:.2f} MB |")
    return rows


def start_up_rows(repeats: int) -> list[str]:
    times = [start_up() for _ in range(repeats)]
    health = statistics.median(t[0] for t in times)
    first = statistics.median(t[1] for t in times)
    return [f"Start-up of one app process (median of {repeats}): /_stcore/health answers ok {health:.2f} s after the "
            f"process starts; the Playground's first run has finished {first:.2f} s after it starts."]


LOAD_HEADER = ("| processes | sessions | reruns/s | p50 s | p95 s | p99 s | max s | errors | server CPU per rerun | "
               "cores used | simulations computed |\n|---|---|---|---|---|---|---|---|---|---|---|")


def load_rows(processes: int, sessions, duration: float, interval: float, shared: bool = False) -> list[str]:
    rows = []
    for n in sessions:
        c = measure(processes, n, duration, interval, shared=shared)
        s = c.summary
        errors = f"{s.errors} {s.error_kinds}" if s.errors else "0"
        rows.append(f"| {processes} | {n} | {s.reruns_per_s:.2f} | {s.p50:.3f} | {s.p95:.3f} | {s.p99:.3f} | "
                    f"{s.max:.3f} | {errors} | {c.cpu_ms_per_run:.0f} ms | {c.cores:.2f} | {c.misses} of {c.runs} runs |")
        print(rows[-1], flush=True)
    return rows


ROOM_TEXT = ("`python benchmarks/class_room.py` on the `scripts/serve --processes 2` set-up: the instructor on one "
             "process, every student on the other. A push: the instructor moves Run 1's learning rate and sends the "
             "view; it has reached a student when a run of the student's page has finished with that rate in its "
             "address (latency from the instructor's click). The board: every student submits within 10 s; the lag "
             "runs from the last accepted submission to the first board run whose table holds them all. A poll: the "
             "students' process CPU over 15 s of polling only, per poll.")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats, 20 s load tests, N = 1, 10, 30")
    ap.add_argument("--sessions", default=None, help="comma-separated N (default 1,10,30,60)")
    ap.add_argument("--duration", type=float, default=None, help="seconds of moves per load test (default 60)")
    ap.add_argument("--write", default=None, help="also write the record to this Markdown file")
    ap.add_argument("--smoke", action="store_true", help="tiny runs, one student for 3 s (checks that it runs)")
    args = ap.parse_args()
    repeats = 1 if args.smoke else 3 if args.quick else 7
    default_sessions = "1" if args.smoke else "1,10,30" if args.quick else "1,10,30,60"
    sessions = [int(n) for n in (args.sessions or default_sessions).split(",")]
    duration = args.duration or (3.0 if args.smoke else 20.0 if args.quick else 60.0)
    interval = 1.0 if args.smoke else 5.0
    optimizers.warm_up()

    flag = " --smoke" if args.smoke else " --quick" if args.quick else ""
    out = ["# Performance record", "", f"Written by `python benchmarks/record.py{flag}`; compare later changes "
           "against a record taken the same way.",
           "", *machine(), "", "## Engine", "",
           *engine_rows(repeats, engine_bench.SMOKE if args.smoke else engine_bench.FULL), "",
           "## Playground rerun (server side, one cache miss, default view)", "", *playground_rows(repeats), "",
           "## Start-up", "", *start_up_rows(1 if args.smoke else 3), "",
           "## A class on this machine", "",
           f"Each session opens the Playground, makes its view its own (a start point a little off the default, so "
           f"that every rerun computes), and moves Run 1's learning-rate slider every {interval:g} s for {duration:.0f} s. "
           "Latency: from the move to the finished rerun. Server CPU per rerun: the app processes' CPU time over "
           "the reruns they served. Simulations computed: the Playground's cache misses (the slider's rerun and the "
           "view made the session's own), read from /_stcore/metrics.", "", LOAD_HEADER]
    print("\n".join(out), flush=True)
    out += load_rows(1, sessions, duration, interval)
    if nginx_binary():
        out += load_rows(2, sessions, duration, interval)
    else:
        out.append("| 2 | – | nginx not installed: not measured | | | | | | | | |")
    out += ["", "Shared views (every student on the default view, so moves hit the caches that sessions share):", "",
            LOAD_HEADER]
    print("\n" + "\n".join(out[-3:]), flush=True)
    out += load_rows(1, [max(sessions)], duration, interval, shared=True)
    out += ["", "## A class room", "", ROOM_TEXT, ""]
    if nginx_binary():
        room = dict(pushes=1, idle=1.0, submit_window=2.0) if args.smoke else {}
        out.append(room_bench.record(students=max(sessions), **room)[0])
    else:
        out.append("nginx not installed: not measured")
    print("\n".join(out[-5:]), flush=True)
    if args.write:
        Path(args.write).write_text("\n".join(out) + "\n")
        print(f"\nwritten to {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
