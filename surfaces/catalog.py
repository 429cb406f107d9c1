"""The named surfaces: each factory fixes parameters, window, start and text."""
from __future__ import annotations

import math

import numpy as np

from . import classic, lecture
from .compiled import kernel_id
from .surface import Surface


def _check(surface, field, value, lo, hi):
    if not (np.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"{surface}: {field} = {value!r} is out of range; allowed {lo:g} <= {field} <= {hi:g}")
    return float(value)


def _make(module, name, *, title, description, latex, bounds, start, params, seeds=None, settings=()):
    return Surface(
        name=name, title=title, description=description, latex=latex, bounds=bounds,
        start=np.array(start, dtype=np.float64), params=np.array(params, dtype=np.float64),
        kernel_id=kernel_id(getattr(module, f"{name}_grad")),
        loss_fn=getattr(module, f"{name}_loss"), grad_fn=getattr(module, f"{name}_grad"),
        hessian_fn=getattr(module, f"{name}_hessian"),
        seeds=None if seeds is None else np.array(seeds, dtype=np.float64), settings=tuple(settings),
    )


BOWL_FLOOR = 5_500.0  # b: curvature across the valley at its floor
BOWL_WIDTH = 0.02  # w: half-width of the floor, beyond which the walls straighten
BOWL_FAR = 10.0  # c: curvature of the straightened walls far from the floor
BOWL_WALLS = ("straight", "quadratic")


def bowl(kappa: float = 6.3e7, angle: float = 0.0, walls: str = "straight") -> Surface:
    """The lecture's elongated bowl: condition number ``kappa`` at the floor, rotated by ``angle``
    degrees, with ``walls`` "straight" (the lecture's bounce) or "quadratic" (Adagrad's bursts).

    Across the valley the curvature at the floor is b = 5,500; along it a = b/κ (8.7e-5 at the
    default κ = 6.3e7, which stays below the 1e8 at which surfaces.critical calls the Hessian's
    smaller eigenvalue zero). Straight walls: beyond |v| ≈ w = 0.02 the slope levels off at about
    (b − c)w ≈ 110 and the walls curve only by c = 10. Plain GD then needs η < 2/b to settle on the
    floor; a larger η (up to 2/c) bounces between the walls in a 2-cycle of half-width
    ≈ (b − c)w/(2/η − c) (0.58 at η = 1e-2), the loss stalled and the gradient large, and covers
    1 − e^(−ηa·t) of the way along the valley (8 % in 100,000 steps at η = 1e-2). With η = 1e-7 the
    run slides down the wall at about η(b − c)w a step, reaches the floor (|v| < 0.01) from the
    default start by step 18,544, and then crawls along it: less than a millionth of the way in the
    remaining 80,000 steps. Adagrad, scaling each axis by its own gradient history, arrives. Quadratic walls
    (c = b): L = ½ a u² + ½ b v², on which the lecture's Adagrad (σ the root mean square) bursts up
    the wall, falls back to the floor and bursts again (tests/test_tour_scenes.py)."""
    kappa = _check("bowl", "kappa", kappa, 1.0, 1e12)
    angle = _check("bowl", "angle", angle, -180.0, 180.0)
    if walls not in BOWL_WALLS:
        raise ValueError(f"bowl: walls = {walls!r} is not valid; allowed: {', '.join(BOWL_WALLS)}")
    phi = math.radians(angle)
    far = BOWL_FLOOR if walls == "quadratic" else BOWL_FAR
    return _make(
        lecture, "bowl", title="Elongated bowl",
        description="A long, narrow valley: flat along x, steep along y. No single learning rate fits both axes.",
        latex=r"L = \tfrac12 a\,u^2 + \tfrac12 c\,v^2 + (b - c)\,w^2\left(\sqrt{1+(v/w)^2}-1\right),\ "
              r"\binom{u}{v} = R_\varphi^\top\theta,\ b/a = \kappa",
        bounds=((-2.0, 2.0), (-1.0, 1.0)), start=(-1.8, 0.2),
        params=[BOWL_FLOOR / kappa, BOWL_FLOOR, BOWL_WIDTH, math.cos(phi), math.sin(phi), 0.0, 0.0, far],
        seeds=[(0.0, 0.0)], settings=(("kappa", kappa), ("angle", angle), ("walls", walls)),
    )


def crescent() -> Surface:
    return _make(
        lecture, "crescent", title="Crescent valley",
        description="A curved valley whose slope along x is gentle, then steep, then gentle again: "
                    "Adagrad remembers the steep part for ever; RMSProp forgets it.",
        latex=r"L = \tfrac{s}{2}(y - k x^2)^2 + D\,w\tanh(x/w) + \tfrac{\varepsilon}{2}(x - x_m)^2",
        bounds=((-2.0, 2.0), (-0.5, 2.5)), start=(1.8, 1.8),
        params=[2.0, 0.5, 3.0, 0.3, 0.05, -1.5],
    )


def saddle() -> Surface:
    return _make(
        lecture, "saddle", title="Saddle point",
        description="A saddle between two minima. Gradient descent started on the x-axis converges to the "
                    "saddle and stops; noise or momentum escapes.",
        latex=r"L = \tfrac{a}{2}x^2 + \tfrac{c}{4}(y^2 - 1)^2",
        bounds=((-2.0, 2.0), (-1.6, 1.6)), start=(1.8, 0.0),
        params=[1.0, 1.0],
    )


def bumpy_valley() -> Surface:
    s, c, amp, omega = 4.0, 0.2, 0.15, 2.0 * math.pi / 1.5
    return _make(
        lecture, "bumpy_valley", title="Bumpy valley",
        description="A valley with small hills along its floor. Gradient descent stops in the first dip; "
                    "with momentum the ball rolls over a hill into a lower one.",
        latex=r"L = \tfrac{s}{2}y^2 + \tfrac{c}{2}x^2 + A(1 - \cos\omega x)",
        bounds=((-5.0, 5.0), (-1.5, 1.5)), start=(4.5, 1.0),
        params=[s, c, amp, omega],
        seeds=[(k * 0.375, 0.0) for k in range(-16, 17)],  # the floor's dips and hilltops
    )


def rosenbrock() -> Surface:
    return _make(
        classic, "rosenbrock", title="Rosenbrock",
        description="A curved, flat-bottomed banana valley; the minimum at (1, 1) is easy to find and slow to reach.",
        latex=r"L = (a - x)^2 + b(y - x^2)^2,\ a = 1,\ b = 100",
        bounds=((-2.0, 2.0), (-1.0, 3.0)), start=(-1.2, 1.0), params=[1.0, 100.0],
    )


def beale() -> Surface:
    return _make(
        classic, "beale", title="Beale",
        description="Sharp ridges and flat plateaus; the minimum at (3, 0.5) lies in a narrow curved valley.",
        latex=r"L = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        bounds=((-4.5, 4.5), (-4.5, 4.5)), start=(1.0, 1.5), params=[0.0],
    )


def himmelblau() -> Surface:
    return _make(
        classic, "himmelblau", title="Himmelblau",
        description="Four equal minima, four saddles and a maximum: where a run ends depends on where it starts.",
        latex=r"L = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        bounds=((-5.0, 5.0), (-5.0, 5.0)), start=(0.0, 0.0), params=[0.0],
    )


def rastrigin() -> Surface:
    A = 10.0
    # 1D critical points of x² − A cos 2πx lie near the integers (minima) and half-integers (maxima).
    ticks = np.arange(-10, 11) / 2.0
    X, Y = np.meshgrid(ticks, ticks)
    return _make(
        classic, "rastrigin", title="Rastrigin",
        description="A bowl covered in a regular egg-crate of local minima: a test of getting stuck.",
        latex=r"L = 2A + \sum_i \left(x_i^2 - A\cos 2\pi x_i\right),\ A = 10",
        bounds=((-5.12, 5.12), (-5.12, 5.12)), start=(3.2, 2.3), params=[A],
        seeds=np.stack([X.ravel(), Y.ravel()], -1),
    )


def six_hump_camel() -> Surface:
    return _make(
        classic, "six_hump_camel", title="Six-hump camel",
        description="Six minima, two of them global at about (±0.0898, ∓0.7126), with saddles between.",
        latex=r"L = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (4y^2 - 4)y^2",
        bounds=((-2.2, 2.2), (-1.2, 1.2)), start=(-1.5, 1.0), params=[0.0],
    )


FACTORIES = {
    "bowl": bowl, "crescent": crescent, "saddle": saddle, "bumpy_valley": bumpy_valley,
    "rosenbrock": rosenbrock, "beale": beale, "himmelblau": himmelblau,
    "rastrigin": rastrigin, "six_hump_camel": six_hump_camel,
}
