"""A small chart of the learning-rate schedule η_t = schedule(t, lr) for t = 0 … steps.

At most ``MAX_POINTS`` values are drawn: the ``keep_turns`` envelope of the
whole series (first, last, min and max of each bucket, so that a periodic
cosine over many periods stays a band instead of aliasing) plus every point
where the schedule breaks (a jump of a step schedule, the end of a warm-up),
each break drawn with both of its neighbours so that a drop stays vertical.
Every drawn value is ``schedule(t, lr)`` at the drawn t.

Pure function: a Schedule in, a Plotly figure out (no Streamlit).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import i18n

from .downsample import keep_turns

MAX_POINTS = 1000
BREAK_SHARE = 0.6  # at most this share of the points goes to breaks; beyond it, the grid alone
LOG_DECADES = 2.0  # log y when the positive values span more than this many decades (and none is 0)


def breaks(eta: np.ndarray) -> np.ndarray:
    """Indices t where the schedule's slope changes abruptly: a jump (η_t ≠ η_{t−1} next to a flat
    stretch) or a kink (the slope changes by more than half). Returns t−1, t, t+1 for each."""
    n = len(eta)
    if n < 3:
        return np.arange(n)
    d = np.diff(eta)  # d[t-1] = η_t − η_{t−1}
    a, b = d[:-1], d[1:]  # slopes before and after t = 1 … n−2
    big = np.maximum(np.abs(a), np.abs(b))
    local = np.abs(eta[1:-1])  # relative to the rate there: late steps of a decayed rate count too
    kink = (big > 1e-12 * local) & (np.abs(b - a) > 0.5 * big)
    t = np.flatnonzero(kink) + 1
    return np.unique(np.clip(np.concatenate([t - 1, t, t + 1]), 0, n - 1))


def plotted_steps(schedule, lr, steps: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """The t at which ``schedule_figure`` evaluates η_t: all of 0 … steps when few, else the envelope
    of the series plus its breaks (the breaks alone when there are too many of them)."""
    steps = int(steps)
    if steps + 1 <= max_points:
        return np.arange(steps + 1)
    eta = np.asarray(schedule(np.arange(steps + 1), lr), dtype=np.float64)
    cut = breaks(eta)
    if len(cut) > BREAK_SHARE * max_points:
        cut = np.zeros(0, dtype=np.int64)
    envelope = np.asarray(keep_turns(eta, max_points=max_points - len(cut)), dtype=np.int64)
    return np.union1d(envelope, cut)


def straight_free(t: np.ndarray, y: np.ndarray, rtol: float = 1e-9) -> np.ndarray:
    """Indices of the points of the polyline (t, y) that are not on the straight line through their
    two neighbours (to ``rtol`` of y's range): a constant stretch is drawn by its two ends, a
    curve keeps every point. The line drawn through the kept points is the line drawn through all."""
    n = len(t)
    if n < 3:
        return np.arange(n)
    t = np.asarray(t, dtype=np.float64)
    scale = max(float(np.ptp(y)), float(np.abs(y).max()), 1e-300)
    between = y[:-2] + (y[2:] - y[:-2]) * (t[1:-1] - t[:-2]) / (t[2:] - t[:-2])
    bent = np.abs(between - y[1:-1]) > rtol * scale
    return np.concatenate([[0], np.flatnonzero(bent) + 1, [n - 1]])


def schedule_spec(schedule, lr, steps: int, *, height: int = 160, lang: str = "en") -> dict:
    """``schedule_figure`` as plain dicts (``{"data", "layout"}``): what the browser draws (figures.packed)."""
    lr_values = np.ravel(np.asarray(lr, dtype=np.float64))
    base = float(lr_values[0])
    t = plotted_steps(schedule, base, steps)
    eta = np.asarray(schedule(t, base), dtype=np.float64)
    keep = np.isfinite(eta)
    t, eta = t[keep], eta[keep]
    positive = eta[eta > 0]
    log_y = (len(positive) == len(eta) and len(eta) > 0
             and np.log10(positive.max() / positive.min()) > LOG_DECADES)
    keep = straight_free(t, np.log10(eta) if log_y else eta)
    t, eta = t[keep], eta[keep]
    title = (i18n.text("schedules.plot.swept", lang, lr=f"{base:.3g}", n=lr_values.size) if lr_values.size > 1
             else "η_t")
    trace = dict(type="scatter", x=t, y=eta, mode="lines", line=dict(color="#1f77b4", width=2), showlegend=False,
                 hovertemplate="t = %{x:,}<br>η_t = %{y:.4g}<extra></extra>")
    layout = dict(
        height=height, margin=dict(l=45, r=8, t=6, b=22), showlegend=False,
        xaxis=dict(range=[0, max(int(steps), 1)]),  # the step axis; labelled in the hover, no room for a title
        yaxis=dict(title=dict(text=title, standoff=2), type="log" if log_y else "linear",
                   exponentformat="power", rangemode="normal" if log_y else "tozero"),
        font=dict(size=11),
    )
    return {"data": [trace], "layout": layout}


def schedule_figure(schedule, lr, steps: int, *, height: int = 160, lang: str = "en") -> go.Figure:
    """η_t = schedule(t, lr) for t = 0 … steps; ``lr`` a number (for a swept array, its first value)."""
    return go.Figure(schedule_spec(schedule, lr, steps, height=height, lang=lang))
