"""Formula surfaces: engine speed against the built-in surface with the same formula, preparation, refusals.

    python -m benchmarks.formula            # about a minute on 2 cores
    python -m benchmarks.formula --quick    # fewer repeats
    python -m benchmarks.formula --smoke    # one repeat: checks that it runs (the tests do)

Prints medians over repeats (these machines are shared: the load average is printed too):

- one run of 100,000 steps (GD and Adam) on each built-in surface that a formula spells out, the
  same run on the formula surface, and the ratio (target: at most 3);
- a formula never seen before until it is ready to run (parsed, derived, compiled, window checked,
  critical points found, a first 10,000-step run done), in this process and in a fresh one (which
  also imports sympy); and the same formula again (cached);
- how long each hostile input of the security tests takes to be refused (target: 50 ms).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import optimizers  # noqa: E402
import surfaces  # noqa: E402
from benchmarks.machine import load_line, spelled_surfaces  # noqa: E402
from benchmarks.engine import median_time  # noqa: E402
from surfaces.formula import FormulaError, from_formula  # noqa: E402
from tests.test_formula_security import HOSTILE, MARKER  # noqa: E402

STEPS = 100_000


def median_seconds(fn, repeats: int) -> float:
    return median_time(fn, repeats)[0]


def ready(text: str) -> float:
    """Seconds until a formula runs: prepared, window checked, critical points, a first run."""
    t0 = time.perf_counter()
    surface = surfaces.get(surfaces.FORMULA, text=text)  # as the pages ask for it (kept, with its critical points)
    surface.critical_points
    optimizers.simulate(surface, "adam", steps=10_000)
    return time.perf_counter() - t0


def fresh_process_ready(text: str) -> float:
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); import optimizers; optimizers.warm_up(); "
            f"from benchmarks.formula import ready; print(ready({text!r}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="one repeat (checks that the script runs)")
    args = ap.parse_args()
    reps = 1 if args.smoke else 5 if args.quick else 15
    optimizers.warm_up()
    print(load_line())

    print(f"\none run of {STEPS:,} steps, median of {reps}:")
    print(f"{'surface':12s} {'optimizer':9s} {'built-in ms':>12s} {'formula ms':>11s} {'ratio':>6s}")
    for name, built, typed in spelled_surfaces():
        for opt in ("gd", "adam"):
            optimizer = optimizers.get(opt, lr=1e-3)
            times = [median_seconds(lambda s=s: optimizers.simulate(s, optimizer, steps=STEPS, record=("path",)),
                                    reps) for s in (built, typed)]
            print(f"{name:12s} {opt:9s} {times[0] * 1e3:12.2f} {times[1] * 1e3:11.2f} {times[1] / times[0]:6.2f}")

    print("\na new formula until ready to run (prepared, window, critical points, a 10,000-step run):")
    fresh = [f"(x^2 + y - {k})^2 + (x + y^2 - 7)^2 + sin({k}*x)" for k in range(3, 3 + reps)]
    print(f"  this process (sympy loaded): median {np.median([ready(t) for t in fresh]) * 1e3:.0f} ms")
    print(f"  the same formula again (cached): median {median_seconds(lambda: ready(fresh[0]), reps) * 1e3:.0f} ms")
    cold = [fresh_process_ready(f"sin(x*y) + (x - {k})^2/10 + y^2")
            for k in range(1 if args.smoke else 3 if args.quick else 5)]
    print(f"  a fresh process (imports sympy too): median {np.median(cold) * 1e3:.0f} ms, max {max(cold) * 1e3:.0f} ms")

    print(f"\n{len(HOSTILE)} hostile inputs refused:")
    worst = []
    for text in HOSTILE:
        text = text.replace(MARKER, "/nonexistent/marker")
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            try:
                from_formula(text)
            except FormulaError:
                pass
            else:
                raise SystemExit(f"not refused: {text[:40]!r}")
            times.append(time.perf_counter() - t0)
        worst.append((float(np.median(times)), text))
    worst.sort(reverse=True)
    print(f"  median over inputs {np.median([w for w, _ in worst]) * 1e3:.3f} ms; slowest "
          + ", ".join(f"{w * 1e3:.2f} ms ({t[:20]!r}…)" for w, t in worst[:3]))
    print(load_line(windows=False))


if __name__ == "__main__":
    main()
