"""Engine speed: trajectory-steps per second, against torch.optim and a NumPy loop measured in the same run.

    python benchmarks/engine.py            # about a minute on 2 cores
    python benchmarks/engine.py --quick    # fewer repeats
    python benchmarks/engine.py --smoke    # one repeat of tiny runs: checks that it runs (the tests do)

Prints medians over repeats (these machines are shared and noisy) and ratios to
torch.optim (Adam on one 2-element float64 tensor, gradient set by hand: the
fastest way to run torch.optim on a 2D surface).
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
    ap.add_argument("--smoke", action="store_true", help="one repeat of tiny runs (checks that the script runs)")
    args = ap.parse_args()
    size = SMOKE if args.smoke else {**FULL, "repeats": 3} if args.quick else FULL
    reps, steps, n_rates, n = size["repeats"], size["steps"], size["rates"], size["grid"]
    bowl = surfaces.get("bowl")
    optimizers.warm_up()

    rows = []  # (label, trajectory-steps, median seconds, min, max)

    def bench(label, work, fn, repeats=reps):
        med, lo, hi = median_time(fn, repeats)
        rows.append((label, work, med, lo, hi))
        print(f"  {label}: {med * 1e3:,.1f} ms", flush=True)

    print(f"machine: {os.cpu_count()} cores, numpy {np.__version__}")
    print("measuring …")
    few = min(reps, 3)
    bench(f"torch.optim Adam, 1 run × {size['torch_steps']:,} steps", size["torch_steps"],
          lambda: torch_adam(bowl, size["torch_steps"]), repeats=few)
    bench(f"NumPy loop Adam, 1 run × {size['numpy_steps']:,} steps", size["numpy_steps"],
          lambda: numpy_adam(bowl, size["numpy_steps"]), repeats=few)
    bench(f"engine GD, 1 run × {steps:,} steps, path only", steps,
          lambda: optimizers.simulate(bowl, "gd", steps=steps, record=("path",)))
    bench(f"engine Adam, 1 run × {steps:,} steps, full record", steps,
          lambda: optimizers.simulate(bowl, "adam", steps=steps))
    bench(f"engine Adam, 1 run × {steps:,} steps, path only", steps,
          lambda: optimizers.simulate(bowl, "adam", steps=steps, record=("path",)))
    for name in surfaces.names():
        surf = surfaces.get(name)
        bench(f"engine Adam on {name}, 1 run × {steps:,} steps, final only", steps,
              lambda: optimizers.simulate(surf, "adam", steps=steps, record=()))
    lrs = np.logspace(-8, 0, n_rates)
    bench(f"engine GD sweep, {n_rates} rates × {steps:,} steps, path every 100th", n_rates * steps,
          lambda: optimizers.simulate(bowl, optimizers.get("gd", lr=lrs), steps=steps, record=("path",), every=100))
    bench(f"engine Adam sweep, {n_rates} rates × {steps:,} steps, path every 100th", n_rates * steps,
          lambda: optimizers.simulate(bowl, optimizers.get("adam", lr=lrs), steps=steps, record=("path",),
                                      every=100))
    him = surfaces.get("himmelblau")
    xs = np.linspace(-5, 5, n)
    grid = np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)
    bench(f"engine momentum grid, {n}×{n} starts × {size['grid_steps']:,} steps, final only",
          n * n * size["grid_steps"],
          lambda: optimizers.simulate(him, optimizers.get("momentum", lr=1e-3), grid, steps=size["grid_steps"],
                                      record=()),
          repeats=few)

    torch_rate = rows[0][1] / rows[0][2]
    print()
    print(f"| {'run':<66} | {'median':>10} | {'traj-steps/s':>13} | {'× torch.optim':>13} |")
    print(f"|{'-' * 68}|{'-' * 12}|{'-' * 15}|{'-' * 15}|")
    for label, work, med, lo, hi in rows:
        rate = work / med
        print(f"| {label:<66} | {med * 1e3:>7,.1f} ms | {rate:>13,.0f} | {rate / torch_rate:>13,.0f} |")
    print()
    if args.smoke:  # a cold start compiles for seconds: not part of a smoke run
        return
    print(f"start-up, import + first run: warm cache {start_up_seconds(False):.2f} s, "
          f"cold cache (compiling) {start_up_seconds(True):.2f} s")


if __name__ == "__main__":
    main()
