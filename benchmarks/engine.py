"""Engine speed: trajectory-steps per second, against torch.optim and a NumPy loop measured in the same run.

    python benchmarks/engine.py            # about a minute on 2 cores
    python benchmarks/engine.py --quick    # fewer repeats
    python benchmarks/engine.py --blocks   # also the Adam sweep and the momentum grid at several block sizes
    python benchmarks/engine.py --smoke    # one repeat of tiny runs: checks that it runs (the tests do)

Prints the machine's load (``uptime``: these machines are shared, so numbers taken
while others work are pessimistic), medians over repeats, and ratios to
torch.optim (Adam on one 2-element float64 tensor, gradient set by hand: the
fastest way to run torch.optim on a 2D surface). The first rows are the targets
of the lanes kernel: the sweeps and the grid keep final values only, as the
pages' first runs do. The row after the Adam sweep is its floor on this machine
(``benchmarks/divider_floor.py``: its square roots and divisions alone, on as
many threads, at most 2: the engine's split of a 64-run sweep on this 2-core machine). The row after
the GD sweep is the same lanes with the bowl's gradient compiled into their loop
(``benchmarks/inlined_floor.py``: what a kernel per surface could do). The row after
one Adam run is its floor: the same update as one chain in registers with the gradient inlined
(``benchmarks/chain_floor.py``).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.chain_floor import chain_work  # noqa: E402
from benchmarks.divider_floor import DIVISIONS, ROOTS, floor_work  # noqa: E402
from benchmarks.inlined_floor import inlined_work  # noqa: E402
from benchmarks.machine import uptime  # noqa: E402
import optimizers  # noqa: E402
import surfaces  # noqa: E402


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), float(np.min(times)), float(np.max(times))


def torch_adam(surface, steps):
    import torch

    p = torch.tensor(surface.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=1e-3, foreach=False)
    for _ in range(steps):
        p.grad = torch.from_numpy(surface.grad(p.detach().numpy()))
        opt.step()


def numpy_adam(surface, steps, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8):
    """The naive loop: one NumPy call per operation, one trajectory."""
    theta, m, v = surface.start.copy(), np.zeros(2), np.zeros(2)
    for t in range(1, steps + 1):
        g = surface.grad(theta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr / (1 - b1**t) * m / (np.sqrt(v) / np.sqrt(1 - b2**t) + eps)


def start_up_seconds(cold: bool) -> float:
    """Import + first simulate() in a fresh process (cold: an empty numba cache)."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if cold:
            env["DESCENT_LAB_NUMBA_CACHE"] = tmp
        code = "import time; t=time.perf_counter(); import optimizers; optimizers.warm_up(); print(time.perf_counter()-t)"
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


# How much work each row does: the full record, and a smoke run whose numbers mean nothing.
FULL = dict(repeats=7, torch_steps=2_000, numpy_steps=20_000, steps=100_000, rates=64, grid=200, grid_steps=2_000)
SMOKE = dict(repeats=1, torch_steps=20, numpy_steps=200, steps=1_000, rates=4, grid=10, grid_steps=100)



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    ap.add_argument("--blocks", action="store_true", help="the Adam sweep (one thread) and the momentum grid at several block sizes")
    ap.add_argument("--smoke", action="store_true", help="one repeat of tiny runs (checks that the script runs)")
    args = ap.parse_args()
    size = SMOKE if args.smoke else {**FULL, "repeats": 3} if args.quick else FULL
    reps, steps, n_rates, n, grid_steps = (size[k] for k in ("repeats", "steps", "rates", "grid", "grid_steps"))
    bowl = surfaces.get("bowl")
    valley = surfaces.get("bumpy_valley")
    lrs = np.logspace(-8, 0, n_rates)
    xs, ys = np.linspace(*valley.bounds[0], n), np.linspace(*valley.bounds[1], n)
    grid = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2)
    load = uptime()
    for name in ("gd", "adam", "momentum"):  # compile or load every kernel used below before timing
        optimizers.simulate(bowl, name, steps=2, record=())
        optimizers.simulate(valley, name, steps=2, record=())
        optimizers.simulate(bowl, name, steps=2, record=("path",))

    rows = []  # (label, trajectory-steps, median seconds, min, max)

    def bench(label, work, fn, repeats=reps):
        med, lo, hi = median_time(fn, repeats)
        rows.append((label, work, med, lo, hi))
        print(f"  {label}: {med * 1e3:,.1f} ms", flush=True)

    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}")
    print(f"uptime before: {load}")
    print("measuring …")
    few = min(reps, 3)
    bench(f"torch.optim Adam, 1 run × {size['torch_steps']:,} steps", size["torch_steps"],
          lambda: torch_adam(bowl, size["torch_steps"]), repeats=few)
    bench(f"NumPy loop Adam, 1 run × {size['numpy_steps']:,} steps", size["numpy_steps"],
          lambda: numpy_adam(bowl, size["numpy_steps"]), repeats=few)
    bench(f"engine Adam sweep, {n_rates} rates × {steps:,} steps, final only", n_rates * steps,
          lambda: optimizers.simulate(bowl, optimizers.get("adam", lr=lrs), steps=steps, record=()))
    bench(f"floor: only Adam on the bowl's {ROOTS} √ and {DIVISIONS} ÷, {n_rates} × {steps:,}", n_rates * steps,
          floor_work(n_rates, steps, min(os.cpu_count() or 1, 2)))
    print(f"  the Adam sweep takes {rows[-2][2] / rows[-1][2]:.2f}× its floor", flush=True)
    bench(f"engine GD sweep, {n_rates} rates × {steps:,} steps, final only", n_rates * steps,
          lambda: optimizers.simulate(bowl, optimizers.get("gd", lr=lrs), steps=steps, record=()))
    bench(f"floor: the GD sweep with the bowl's gradient inlined in its lanes' loop, {n_rates} × {steps:,}",
          n_rates * steps, inlined_work(bowl, lrs, steps, min(os.cpu_count() or 1, 2)))
    print(f"  the GD sweep takes {rows[-2][2] / rows[-1][2]:.2f}× its inlined floor", flush=True)
    bench(f"engine momentum on the bumpy valley, {n}×{n} starts × {grid_steps:,} steps, final only",
          n * n * grid_steps,
          lambda: optimizers.simulate(valley, optimizers.get("momentum", lr=1e-2), grid, steps=grid_steps, record=()),
          repeats=few)
    bench(f"engine GD, 1 run × {steps:,} steps, final only", steps,
          lambda: optimizers.simulate(bowl, "gd", steps=steps, record=()))
    bench(f"engine Adam, 1 run × {steps:,} steps, final only", steps,
          lambda: optimizers.simulate(bowl, "adam", steps=steps, record=()))
    bench(f"floor: one Adam run on the bowl as a chain in registers, gradient inlined, {steps:,} steps", steps,
          chain_work(bowl, steps))
    print(f"  one Adam run takes {rows[-2][2] / rows[-1][2]:.2f}× its floor", flush=True)
    bench(f"engine Adam, 1 run × {steps:,} steps, path only", steps,
          lambda: optimizers.simulate(bowl, "adam", steps=steps, record=("path",)))
    bench(f"engine Adam, 1 run × {steps:,} steps, full record", steps,
          lambda: optimizers.simulate(bowl, "adam", steps=steps))
    bench(f"engine GD sweep, {n_rates} rates × {steps:,} steps, path every 100th", n_rates * steps,
          lambda: optimizers.simulate(bowl, optimizers.get("gd", lr=lrs), steps=steps, record=("path",), every=100))
    for name in surfaces.names():
        surf = surfaces.get(name)
        bench(f"engine Adam on {name}, {n_rates} rates × {steps // 10:,} steps, final only", n_rates * steps // 10,
              lambda: optimizers.simulate(surf, optimizers.get("adam", lr=lrs), steps=steps // 10, record=()))
    if args.blocks:
        for block in (1, 4, 8, 16, 32, 64):
            bench(f"engine Adam sweep, {n_rates} × {steps:,}, block {block}, one thread", n_rates * steps,
                  lambda: optimizers.simulate(bowl, optimizers.get("adam", lr=lrs), steps=steps, record=(),
                                              block=block, threads=1))
        for block in (32, 64, 128, 256, 512):
            bench(f"engine momentum on the bumpy valley, {n}×{n} × {grid_steps:,}, block {block}", n * n * grid_steps,
                  lambda: optimizers.simulate(valley, optimizers.get("momentum", lr=1e-2), grid, steps=grid_steps,
                                              record=(), block=block), repeats=few)

    torch_rate = rows[0][1] / rows[0][2]
    print()
    print(f"| {'run':<80} | {'median':>10} | {'traj-steps/s':>13} | {'× torch.optim':>13} |")
    print(f"|{'-' * 82}|{'-' * 12}|{'-' * 15}|{'-' * 15}|")
    for label, work, med, lo, hi in rows:
        rate = work / med
        print(f"| {label:<80} | {med * 1e3:>7,.1f} ms | {rate:>13,.0f} | {rate / torch_rate:>13,.0f} |")
    print()
    print(f"uptime after: {uptime()}")
    if args.smoke:  # a cold start compiles for seconds: not part of a smoke run
        return
    print(f"start-up, import + first run: warm cache {start_up_seconds(False):.2f} s, "
          f"cold cache (compiling) {start_up_seconds(True):.2f} s")


if __name__ == "__main__":
    main()
