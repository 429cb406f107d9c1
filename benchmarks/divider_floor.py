"""The floor under the Adam sweep: the square roots and divisions it must do, and nothing else.

Adam on the bowl does, per trajectory-step, 3 square roots and 7 divisions in float64
(the bowl's gradient: v/s and one division by a root; Adam's σ per coordinate: √v / √(1 − β₂ⁿ);
the update per coordinate: (−η_u·m)/σ; and η/(1 − β₁ⁿ)). They share one unit of the CPU, and
torch's rounding forbids replacing them by multiplications. ``floor_work`` is a loop that
does exactly these operations on independent lanes (vectorized, one chain per lane), split over
threads as the engine splits a sweep: a kernel doing Adam on the bowl with torch's rounding cannot
beat it on this machine. The count is by hand, from the bowl's gradient (``surfaces.lecture``) and
Adam's rules (``optimizers.scaling``, ``optimizers.momentum``).
"""
from __future__ import annotations

import math
import numba
import numpy as np

from optimizers.engine import run_chunks

ROOTS, DIVISIONS = 3, 7  # per trajectory-step of Adam on the bowl


@numba.njit(nogil=True, error_model="numpy")
def _divide_and_root(a, b, c, steps):
    """Per lane and step: 3 square roots and 7 divisions, chained across steps (as a run's are)."""
    for _ in range(steps):
        for j in range(a.shape[0]):
            x, y, z = a[j], b[j], c[j]
            p = math.sqrt(x + 2.0) / (y + 3.0)
            q = math.sqrt(y + 2.0) / (z + 3.0)
            r = math.sqrt(z + 2.0) / (x + 5.0)
            s = (p + 1.0) / (q + 2.0) + (q + 1.0) / (r + 2.0) + (r + 3.0) / (p + 4.0) + 1.0 / (x + 7.0)
            a[j], b[j], c[j] = 0.25 * s, 0.5 * p, 0.5 * q + 0.1 * r


def floor_work(runs: int, steps: int, threads: int):
    """A function doing ``runs`` lanes × ``steps`` steps of those operations on ``threads`` threads (split by
    the engine's own ``run_chunks``), compiled before it is returned."""
    a, b, c = np.ones((3, runs))
    _divide_and_root(a, b, c, 1)  # compile (once per process; not cached: a benchmark's own code)

    def work():
        run_chunks(lambda lo, hi: _divide_and_root(a[lo:hi], b[lo:hi], c[lo:hi], steps), runs, steps, None, threads)
    return work
