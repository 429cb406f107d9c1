"""Checks at the edge: every message names the field, the value and the allowed range."""
from __future__ import annotations

import numpy as np


def _fmt(v) -> str:
    return f"{v:g}" if isinstance(v, (int, float, np.floating, np.integer)) else repr(v)


def in_range(owner: str, field: str, value, lo: float, hi: float, *, lo_open=False, hi_open=False):
    """Return ``value`` as float64 (scalar or (K,)), or raise ValueError naming what is wrong."""
    arr = np.asarray(value, dtype=np.float64) if not isinstance(value, str) else None
    if arr is None or arr.ndim > 1:
        raise ValueError(f"{owner}: {field} = {value!r} must be a number or a 1-D array of numbers")
    flat = arr.reshape(-1)
    below = (flat <= lo) if lo_open else (flat < lo)
    above = (flat >= hi) if hi_open else (flat > hi)
    bad = ~np.isfinite(flat) | below | above
    if bad.any():
        shown = flat[np.argmax(bad)]
        lhs = f"{_fmt(lo)} {'<' if lo_open else '<='} "
        rhs = f" {'<' if hi_open else '<='} {_fmt(hi)}" if np.isfinite(hi) else ""
        where = "" if arr.ndim == 0 else f" (at index {int(np.argmax(bad))} of the sweep)"
        raise ValueError(f"{owner}: {field} = {_fmt(float(shown))}{where} is out of range; "
                         f"allowed {lhs}{field}{rhs}")
    return arr


def integer(owner: str, field: str, value, lo: int, hi: int) -> int:
    try:
        ok = float(value) == int(value)
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok or not lo <= int(value) <= hi:
        raise ValueError(f"{owner}: {field} = {value!r} is out of range; allowed integers {lo:,} <= {field} <= {hi:,}")
    return int(value)


def choice(owner: str, field: str, value, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"{owner}: {field} = {value!r} is not valid; allowed: {', '.join(map(str, allowed))}")
    return value
