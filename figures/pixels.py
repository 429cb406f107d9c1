"""Pixel geometry for the server-side animation: round tick values, far segments clipped, settled
points skipped."""
from __future__ import annotations

import numpy as np


def nice_ticks(lo: float, hi: float, count: int = 5) -> np.ndarray:
    """About ``count`` round values (1, 2, 2.5 or 5 × 10^k apart) within [lo, hi]."""
    raw = (hi - lo) / max(count - 1, 1)
    power = 10.0 ** np.floor(np.log10(raw))
    step = power * min((m for m in (1, 2, 2.5, 5, 10) if m * power >= raw), default=10)
    ticks = np.arange(np.ceil(lo / step - 1e-9), np.floor(hi / step + 1e-9) + 1) * step
    return np.round(ticks, 12) + 0.0  # + 0.0: no "-0"


def _clip_segment(p, q, lim: float):
    """Liang–Barsky: the part of segment p→q inside the square [−lim, lim]², or None."""
    d = q - p
    t0, t1 = 0.0, 1.0
    for pk, qk in ((-d[0], p[0] + lim), (d[0], lim - p[0]), (-d[1], p[1] + lim), (d[1], lim - p[1])):
        if pk == 0.0:
            if qk < 0.0:
                return None
            continue
        t = qk / pk
        if pk < 0.0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
    return None if t0 > t1 else (p + t0 * d, p + t1 * d)


def polylines(points: np.ndarray, lim: float) -> list[np.ndarray]:
    """``points`` (n, 2, pixels) as polylines Pillow can draw: far points of a diverging run (up to 10⁹
    pixels away) would overflow its integer coordinates, so segments leaving [−lim, lim]² are clipped
    to it (their direction kept) and drawn on their own."""
    inside = (np.abs(points) <= lim).all(axis=1)
    if inside.all():
        return [points]
    pieces, start = [], None
    for i in range(len(points)):
        if inside[i] and start is None:
            start = i
        if start is not None and (not inside[i] or i == len(points) - 1):
            end = i + 1 if inside[i] else i
            if end - start >= 2:
                pieces.append(points[start:end])
            start = None
    for i in np.flatnonzero(~inside[:-1] | ~inside[1:]):
        clipped = _clip_segment(points[i], points[i + 1], lim)
        if clipped is not None:
            pieces.append(np.array(clipped))
    return pieces


def moves(pixels: np.ndarray, cell: float = 0.5) -> np.ndarray:
    """Indices of the points that leave the previous point's ``cell``-pixel square: a run that has
    settled repeats one pixel for thousands of steps, and drawing those segments costs time for
    nothing (the error is at most half a cell)."""
    if len(pixels) < 2:
        return np.zeros(0, dtype=np.intp)
    with np.errstate(invalid="ignore"):
        grid = np.floor(pixels / cell)
    return np.flatnonzero((grid[1:] != grid[:-1]).any(axis=1)) + 1
