"""How a typed formula reaches engine speed: the options measured side by side.

    python -m benchmarks.formula_options
    python -m benchmarks.formula_options --smoke    # one repeat: checks that it runs (the tests do)

One trajectory of 100,000 GD steps in a minimal numba loop (the engine's inner loop without the
rules), on Himmelblau, Rosenbrock and the bowl, with the gradient from:

- **built-in**: the surface's own numba-compiled gradient (``surfaces.compiled``), the peer;
- **machine code**: the formula compiled by LLVM, called through its address (what the engine does);
- **tape interpreter**: the same formula's graph as an instruction array that a numba loop
  interprets at every step (the other design considered: no compiler at run time, but a branch and
  two memory loads per operation).

Prints medians and the ratio to the built-in gradient, and the load average.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numba
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import load_line, spelled_surfaces  # noqa: E402
from benchmarks.engine import median_time  # noqa: E402
from surfaces.compiled import FORMULA_ID, grad_at  # noqa: E402

STEPS = 100_000
OPS = ("const", "x", "y", "add", "mul", "div", "neg", "powi", "sqrt", "exp", "log", "sin", "cos")


@numba.njit(error_model="numpy", nogil=True)
def gd_compiled(sid, p, x, y, lr, steps):
    for _ in range(steps):
        gx, gy = grad_at(numba.literally(sid), x, y, p)  # the surface id is a compile-time constant
        x -= lr * gx
        y -= lr * gy
    return x, y


@numba.njit(error_model="numpy", nogil=True)
def gd_tape(tape, outputs, x, y, lr, steps):
    """tape rows (op, a, b, value); register i holds row i's result."""
    r = np.empty(tape.shape[0])
    for _ in range(steps):
        for i in range(tape.shape[0]):
            op = int(tape[i, 0])
            a = int(tape[i, 1])
            b = int(tape[i, 2])
            if op == 0:
                r[i] = tape[i, 3]
            elif op == 1:
                r[i] = x
            elif op == 2:
                r[i] = y
            elif op == 3:
                r[i] = r[a] + r[b]
            elif op == 4:
                r[i] = r[a] * r[b]
            elif op == 5:
                r[i] = r[a] / r[b]
            elif op == 6:
                r[i] = -r[a]
            elif op == 7:
                v = r[a]
                out = v
                for _k in range(int(tape[i, 3]) - 1):
                    out *= v
                r[i] = out
            elif op == 8:
                r[i] = math.sqrt(r[a])
            elif op == 9:
                r[i] = math.exp(r[a])
            elif op == 10:
                r[i] = math.log(r[a])
            elif op == 11:
                r[i] = math.sin(r[a])
            else:
                r[i] = math.cos(r[a])
        if not abs(r[outputs[0]]) < np.inf:
            break
        x -= lr * r[outputs[1]]
        y -= lr * r[outputs[2]]
    return x, y


def tape_of(surface) -> tuple[np.ndarray, np.ndarray]:
    graph, outputs = surface.formula.graph, surface.formula.outputs[:3]
    plan = graph.plan(outputs)
    slot = {index: row for row, (index, *_) in enumerate(plan)}
    tape = np.zeros((len(plan), 4))
    for row, (index, kind, args, value, _) in enumerate(plan):
        tape[row] = (OPS.index(kind), slot[args[0]] if args else 0, slot[args[1]] if len(args) > 1 else 0,
                     value if value is not None else 0.0)
    return tape, np.array([slot[i] for i in outputs])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="one repeat (checks that the script runs)")
    reps = 1 if ap.parse_args().smoke else 15
    print(load_line())
    print(f"one run of {STEPS:,} GD steps (lr 1e-4), median of {reps}:")
    print(f"{'surface':12s} {'built-in ms':>12s} {'machine code ms':>16s} {'ratio':>6s} {'tape ms':>8s} {'ratio':>6s}")
    for name, built, typed in spelled_surfaces():
        tape, outputs = tape_of(typed)
        x, y = (float(v) for v in built.start)
        ends = [gd_compiled(built.kernel_id, built.params, x, y, 1e-4, STEPS),
                gd_compiled(FORMULA_ID, typed.params, x, y, 1e-4, STEPS), gd_tape(tape, outputs, x, y, 1e-4, STEPS)]
        assert np.allclose(ends[0], ends[1], rtol=1e-9) and np.allclose(ends[0], ends[2], rtol=1e-9), ends
        times = [median_time(lambda: gd_compiled(built.kernel_id, built.params, x, y, 1e-4, STEPS), reps)[0],
                 median_time(lambda: gd_compiled(FORMULA_ID, typed.params, x, y, 1e-4, STEPS), reps)[0],
                 median_time(lambda: gd_tape(tape, outputs, x, y, 1e-4, STEPS), reps)[0]]
        print(f"{name:12s} {times[0] * 1e3:12.2f} {times[1] * 1e3:16.2f} {times[1] / times[0]:6.2f} "
              f"{times[2] * 1e3:8.2f} {times[2] / times[0]:6.2f}")
    print(load_line(windows=False))


if __name__ == "__main__":
    main()
