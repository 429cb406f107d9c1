"""The floor under the GD sweep: the same lanes with the bowl's gradient compiled into their loop.

The engine calls a surface through its address, once per step for a whole block of lanes, so that one
kernel per rule pair serves every surface (a new surface compiles no kernel). ``gd_lanes`` is what a
kernel made for one surface could do instead: per step one loop over the lanes, the bowl's gradient
(``surfaces.lecture``, compiled as the engine compiles it) inlined, θ ← fma(−η, g, θ) as torch's CPU
kernel fuses ``p.add_(g, alpha=−η)`` (``optimizers.scaling``), θ kept in arrays as the engine keeps it;
no divergence check, no recording (a rate that leaves the box, which the engine would freeze, goes on
here to non-finite values). The lanes are split over threads by the engine's own ``run_chunks``, so the row
after the GD sweep in ``benchmarks/engine.py`` shows what calling the surface through its address, and
checking each new point, costs on this machine.
"""
from __future__ import annotations

import numba
import numpy as np

from optimizers.engine import run_chunks
from optimizers.floatops import fma
from surfaces.compiled import COMPILED, kernel_id
from surfaces.lecture import bowl_grad

_grad = COMPILED[kernel_id(bowl_grad)]


@numba.njit(nogil=True, error_model="numpy")
def gd_lanes(x, y, lr, p, steps):
    """``steps`` steps of GD on the bowl for every lane j: θ_j ← θ_j − η_j ∇L(θ_j) (one rounding), in place."""
    for _ in range(steps):
        for j in range(x.shape[0]):
            gx, gy = _grad(x[j], y[j], p)
            x[j] = fma(-lr[j], gx, x[j])
            y[j] = fma(-lr[j], gy, y[j])


def inlined_work(surface, lrs: np.ndarray, steps: int, threads: int):
    """A function running ``gd_lanes`` for ``steps`` steps from the bowl ``surface``'s start, one lane per
    rate of ``lrs``, split over ``threads`` threads, compiled before it is returned; it returns the end
    points, shape (len(lrs), 2)."""
    p = np.asarray(surface.params, dtype=np.float64)
    gd_lanes(np.zeros(1), np.zeros(1), np.zeros(1), p, 1)  # compile (a benchmark's own code: not cached)

    def work():
        x, y = np.full(len(lrs), surface.start[0]), np.full(len(lrs), surface.start[1])
        run_chunks(lambda lo, hi: gd_lanes(x[lo:hi], y[lo:hi], lrs[lo:hi], p, steps), len(lrs), steps, None, threads)
        return np.stack([x, y], -1)
    return work
