"""A class on the Basins page: N students at the default grid, each moving η every few seconds.

    python benchmarks/basins_class.py                 # 20 students, a move every 5 s for 60 s (about 2 minutes)
    python benchmarks/basins_class.py --sessions 10 --duration 30

Starts a fresh app process (as ``serving.capacity`` does), opens the Basins page once (start-up, not
load), then runs the protocol-level load test (``serving.loadtest``, scenario ``BASINS``): every
student moves the learning-rate slider among the 13 stops from 1e-4 to 0.1 in an order of their own,
so most moves compute both panels' grids. Prints the machine's load (``uptime``) before and after,
moves per second, latency percentiles from the move to the finished rerun, errors, the app's CPU
and the largest resident memory of the app process during the test.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import uptime  # noqa: E402
from serving.capacity import measure  # noqa: E402
from serving.loadtest import BASINS  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--interval", type=float, default=5.0)
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--processes", type=int, default=1, help="app processes (behind nginx when more than one)")
    args = ap.parse_args()
    print(f"uptime before: {uptime()}", flush=True)
    c = measure(args.processes, args.sessions, args.duration, args.interval, scenario=BASINS)
    s = c.summary
    print(f"uptime after:  {uptime()}")
    print("| processes | sessions | moves/s asked | moves/s served | p50 s | p95 s | p99 s | max s | errors | "
          "cores used | peak memory |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    errors = f"{s.errors} {s.error_kinds}" if s.errors else "0"
    print(f"| {args.processes} | {args.sessions} | {args.sessions / args.interval:.2f} | {s.reruns_per_s:.2f} | "
          f"{s.p50:.2f} | {s.p95:.2f} | {s.p99:.2f} | {s.max:.2f} | {errors} | {c.cores:.2f} | {c.peak_mb:,.0f} MB |")
    return 1 if s.errors else 0


if __name__ == "__main__":
    sys.exit(main())
