"""What a run did, read from its trajectory: converged, oscillating, still moving or diverged.

The labels, for a run of T steps recorded with ``tail`` ≥ 2 (its last steps consecutive):

- ``diverged``: the engine stopped it (``diverged_at`` ≥ 0: it left the box or its gradient
  stopped being finite).
- ``converged``: its end point θ_T sits at a critical point: the Newton step
  ‖H(θ_T)⁻¹ ∇L(θ_T)‖, the distance to the critical point the local quadratic predicts, is at most
  ``newton_tol`` × the window's size (where H is singular: ‖∇L(θ_T)‖ ≤ ``grad_tol``). Scale-free,
  so a crawl along the bowl's flat floor (tiny gradient, far from the minimum) does not count.
- ``oscillating``: not converged, and in the last ``tail`` moves d_i = θ_{i+1} − θ_i at least half
  of the consecutive pairs reverse direction (d_i · d_{i+1} < 0): bouncing between the walls
  without settling.
- ``still_moving``: none of these: it keeps going the same way, too slowly to arrive in T steps.
"""
from __future__ import annotations

import numpy as np

OUTCOMES = ("converged", "oscillating", "still_moving", "diverged")
NEWTON_TOL = 1e-3
GRAD_TOL = 1e-6
TAIL = 8


def newton_distance(surface, points) -> np.ndarray:
    """‖H⁻¹∇L‖ at each point (inf where H is singular)."""
    P = np.asarray(points, dtype=np.float64)
    g, H = surface.grad(P), surface.hessian(P)
    det = H[..., 0, 0] * H[..., 1, 1] - H[..., 0, 1] * H[..., 1, 0]
    scale = np.maximum(np.abs(H).max(axis=(-1, -2)) ** 2, 1e-300)
    singular = np.abs(det) <= 1e-12 * scale
    safe = np.where(singular, 1.0, det)
    dx = (H[..., 1, 1] * g[..., 0] - H[..., 0, 1] * g[..., 1]) / safe
    dy = (H[..., 0, 0] * g[..., 1] - H[..., 1, 0] * g[..., 0]) / safe
    return np.where(singular, np.inf, np.hypot(dx, dy))


def reversal_share(tail_points) -> np.ndarray:
    """Share of consecutive move pairs that reverse direction, for points of shape (K, n, 2);
    0 when there are fewer than two moves to compare."""
    d = np.diff(tail_points, axis=1)
    if d.shape[1] < 2:
        return np.zeros(len(tail_points))
    dots = np.einsum("kij,kij->ki", d[:, :-1], d[:, 1:])
    moving = (np.abs(d[:, :-1]).sum(-1) > 0) & (np.abs(d[:, 1:]).sum(-1) > 0)
    return np.where(moving, dots < 0, False).mean(axis=1)


def label(surface, traj, *, tail: int = TAIL, newton_tol: float = NEWTON_TOL, grad_tol: float = GRAD_TOL):
    """One of OUTCOMES per run, as an array of shape (K,).

    A run of one step has no two moves to compare: it is converged, diverged or still moving."""
    gaps = np.diff(traj.steps) if traj.path is not None else np.zeros(0)
    jumps = np.flatnonzero(gaps != 1)
    consecutive = len(gaps) - (jumps[-1] + 1 if len(jumps) else 0)  # moves at the end, one step apart
    if traj.path is None or consecutive < min(2, int(traj.steps[-1])):
        raise ValueError("outcomes: the trajectory needs its path with the last steps recorded "
                         "(simulate(..., record=('path',), tail=8))")
    n = min(tail, consecutive) + 1
    end = traj.final
    newton = newton_distance(surface, end)
    grad = np.linalg.norm(surface.grad(end), axis=-1)
    converged = np.where(np.isfinite(newton), newton <= newton_tol * surface.span, grad <= grad_tol)
    bouncing = reversal_share(traj.path[:, -n:]) >= 0.5
    out = np.where(converged, "converged", np.where(bouncing, "oscillating", "still_moving"))
    return np.where(traj.diverged_at >= 0, "diverged", out).astype(object)


def nearest_minimum(surface, points) -> tuple[np.ndarray, np.ndarray]:
    """(index into surface.minima, distance) of the nearest known minimum of each point; (−1, inf) on a
    surface without a known minimum in its window (a typed formula may have none)."""
    P = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if not len(surface.minima):
        return np.full(len(P), -1), np.full(len(P), np.inf)
    d = np.linalg.norm(P[:, None, :] - surface.minima[None], axis=-1)
    return d.argmin(axis=1), d.min(axis=1)


def settled_at(traj, tol: float, chunk: int = 4096) -> np.ndarray:
    """The first recorded step from which each run stays within ``tol`` of its end point (K,).

    Computed over blocks of runs, so that the temporaries stay small for a grid of 40,000 starts."""
    out = np.empty(len(traj.final), dtype=traj.steps.dtype)
    for lo in range(0, len(out), chunk):
        d = np.linalg.norm(traj.path[lo:lo + chunk] - traj.final[lo:lo + chunk, None, :], axis=-1)
        outside = d > tol
        # the last recorded index still outside, +1; 0 when never outside
        last_out = np.where(outside.any(axis=1), outside.shape[1] - 1 - np.argmax(outside[:, ::-1], axis=1), -1)
        out[lo:lo + chunk] = traj.steps[np.minimum(last_out + 1, len(traj.steps) - 1)]
    return out
