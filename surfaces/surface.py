"""The Surface type: a 2D error surface L(θ) with its gradient and Hessian.

Each surface is written once as three plain functions of (x, y, p):
``loss(x, y, p, m)``, ``grad(x, y, p) -> (gx, gy)`` and ``hessian(x, y, p) ->
(hxx, hxy, hyy)``, where ``p`` is a float64 parameter vector. They use only
arithmetic and NumPy ufuncs, so the same source serves three callers:
NumPy on arrays of any shape (here), numba inside the trajectory kernel
(``surfaces.compiled``), and, for ``loss`` with ``m=torch``, torch autograd in
the tests.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

Bounds = tuple[tuple[float, float], tuple[float, float]]


def _xy(P):
    P = np.asarray(P, dtype=np.float64)
    if P.shape[-1:] != (2,):
        raise ValueError(f"points: shape {P.shape} is not (..., 2)")
    return P[..., 0], P[..., 1]


@dataclass(frozen=True, eq=False)
class Surface:
    name: str
    title: str
    description: str
    latex: str
    bounds: Bounds
    start: np.ndarray
    params: np.ndarray
    kernel_id: int
    loss_fn: Callable = field(repr=False)
    grad_fn: Callable = field(repr=False)
    hessian_fn: Callable = field(repr=False)
    seeds: np.ndarray = field(repr=False, default=None)
    settings: tuple = ()  # ((name, value), ...): the factory arguments

    def loss(self, P) -> np.ndarray:
        """L(θ) for θ of shape (..., 2); returns shape (...)."""
        x, y = _xy(P)
        return np.broadcast_to(self.loss_fn(x, y, self.params, np), x.shape) + 0.0

    def grad(self, P) -> np.ndarray:
        """∇L(θ) for θ of shape (..., 2); returns shape (..., 2)."""
        x, y = _xy(P)
        gx, gy = self.grad_fn(x, y, self.params)
        return np.stack(np.broadcast_arrays(gx, gy, x)[:2], axis=-1)

    def hessian(self, P) -> np.ndarray:
        """∇²L(θ) for θ of shape (..., 2); returns shape (..., 2, 2)."""
        x, y = _xy(P)
        hxx, hxy, hyy = np.broadcast_arrays(*self.hessian_fn(x, y, self.params), x)[:3]
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)

    @property
    def span(self) -> float:
        """The larger side of the view window."""
        (x0, x1), (y0, y1) = self.bounds
        return max(x1 - x0, y1 - y0)

    @property
    def box(self) -> float:
        """Half-width of the box beyond which a run counts as diverged.

        1e6 window sizes: far enough that nothing a student would call
        converging leaves it, near enough that every surface's loss and
        gradient are still finite float64 numbers inside it."""
        (x0, x1), (y0, y1) = self.bounds
        return 1e6 * max(abs(x0), abs(x1), abs(y0), abs(y1), self.span)

    @property
    def critical_points(self) -> dict:
        """{'minima': (M, 2), 'saddles': (S, 2), 'maxima': (X, 2)} inside the window."""
        from .critical import find_critical_points

        return find_critical_points(self)

    @property
    def minima(self) -> np.ndarray:
        return self.critical_points["minima"]

    @property
    def saddles(self) -> np.ndarray:
        return self.critical_points["saddles"]

    @property
    def maxima(self) -> np.ndarray:
        return self.critical_points["maxima"]

    def __hash__(self):
        return hash((self.name, self.settings))

    def __eq__(self, other):
        return isinstance(other, Surface) and (self.name, self.settings) == (other.name, other.settings)
