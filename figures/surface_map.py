"""A surface's heights for the maps: the loss on a grid, its log-spaced colouring, the critical points' markers.

Pure functions (NumPy in, Plotly out, no Streamlit), so pages can cache them
and tests can check them without a browser.

Error surfaces span many orders of magnitude in one window (Beale climbs
from 0 to about 1e5, Rosenbrock's valley floor is nearly flat next to walls
of 2.5e3), so a linear colour scale shows one of the two and hides the other.
The maps colour

    z = log10(L − L_min + ε),    ε = 10^(−DECADES) · (L_max − L_min)

which spends the same number of colour bands on each decade of height above
the lowest point: flat floors and steep walls both show, and ε keeps the
minimum finite while limiting the range to ``DECADES`` decades below the top.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

DECADES = 6.0  # colour range below the highest point, in decades of L − L_min
COLORSCALE = "Viridis"  # dark floor, bright walls: readable on light and dark pages
LEVELS = 16  # colour bands from the floor to the highest wall
FLOOR_QUANTILE = 0.01  # share of the grid drawn in the lowest band
MARKER_CROWD = 24  # more critical points of one kind than this are drawn small and faint

_OUTLINE = dict(color="black", width=1)


def loss_grid(surface, n: int = 120):
    """``(xs, ys, Z)``: the loss on an n×n grid over ``surface.bounds``.

    ``xs`` and ``ys`` have shape (n,); ``Z[i, j] = L(xs[j], ys[i])`` (rows
    follow y, as Plotly's contour expects). Values are returned as computed,
    so they may contain inf or NaN where a surface overflows; see
    ``log_height`` for figure-safe values.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"loss_grid: n = {n!r} must be an integer >= 2")
    (x0, x1), (y0, y1) = surface.bounds
    xs = np.linspace(x0, x1, int(n))
    ys = np.linspace(y0, y1, int(n))
    X, Y = np.meshgrid(xs, ys)
    Z = np.asarray(surface.loss(np.stack([X, Y], axis=-1)), dtype=np.float64)
    return xs, ys, Z


def _floor(surface, Z) -> float:
    """The lowest loss: over the grid and at the surface's known minima."""
    values = [Z[np.isfinite(Z)]]
    if len(surface.minima):
        values.append(np.asarray(surface.loss(surface.minima), dtype=np.float64).ravel())
    values = np.concatenate(values)
    values = values[np.isfinite(values)]
    return float(values.min()) if values.size else 0.0


def log_height(Z, floor: float | None = None, decades: float = DECADES) -> np.ndarray:
    """``log10(Z − floor + ε)`` with ε = 10^−decades · range: finite everywhere.

    ``floor`` defaults to the smallest finite value of Z. Non-finite entries
    (overflow, NaN) are drawn as the highest wall. The result lies in
    ``[log10(range) − decades, log10(range · (1 + 10^−decades))]``.
    """
    Z = np.asarray(Z, dtype=np.float64)
    finite = np.isfinite(Z)
    if floor is None or not np.isfinite(floor):
        floor = float(Z[finite].min()) if finite.any() else 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        D = np.clip(np.where(finite, Z - floor, np.nan), 0.0, None)
        top = float(np.nanmax(D)) if finite.any() else 0.0
        if not np.isfinite(top) or top <= 0.0:
            top = 1.0  # a flat (or entirely non-finite) window: any positive scale works
        D = np.where(np.isnan(D), top, np.minimum(D, top))
        # log10(D + ε) written as log10(top) + log10(D/top + 10^−decades): no overflow near float max
        return np.log10(top) + np.log10(D / top + 10.0 ** (-decades))


def _points(points) -> np.ndarray:
    P = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return P[np.isfinite(P).all(axis=1)]


def _marker_trace(surface, points, *, name, symbol, size, color, crowd=MARKER_CROWD, title=None):
    """Markers at ``points``; past ``crowd`` of them (Rastrigin's egg crate) small and faint. ``name``
    identifies the trace; ``title`` (default: the name) is what its hover label says."""
    P = _points(points)
    L = np.asarray(surface.loss(P), dtype=np.float64) if len(P) else np.zeros(0)
    L = np.where(np.isfinite(L), L, 0.0)
    crowded = len(P) > crowd
    marker = dict(symbol=symbol, size=size, color=color, line=_OUTLINE)
    if crowded:
        marker.update(size=max(4, size // 2), line=dict(color="black", width=0.5), opacity=0.75)
    return go.Scatter(
        x=P[:, 0], y=P[:, 1], mode="markers", name=name, marker=marker,
        customdata=L,
        hovertemplate=f"{title or name}<br>(%{{x:.3g}}, %{{y:.3g}})<br>L = %{{customdata:.4g}}<extra></extra>",
    )
