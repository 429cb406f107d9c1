"""The floor under one run: Adam on the bowl as one chain of dependent float64 operations, in registers.

A single run has no lanes to fill: each step needs the last one's θ, so its time is the latency of the
chain g → m, v → σ → θ → g (two square roots and three divisions on it: the bowl's gradient and Adam's
σ and update). ``adam_chain`` is that chain and nothing else: the bowl's gradient (``surfaces.lecture``)
inlined, torch's per-step η/(1 − β₁ᵗ) and √(1 − β₂ᵗ) taken from tables as the engine takes them, no
arrays touched per step, no recording and no checks. The engine runs the same update with the surface
called through its address and its state in arrays (one kernel per rule pair serves every surface);
this loop shows how much of a single run's time that costs on this machine.
"""
from __future__ import annotations

import math

import numba
import numpy as np

from surfaces.lecture import bowl_grad

_grad = numba.njit(inline="always")(bowl_grad)


@numba.njit(error_model="numpy")
def adam_chain(x, y, p, step_size, bias2_root, beta1=0.9, beta2=0.999, eps=1e-8):
    """θ after len(step_size) steps of Adam from (x, y) on the bowl with parameters p, torch's form:
    m ← m + (1 − β₁)(g − m); v ← β₂v + (1 − β₂)g²;
    θ ← θ − step_size_t · m / (√v / bias2_root_t + ε)."""
    mx = my = vx = vy = 0.0
    gx, gy = _grad(x, y, p)
    for t in range(step_size.shape[0]):
        mx = mx + (1.0 - beta1) * (gx - mx)  # torch's lerp_(g, 1 − β₁)
        my = my + (1.0 - beta1) * (gy - my)
        vx = beta2 * vx + (1.0 - beta2) * gx * gx
        vy = beta2 * vy + (1.0 - beta2) * gy * gy
        x = x + (-step_size[t]) * mx / (math.sqrt(vx) / bias2_root[t] + eps)
        y = y + (-step_size[t]) * my / (math.sqrt(vy) / bias2_root[t] + eps)
        gx, gy = _grad(x, y, p)
    return x, y


def chain_work(surface, steps: int, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999):
    """A function running ``adam_chain`` for ``steps`` steps from the bowl ``surface``'s start, compiled
    before it is returned; it returns the end point."""
    t = np.arange(1, steps + 1, dtype=np.float64)
    step_size, bias2_root = lr / (1.0 - beta1 ** t), np.sqrt(1.0 - beta2 ** t)
    p = np.asarray(surface.params, dtype=np.float64)
    (x0, y0) = surface.start
    adam_chain(x0, y0, p, step_size[:2], bias2_root[:2])  # compile (a benchmark's own code: not cached)
    return lambda: adam_chain(x0, y0, p, step_size, bias2_root, beta1, beta2)
