"""A class opening one page at the same moment, on an app process that has not drawn that page yet.

    python benchmarks/class_opens.py                     # 60 sessions on each page, about 6 minutes on 2 cores
    python benchmarks/class_opens.py --pages home schedules --sessions 60
    python benchmarks/class_opens.py --smoke             # 2 sessions on Home (checks that it runs; the tests do)

"Everybody, open this": for each page, a fresh app process is started and warmed on another page
(imports and the background warm-up after a first page: start-up, not the class), then N sessions
open the page at once, each as a browser does (serving/protocol.py). Prints, per page, the time from
opening to the page drawn (p50, p95, max) and the process's CPU seconds for all N, beside the same
for one session alone on a fresh process: the ratio says how much of the work the sessions share.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import load_line  # noqa: E402
from serving.capacity import cpu_seconds, open_page, served, warm  # noqa: E402
from serving.stats import percentile  # noqa: E402

PAGES = ("home", "playground", "sweep", "basins", "schedules", "tour", "noisy_gradients", "generalization")
WARM_PAGE = "batch_timing"  # opened first on each process: a page none of PAGES draws anything of


def class_opens(page: str, sessions: int) -> tuple[list[float], float]:
    """Seconds each of ``sessions`` sessions took to open ``page`` at once on a fresh, warmed process, and the
    process's CPU seconds for them."""
    with served(1) as (url, pids, app_urls):
        warm(app_urls, pids, WARM_PAGE)
        before = cpu_seconds(pids)

        async def everyone():
            return await asyncio.gather(*(open_page(url, "" if page == "home" else page) for _ in range(sessions)))

        latencies = asyncio.run(everyone())
        return latencies, cpu_seconds(pids) - before


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", nargs="+", choices=PAGES, default=list(PAGES))
    ap.add_argument("--sessions", type=int, default=60)
    ap.add_argument("--smoke", action="store_true", help="2 sessions on Home (checks that the script runs)")
    args = ap.parse_args()
    if args.smoke:
        args.pages, args.sessions = ["home"], 2
    if not 1 <= args.sessions <= 500:
        print(f"--sessions = {args.sessions} is out of range; allowed 1 to 500", file=sys.stderr)
        return 2
    print(f"before, {load_line()} on {os.cpu_count()} cores")
    print(f"| page | {args.sessions} sessions at once: p50 s | p95 s | max s | server CPU s | one session alone: s "
          "| its CPU s | CPU of all / CPU of one |")
    print("|---|---|---|---|---|---|---|---|")
    for page in args.pages:
        many, many_cpu = class_opens(page, args.sessions)
        (alone,), alone_cpu = class_opens(page, 1)
        print(f"| {page} | {percentile(many, 50):.2f} | {percentile(many, 95):.2f} | {max(many):.2f} | "
              f"{many_cpu:.1f} | {alone:.2f} | {alone_cpu:.1f} | {many_cpu / max(alone_cpu, 1e-9):.1f} |", flush=True)
    print(f"after, {load_line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
