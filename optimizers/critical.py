"""classify(): the lecture's critical-point test at a point of a surface."""
from __future__ import annotations

import numpy as np

import surfaces as surface_registry
from surfaces.critical import hessian_kinds

GRAD_TOL = 1e-6  # |∇L| above this: "not_critical" (still moving)


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
    critical = np.isfinite(grad_norm) and grad_norm <= grad_tol
    kind = str(hessian_kinds(eigenvalues)) if critical else "not_critical"
    result = {"grad_norm": grad_norm, "eigenvalues": eigenvalues, "eigenvectors": eigenvectors, "kind": kind,
              "loss": float(surf.loss(p)), "grad_tol": grad_tol}
    if kind in ("saddle", "maximum"):
        result["escape_direction"] = eigenvectors[:, 0]
    return result
