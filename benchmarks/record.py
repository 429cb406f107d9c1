"""The performance record: engine throughput, a Playground move (server, network, browser), start-up, a class,
a class room.

    python benchmarks/record.py                       # about 25 minutes on 2 cores
    python benchmarks/record.py --quick               # about 8 minutes: fewer repeats, shorter load tests
    python benchmarks/record.py --smoke               # tiny runs, one student: checks that it runs (the tests do)
    python benchmarks/record.py --write docs/performance.md

Prints Markdown: the machine and its load average (``uptime``) at each measurement, engine
throughput (benchmarks/engine.py), a computing Playground move on the server against the whole
Plotly figures sent before (benchmarks/playground.py), CPU and bytes per move of a running app
process and Home's rerun (benchmarks/move_cost.py), the map in headless Chromium: first visit,
key press to new paths, Play (benchmarks/browser_map.py), start-up times, and load tests
(serving/loadtest.py) with N sessions each moving Run 1's learning rate every 5 s, on one app
process and on two behind nginx (``scripts/serve``), and a class room of 60 students
(benchmarks/class_room.py). Every load test starts fresh processes.
Medians throughout: these machines are shared and noisy, so compare a change against a record
taken the same way, and read each number next to the load average it was taken at.
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

import browser_map  # noqa: E402  (benchmarks/browser_map.py)
import class_room as room_bench  # noqa: E402  (benchmarks/class_room.py)
import engine as engine_bench  # noqa: E402  (benchmarks/engine.py)
import move_cost  # noqa: E402  (benchmarks/move_cost.py)
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


def load_now() -> str:
    """The load average (1, 5 and 15 minutes, as ``uptime`` prints it) now."""
    return " / ".join(f"{v:.2f}" for v in os.getloadavg())


def playground_rows(repeats: int) -> list[str]:
    """A computing move on the server: this design against the whole Plotly figures (benchmarks/playground.py)."""
    rows = ["| view | CPU per computing move | sent per move | peer: whole Plotly figures, CPU | peer: sent | "
            "load average |", "|---|---|---|---|---|---|"]
    for label, view in playground_bench.VIEWS.items():
        m = playground_bench.measure(view, repeats)
        rows.append(f"| {label} | {m['cpu'] * 1e3:,.1f} ms | {m['bytes'] / 1e3:,.1f} kB | "
                    f"{m['peer_cpu'] * 1e3:,.1f} ms | {m['peer_bytes'] / 1e6:.2f} MB | {load_now()} |")
    return rows


def move_cost_rows(moves: int) -> list[str]:
    """CPU, bytes and latency per move of a running app process (benchmarks/move_cost.py)."""
    load = load_now()
    results = move_cost.measure(ROOT, moves)
    rows = [move_cost.HEADER] + [move_cost.row(move_cost.LABELS[what], samples) for what, samples in results.items()]
    return rows + ["", f"Load average during the measurement: {load} (before) / {load_now()} (after)."]


def browser_rows(moves: int) -> list[str]:
    """The map in headless Chromium (benchmarks/browser_map.py)."""
    load = load_now()
    r = browser_map.measure(ROOT, moves, legacy=False)
    return ["| first visit to the map drawn | plotly.js transferred: first visit, second visit | key press to new paths, "
            "median (max) | bytes per move, median | Play: marker positions per second (slowest run) | load average |",
            "|---|---|---|---|---|---|",
            f"| {r['visit']:.2f} s | {r['plotly_first'] / 1e6:.1f} MB, {r['plotly_again'] / 1e3:.0f} kB | "
            f"{r['latency']:.0f} ms ({r['latency_max']:.0f} ms) | {r['bytes'] / 1e3:.1f} kB | {r['play']:.0f} | "
            f"{load} → {load_now()} |"]


def start_up_rows(repeats: int) -> list[str]:
    times = [start_up() for _ in range(repeats)]
    health = statistics.median(t[0] for t in times)
    first = statistics.median(t[1] for t in times)
    return [f"Start-up of one app process (median of {repeats}): /_stcore/health answers ok {health:.2f} s after the "
            f"process starts; the Playground's first run has finished {first:.2f} s after it starts."]


LOAD_HEADER = ("| processes | sessions | reruns/s | p50 s | p95 s | p99 s | max s | errors | server CPU per rerun | "
               "cores used | simulations computed | bytes per move | load average before |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def load_rows(processes: int, sessions, duration: float, interval: float, shared: bool = False) -> list[str]:
    rows = []
    for n in sessions:
        load = load_now()
        c = measure(processes, n, duration, interval, shared=shared)
        s = c.summary
        errors = f"{s.errors} {s.error_kinds}" if s.errors else "0"
        rows.append(f"| {processes} | {n} | {s.reruns_per_s:.2f} | {s.p50:.3f} | {s.p95:.3f} | {s.p99:.3f} | "
                    f"{s.max:.3f} | {errors} | {c.cpu_ms_per_run:.0f} ms | {c.cores:.2f} | {c.misses} of {c.runs} runs | "
                    f"{s.bytes_p50 / 1e3:.1f} kB | {load} |")
        print(rows[-1], flush=True)
    return rows


KEEP_MARK = "not part of this record's script"


def kept_sections(path: Path) -> list[str]:
    """The sections of the record at ``path`` that other measurements wrote by hand (their heading says
    KEEP_MARK): carried over, after this record's own."""
    if not path.exists():
        return []
    kept, keeping = [], False
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            keeping = KEEP_MARK in line
        if keeping:
            kept.append(line)
    return [""] + kept if kept else []


ROOM_TEXT = ("`python benchmarks/class_room.py` on the `scripts/serve --processes 2` set-up: the instructor on one "
             "process, every student on the other. A push: the instructor moves Run 1's learning rate and sends the "
             "view; it has reached a student when a run of the student's page has finished with that rate in its "
             "address (latency from the instructor's click). The board: every student submits within 10 s; the lag "
             "runs from the last accepted submission to the first board run whose table holds them all. A poll: the "
             "students' process CPU over 15 s of polling only, per poll.")


COMMANDS = [
    "## Measuring again", "",
    "Each measurement is one command from the repository root; each prints medians and the load average.", "",
    "| what | command |", "|---|---|",
    "| this whole record | `python benchmarks/record.py --write docs/performance.md` |",
    "| a computing move on the server, against the whole figures | `python benchmarks/playground.py` |",
    "| CPU, bytes and latency per move of an app process, Home's rerun (`--peer DIR`: also for another "
    "checkout) | `python benchmarks/move_cost.py` |",
    "| the map in headless Chromium: first visit, key press to new paths, Play (`--peer DIR --peer-legacy` for a "
    "checkout that drew it with st.plotly_chart) | `python benchmarks/browser_map.py` |",
    "| 60 students on one process | `python -m streamlit run app.py --server.port 8501` and "
    "`scripts/loadtest --url http://127.0.0.1:8501 --sessions 60 --interval 5 --duration 60` |",
    "| 120 students on two processes behind nginx | `scripts/serve --processes 2 --port 8080` and "
    "`scripts/loadtest --url http://127.0.0.1:8080 --sessions 120 --interval 5 --duration 60` |",
    "| the engine | `python benchmarks/engine.py` |", "",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats, 20 s load tests, N = 1, 10, 30 and 60 on 2")
    ap.add_argument("--sessions", default=None, help="comma-separated N for one process (default 1,10,30,60)")
    ap.add_argument("--sessions2", default=None, help="comma-separated N for two processes (default 60,120)")
    ap.add_argument("--duration", type=float, default=None, help="seconds of moves per load test (default 60)")
    ap.add_argument("--write", default=None, help="also write the record to this Markdown file")
    ap.add_argument("--smoke", action="store_true", help="tiny runs, one student for 3 s (checks that it runs)")
    args = ap.parse_args()
    repeats = 1 if args.smoke else 3 if args.quick else 9
    default_sessions = "1" if args.smoke else "1,10,30" if args.quick else "1,10,30,60"
    sessions = [int(n) for n in (args.sessions or default_sessions).split(",")]
    default_sessions2 = "1" if args.smoke else "60" if args.quick else "60,120"
    sessions2 = [int(n) for n in (args.sessions2 or default_sessions2).split(",")]
    duration = args.duration or (3.0 if args.smoke else 20.0 if args.quick else 60.0)
    interval = 1.0 if args.smoke else 5.0
    moves = {"server": 10, "browser": 2} if args.smoke else {"server": 20, "browser": 6} if args.quick else \
        {"server": 40, "browser": 12}
    optimizers.warm_up()

    flag = " --smoke" if args.smoke else " --quick" if args.quick else ""
    out = ["# Performance record", "", f"Written by `python benchmarks/record.py{flag}`; compare later changes "
           "against a record taken the same way. "
           "The machine may be shared: each measurement names the load average (`uptime`: 1, 5 and 15 minutes) it "
           "was taken at; on 2 cores a load above 2 means other work took part of the CPU.",
           "", *machine(), "", *COMMANDS, "## Engine", "",
           *engine_rows(repeats, engine_bench.SMOKE if args.smoke else engine_bench.FULL), "",
           "## A computing Playground move on the server", "",
           "Run 1's learning rate moved (a new simulation): Run 1 simulated, its path and curves thinned and split into "
           "templates and blobs (Run 2's reused). Peer: the whole Plotly figures the page sent on every move before "
           "(`python benchmarks/playground.py`; CPU time of the work).", "", *playground_rows(repeats), "",
           "## A move through a running app process", "",
           "One session on a fresh app process (`python benchmarks/move_cost.py`): the process's CPU time per move "
           "(per batch of 10 moves: Linux counts in 10 ms ticks), the bytes the browser receives (websocket and the "
           "charts' arrays it fetches), and the latency.", "", *move_cost_rows(moves["server"]), "",
           "## The map in a browser", "",
           "Headless Chromium on the same machine (`python benchmarks/browser_map.py`).", "",
           *browser_rows(moves["browser"]), "",
           "## Start-up", "", *start_up_rows(1 if args.smoke else 3), "",
           "## A class on this machine", "",
           f"Each session opens the Playground, makes its view its own (a start point a little off the default, so "
           f"that every rerun computes), and moves Run 1's learning-rate slider every {interval:g} s for {duration:.0f} s. "
           "Latency: from the move to the finished rerun, arrays fetched. Server CPU per rerun: the app processes' "
           "CPU time over the reruns they served (opening a page counts as two). Simulations computed: the "
           "Playground's cache misses (the slider's rerun and the view made the session's own), read from "
           "/_stcore/metrics. (`scripts/loadtest` runs one such test against a running server.)", "", LOAD_HEADER]
    print("\n".join(out), flush=True)
    out += load_rows(1, sessions, duration, interval)
    if nginx_binary():
        out += load_rows(2, sessions2, duration, interval)
    else:
        out.append("| 2 | – | nginx not installed: not measured | | | | | | | | | | |")
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
        Path(args.write).write_text("\n".join(out + kept_sections(Path(args.write))) + "\n")
        print(f"\nwritten to {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
