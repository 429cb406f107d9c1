"""classify(): the lecture's critical-point test at a point of a surface."""
from __future__ import annotations

import numpy as np

import surfaces as surface_registry

GRAD_TOL = 1e-6  # |∇L| above this: "not_critical" (still moving)
EIG_TOL = 1e-8  # |λ| below EIG_TOL · max(1, max|λ|) counts as zero


def classify(surface, point, grad_tol: float = GRAD_TOL) -> dict:
    """Gradient norm, Hessian eigenvalues/vectors and the kind of critical point.

    kind: "not_critical" when |∇L| > grad_tol; otherwise, by the Hessian's
    eigenvalues λ₁ ≤ λ₂ (a zero is |λ| ≤ 1e-8·max(1, max|λ|)): "minimum" (all
    positive), "maximum" (all negative), "saddle" (one of each) or "degenerate"
    (a zero eigenvalue: the second-order test cannot tell). For a saddle,
    ``escape_direction`` is the eigenvector of the negative eigenvalue: the
    lecture's u with uᵀHu < 0, along which L decreases."""
    surf = surface_registry.get(surface) if isinstance(surface, str) else surface
    p = np.asarray(point, dtype=np.float64).reshape(2)
    g = surf.grad(p)
    eigenvalues, eigenvectors = np.linalg.eigh(surf.hessian(p))
    grad_norm = float(np.linalg.norm(g))
    zero = EIG_TOL * max(1.0, float(np.abs(eigenvalues).max()))
    if not np.isfinite(grad_norm) or grad_norm > grad_tol:
        kind = "not_critical"
    elif eigenvalues[0] > zero:
        kind = "minimum"
    elif eigenvalues[1] < -zero:
        kind = "maximum"
    elif eigenvalues[0] < -zero and eigenvalues[1] > zero:
        kind = "saddle"
    else:
        kind = "degenerate"
    result = {"grad_norm": grad_norm, "eigenvalues": eigenvalues, "eigenvectors": eigenvectors, "kind": kind,
              "loss": float(surf.loss(p)), "grad_tol": grad_tol}
    if kind in ("saddle", "maximum"):
        result["escape_direction"] = eigenvectors[:, 0]
    return result
