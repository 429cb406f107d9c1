"""What one move costs the server and the network: CPU time, bytes sent to the browser, latency.

    python benchmarks/move_cost.py                          # Playground and Home, about a minute
    python benchmarks/move_cost.py --peer /path/to/checkout # the same, also for another checkout (the peer)

Starts a fresh app process, opens one session as a browser does (serving/protocol.py) and:

- Playground: makes the view its own (a start off the default), then moves Run 1's learning rate
  to each of ``--moves`` values it has not had before (every move a new simulation: a cache miss),
  then repeats the same moves (cache hits: the peer, what a rerun costs without computing);
- Home: reruns the page ``--moves`` times (the language picker's rerun; nothing changes).

Before measuring, it waits for the process's once-only background work after its first page
(``lab.surface_choice.WARM_UP_AFTER_S``: sympy and LLVM warmed for typed formulas) to end.
Per move: the app process's CPU time (Linux counts it in ticks of 10 ms, so per batch of 10 moves,
from the first request to 50 ms after the last rerun finished), the bytes of the messages the
browser received, and the latency. Prints medians, and the ratio of a computing move to a cache hit
measured in the same run. Idle, the process uses well under 1 ms of CPU per 100 ms.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import load_line  # noqa: E402
from lab.surface_choice import WARM_UP_AFTER_S  # noqa: E402
from serving.capacity import served, wait_quiet  # noqa: E402
from serving.loadtest import PLAYGROUND, own_view_state, slider_values  # noqa: E402
from serving.protocol import Session, slider_state  # noqa: E402
from serving.stats import percentile  # noqa: E402

SETTLE_S = 0.05  # after a rerun finished: the server's work after the last message


def cpu(process: psutil.Process) -> float:
    """CPU seconds of the process, exited threads included (each rerun runs in a thread of its own);
    Linux counts them in ticks of 10 ms, so moves are measured in batches of ``BATCH``."""
    times = process.cpu_times()
    return times.user + times.system


BATCH = 10


async def measure_moves(session: Session, process: psutil.Process, changes) -> tuple[list, list, list]:
    """For the reruns asked for with ``changes`` (a list of WidgetState lists): the CPU seconds per
    move of each batch of BATCH moves (their mean), and each move's bytes and latency."""
    cpu_per_move, sizes, latencies = [], [], []
    for start in range(0, len(changes), BATCH):
        batch = changes[start:start + BATCH]
        before = cpu(process)
        for change in batch:
            result = await session.run(change)
            if not result.ok:
                raise RuntimeError(f"a move failed: {result.exceptions or result.status}")
            sizes.append(result.bytes_received)
            latencies.append(result.seconds)
        await asyncio.sleep(SETTLE_S)
        cpu_per_move.append((cpu(process) - before) / len(batch))
    return cpu_per_move, sizes, latencies


async def quiet(process: psutil.Process, since: float) -> None:
    """Until the process's background warm-up after its first page (run by ``since``) is over: not a move's cost."""
    await asyncio.to_thread(wait_quiet, [process.pid], since, WARM_UP_AFTER_S + 1.0)


async def playground(url: str, process: psutil.Process, moves: int):
    session = await Session.open(url, "playground", timeout=120)
    await session.run(timeout=120)
    await quiet(process, time.monotonic())  # the warm-up starts during that first run
    await session.run([own_view_state(session, PLAYGROUND, 3)])
    slider = session.widget(PLAYGROUND.slider)
    values = [v for v in slider.options if 1e-7 <= float(v) <= 3e-2] if len(slider.options) else \
        slider_values(slider, PLAYGROUND.value_range)
    current = set(session.values[slider.id].string_array_value.data)
    values = [v for v in values if v not in current][:moves]
    await measure_moves(session, process, [[slider_state(slider, values[0])]] * 2)  # warm: imports, first calls
    fresh = await measure_moves(session, process, [[slider_state(slider, v)] for v in values[1:]])
    again = await measure_moves(session, process, [[slider_state(slider, v)] for v in values[1:]])
    await session.close()
    return fresh, again


async def home(url: str, process: psutil.Process, moves: int):
    session = await Session.open(url, "", timeout=120)
    await session.run(timeout=120)
    await quiet(process, time.monotonic())
    await measure_moves(session, process, [[]] * 3)  # warm
    reruns = await measure_moves(session, process, [[]] * moves)
    await session.close()
    return reruns


def row(label: str, samples) -> str:
    cpu_per_move, sizes, latencies = samples
    cpu_ms = [1e3 * c for c in cpu_per_move]
    kb = [b / 1e3 for b in sizes]
    ms = [1e3 * s for s in latencies]
    return (f"| {label} | {len(sizes)} | {statistics.median(cpu_ms):.1f} | {max(cpu_ms):.1f} | "
            f"{statistics.median(kb):.1f} | {percentile(kb, 90):.1f} | {statistics.median(ms):.0f} |")


HEADER = ("| what | moves | server CPU per move, median of batches, ms | worst batch ms | bytes to the browser "
          "median kB | p90 kB | latency median ms |\n"
          "|---|---|---|---|---|---|---|")


def measure(root: Path, moves: int, page: str = "both") -> dict:
    """{"move": …, "hit": …, "home": …}: each ``(CPU s per move by batch, bytes per move, latency s per move)``
    for a fresh app process of the checkout at ``root``."""
    out = {}
    with served(1, Path(root)) as (url, pids, _):
        process = psutil.Process(pids[0])
        if page in ("playground", "both"):
            out["move"], out["hit"] = asyncio.run(playground(url, process, moves + 1))
        if page in ("home", "both"):
            out["home"] = asyncio.run(home(url, process, moves))
    return out


LABELS = {"move": "Playground: learning-rate move (new simulation)", "hit": "Playground: the same moves again (cache hits)",
          "home": "Home: a rerun"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moves", type=int, default=30)
    ap.add_argument("--page", choices=("playground", "home", "both"), default="both")
    ap.add_argument("--peer", default=None, help="another checkout (e.g. the main branch before a change), "
                                                  "measured the same way in the same run")
    args = ap.parse_args()
    print(f"before, {load_line()} on {os.cpu_count()} cores")
    results = {"this checkout": measure(ROOT, args.moves, args.page)}
    if args.peer:
        results["peer"] = measure(Path(args.peer), args.moves, args.page)
    rows = [HEADER] + [row(f"{name}: {LABELS[what]}", samples) for name, r in results.items()
                       for what, samples in r.items()]
    print("\n".join(rows))
    mine = results["this checkout"]
    if "move" in mine:
        print(f"\nthis checkout: a computing move costs {statistics.median(mine['move'][0]) / statistics.median(mine['hit'][0]):.2f}× "
              "the CPU of a cache hit (the rerun's fixed cost)")
    for what in ("move", "home"):
        if "peer" in results and what in mine:
            ratio = statistics.median(mine[what][0]) / statistics.median(results["peer"][what][0])
            print(f"{LABELS[what]}: CPU this checkout / peer = {ratio:.2f}")
    print(f"after, {load_line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
