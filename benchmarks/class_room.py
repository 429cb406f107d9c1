"""A class room on this machine: a push reaching every following student, submissions reaching the board, a poll's cost.

    python benchmarks/class_room.py                     # 60 students, about 2 minutes on 2 cores
    python benchmarks/class_room.py --students 10 --pushes 1 --idle 5
    python benchmarks/class_room.py --redis              # the same on a fresh local redis-server
    python benchmarks/class_room.py --smoke              # 2 students, 1 push: checks that it runs (the tests do)
    python benchmarks/class_room.py --store redis://127.0.0.1:6379/0

Starts what ``scripts/serve --processes 2`` starts (two app processes behind
nginx) with a fresh room store (SQLite in a temporary state directory, unless
--store names one), warms both processes (imports, the Playground's first
run, the background warm-up after it), then runs serving/roomtest.py: the instructor pinned to one process
(app0), every student to the other (app1). Prints Markdown: the machine's load
(``uptime``) before and after, and the measurements against the targets.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import uptime  # noqa: E402
from serving.capacity import cpu_seconds, warm  # noqa: E402
from serving.deploy import Fleet  # noqa: E402
from serving.roomtest import RoomPlan, run  # noqa: E402
from serving.stats import percentile  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=int, default=60)
    ap.add_argument("--pushes", type=int, default=3)
    ap.add_argument("--idle", type=float, default=15.0, help="seconds of polling only (the poll's cost)")
    ap.add_argument("--submit-window", type=float, default=10.0)
    ap.add_argument("--page", default="playground", choices=("playground", "schedules"),
                    help="the page whose views the instructor sends (default: the Playground)")
    ap.add_argument("--store", default=None, help="DESCENT_LAB_STORE for the app processes (default: fresh SQLite)")
    ap.add_argument("--redis", action="store_true", help="start a fresh Debian redis-server on a free port and use it")
    ap.add_argument("--smoke", action="store_true", help="2 students, 1 push, short waits (checks that it runs)")
    args = ap.parse_args()
    if args.smoke:
        args.students, args.pushes, args.idle, args.submit_window = 2, 1, 1.0, 2.0
    return args


def report(plan: RoomPlan, r, before: str, after: str, store: str) -> str:
    lat, joins = r.push_latencies, r.join_latencies
    lines = [
        f"- load before: `{before}`", f"- load after: `{after}`",
        f"- {r.students} students on app1, the instructor on app0 (`scripts/serve --processes 2` set-up), "
        f"store: {store}",
        "",
        "| measurement | target | measured |",
        "|---|---|---|",
        f"| {len(joins)} students opening the join link at once (Home's first drawing on app1) | – | "
        f"p95 {percentile(joins, 95):.2f} s (p50 {percentile(joins, 50):.2f} s, "
        f"max {max(joins, default=float('nan')):.2f} s) |",
        f"| a push of a {plan.push_page} view reaching every following student (p95; {plan.pushes} pushes, "
        f"{len(lat) + r.push_missed} arrivals) | ≤ 3 s | p95 {percentile(lat, 95):.2f} s (p50 {percentile(lat, 50):.2f} s, max "
        f"{max(lat, default=float('nan')):.2f} s, {r.push_missed} missed) |",
        f"| {r.students} submissions within {plan.submit_window:g} s, all on the board after the last | ≤ 3 s | "
        f"{'not all shown' if r.board_lag is None else f'{r.board_lag:.2f} s'} ({r.submitted} accepted, board "
        f"rows {r.board_rows}, submissions spread over {r.submit_span:.1f} s) |",
        f"| a following student's poll, server CPU | ≤ 5 ms | "
        f"{'n/a' if r.poll_cpu_ms is None else f'{r.poll_cpu_ms:.2f} ms'} ({r.polls} polls in {r.idle_s:.0f} s, "
        f"{r.polls / max(r.idle_s, 1e-9):.0f}/s; the process's own {1e3 * (r.baseline_cpu or 0):.0f} ms/s "
        "with no session taken out) |",
        f"| a follower opening a sent {plan.push_page} view, server CPU | – | "
        f"{'n/a' if r.follow_cpu_ms is None else f'{r.follow_cpu_ms:.0f} ms'} |",
        f"| errors | 0 | {sum(r.errors.values())}{' ' + str(dict(r.errors)) if r.errors else ''} |",
    ]
    for kind, message in r.examples.items():
        lines.append(f"  - {kind}: {message[:300]}")
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    text, ok = record(args.students, args.pushes, args.idle, args.submit_window, args.page, args.store, args.redis)
    print(text)
    return 0 if ok else 1


def record(students: int = 60, pushes: int = 3, idle: float = 15.0, submit_window: float = 10.0,
           page: str = "playground", store: str | None = None, redis: bool = False) -> tuple[str, bool]:
    """The measurements as Markdown, and whether they ran without errors or missed pushes."""
    if redis:
        from tests.serving_helpers import redis_server

        with redis_server() as url:
            return record(students, pushes, idle, submit_window, page, url)
    env_before = dict(os.environ)
    state = tempfile.TemporaryDirectory(prefix="descent-lab-rooms-")
    if store:
        os.environ["DESCENT_LAB_STORE"] = store
    else:
        os.environ.pop("DESCENT_LAB_STORE", None)
        os.environ["DESCENT_LAB_STATE_DIR"] = state.name
    shown = store.split("@")[-1] if store else "SQLite in a fresh state directory"
    log = tempfile.TemporaryFile(mode="w+")
    fleet = Fleet.on_free_ports(2, output=log)
    try:
        fleet.start()
        # imports, the Playground's first run and the warm-up after it: start-up, not the lecture
        warm([fleet.app_url(i) for i in range(2)], [app.pid for app in fleet.apps], "playground")
        before = uptime()
        plan = RoomPlan(fleet.url, students=students, pushes=pushes, idle=idle, submit_window=submit_window,
                        push_page=page, cpu_of=lambda: cpu_seconds([fleet.apps[1].pid]))
        result = run(plan)
        return report(plan, result, before, uptime(), shown), not result.errors and not result.push_missed
    finally:
        fleet.stop()
        log.close()
        state.cleanup()
        os.environ.clear()
        os.environ.update(env_before)


if __name__ == "__main__":
    sys.exit(main())
