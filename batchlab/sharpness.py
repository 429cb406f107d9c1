"""Sharpness of a minimum: the top eigenvalue of the Hessian H = ∇²L(θ), found without forming H.

A Hessian-vector product costs about two gradients (Pearlmutter's trick, here by double
backward through torch.autograd):

    H v = ∇_θ ( ∇_θ L(θ) · v )

Power iteration repeats v ← Hv / ‖Hv‖; the Rayleigh quotient λ = vᵀHv tends to the eigenvalue
of largest magnitude. At a minimum H is positive semi-definite (up to small negative eigenvalues
where the run has not quite settled), so that eigenvalue is λ_max, the curvature along the
sharpest direction: a flat minimum has a small λ_max, a sharp one a large λ_max.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

MAX_ITERS = 200
TOL = 1e-4  # relative change of λ between iterations at which power iteration stops
ATOL = 1e-10  # …or absolute change: a dead network has λ ≈ 0, where a relative test never passes


def gradient_with_graph(loss_fn: Callable, theta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(θ as a leaf that requires grad, ∇L(θ) with its graph kept for Hessian-vector products)."""
    theta = theta.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(loss_fn(theta), theta, create_graph=True)
    return theta, grad


def hvp(theta: torch.Tensor, grad: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """H v = ∇_θ (∇L(θ) · v), for ``theta``, ``grad`` from gradient_with_graph (reusable for many v)."""
    if not grad.requires_grad:  # the gradient does not depend on θ (L is linear in θ): H = 0
        return torch.zeros_like(grad)
    (hv,) = torch.autograd.grad(grad, theta, grad_outputs=v, retain_graph=True, allow_unused=True)
    return torch.zeros_like(grad) if hv is None else hv


def hessian_vector_product(loss_fn: Callable, theta: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """H v at θ for one v (builds the gradient's graph once)."""
    leaf, grad = gradient_with_graph(loss_fn, theta)
    return hvp(leaf, grad, v.to(grad.dtype))


@dataclass(frozen=True)
class TopEigen:
    value: float  # λ, the Rayleigh quotient vᵀHv at the last iteration
    vector: torch.Tensor  # v, unit length
    iterations: int
    converged: bool  # |λ_k − λ_{k−1}| ≤ tol·|λ_k| + atol was reached within max_iters


def top_eigenvalue(loss_fn: Callable, theta: torch.Tensor, *, max_iters: int = MAX_ITERS, tol: float = TOL,
                   atol: float = ATOL, seed: int = 0) -> TopEigen:
    """The Hessian's eigenvalue of largest magnitude at θ by power iteration on Hessian-vector products.

    Starts from a random unit vector (a private generator seeded with ``seed``)."""
    leaf, grad = gradient_with_graph(loss_fn, theta)
    gen = torch.Generator().manual_seed(seed)
    v = torch.randn(leaf.numel(), generator=gen, dtype=torch.float64).to(grad.dtype)
    v /= torch.linalg.vector_norm(v)
    value, iterations, converged = 0.0, 0, False
    for iterations in range(1, max_iters + 1):
        hv = hvp(leaf, grad, v).detach()
        new_value = float(v @ hv)
        norm = torch.linalg.vector_norm(hv)
        if not torch.isfinite(norm) or float(norm) == 0.0:
            value = new_value
            break
        v = hv / norm
        if iterations > 1 and abs(new_value - value) <= tol * abs(new_value) + atol:
            value, converged = new_value, True
            break
        value = new_value
    return TopEigen(value=value, vector=v, iterations=iterations, converged=converged)
