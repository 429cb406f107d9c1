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
import threading

import numba
import numpy as np

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
    """A function doing ``runs`` lanes × ``steps`` steps of those operations on ``threads`` threads (the
    lanes split as evenly as the engine splits a sweep's runs), compiled before it is returned."""
    lanes = [np.ones((3, n)) for n in np.diff(np.linspace(0, runs, threads + 1).astype(int)) if n]
    for part in lanes:  # compile (once per process; not cached: a benchmark's own code)
        _divide_and_root(part[0], part[1], part[2], 1)

    def work():
        workers = [threading.Thread(target=_divide_and_root, args=(part[0], part[1], part[2], steps))
                   for part in lanes]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    return work
