"""Critical points of a surface: Newton's method on ∇L = 0 from seed points.

A surface's minima, saddles and maxima are found once (and cached) by
refining seed points (its own list of known approximate locations, or a grid
over the window) with Newton steps θ ← θ − H⁻¹∇L, keeping the points where
|∇L| < 1e-9 inside the window, and sorting them by the Hessian's
eigenvalues. Known values from the literature are checked in the tests.
"""
from __future__ import annotations

import numpy as np

from .once import computed_once

GRAD_TOL = 1e-9
EIG_TOL = 1e-8  # |λ| ≤ EIG_TOL · max(1, max|λ|) counts as a zero eigenvalue


def _grid_seeds(bounds, n=41):
    (x0, x1), (y0, y1) = bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return np.stack([X.ravel(), Y.ravel()], -1)


def newton(surface, points, iterations=60):
    """Refine points toward ∇L = 0; points where H is singular stay put."""
    P = np.array(points, dtype=np.float64)
    with np.errstate(all="ignore"):  # a typed formula may be infinite or undefined in parts of the window
        return _newton_steps(surface, P, iterations)


def _newton_steps(surface, P, iterations):
    for _ in range(iterations):
        g = surface.grad(P)
        H = surface.hessian(P)
        det = H[:, 0, 0] * H[:, 1, 1] - H[:, 0, 1] * H[:, 1, 0]
        ok = np.abs(det) > 1e-300
        safe = np.where(ok, det, 1.0)
        dx = (H[:, 1, 1] * g[:, 0] - H[:, 0, 1] * g[:, 1]) / safe
        dy = (H[:, 0, 0] * g[:, 1] - H[:, 1, 0] * g[:, 0]) / safe
        step = np.where(ok[:, None], np.stack([dx, dy], -1), 0.0)
        P = P - step
        P = np.where(np.isfinite(P), P, np.nan)
    return P


def _dedupe(P, tol):
    kept = []
    for p in P:
        if all(np.max(np.abs(p - q)) > tol for q in kept):
            kept.append(p)
    return np.array(kept, dtype=np.float64).reshape(-1, 2)


def hessian_kinds(eigenvalues) -> np.ndarray:
    """The second-order test for eigenvalues λ₁ ≤ λ₂ of shape (..., 2): "minimum" (both positive),
    "maximum" (both negative), "saddle" (one of each) or "degenerate" (a zero: the test cannot tell)."""
    eig = np.asarray(eigenvalues, dtype=np.float64)
    zero = EIG_TOL * np.maximum(1.0, np.abs(eig).max(axis=-1))
    lo, hi = eig[..., 0], eig[..., 1]
    return np.where(lo > zero, "minimum", np.where(hi < -zero, "maximum",
                    np.where((lo < -zero) & (hi > zero), "saddle", "degenerate")))


@computed_once(maxsize=64)
def find_critical_points(surface) -> dict:
    seeds = surface.seeds if surface.seeds is not None else _grid_seeds(surface.bounds)
    P = newton(surface, seeds)
    (x0, x1), (y0, y1) = surface.bounds
    inside = (P[:, 0] >= x0) & (P[:, 0] <= x1) & (P[:, 1] >= y0) & (P[:, 1] <= y1)
    P = P[inside & np.all(np.isfinite(P), -1)]
    P = P[np.linalg.norm(surface.grad(P), axis=-1) < GRAD_TOL]
    P = P[np.isfinite(surface.hessian(P)).all(axis=(-2, -1))]  # the second-order test needs a finite Hessian
    P = _dedupe(P, 1e-6 * surface.span)
    kinds = hessian_kinds(np.linalg.eigvalsh(surface.hessian(P)) if len(P) else np.zeros((0, 2)))
    found = {"minima": P[kinds == "minimum"], "saddles": P[kinds == "saddle"], "maxima": P[kinds == "maximum"]}
    order = np.argsort(surface.loss(found["minima"]), kind="stable")
    found["minima"] = found["minima"][order]  # the lowest first
    for arr in found.values():
        arr.setflags(write=False)
    return found
