"""Training curves under the map: what the optimizer saw at each step.

Four rows share the step axis, one colour per run:

1. L(θ_t) − L*, the loss above the surface's lowest minimum (log y);
2. |∇L(θ_t)|, the gradient norm (log y): the lecture's point that the loss
   can stall while the gradient stays large (GD with lr = 1e-2 bouncing
   between the walls of the bowl);
3. η_t/σ_t per parameter, solid for θ₁ (x) and dashed for θ₂ (y) (log y):
   Adagrad's steps growing along the flat axis, the lecture's Adagrad
   bursting once the gradient becomes small;
4. η_t, the learning rate (log y).

Every series is downsampled on its own with ``figures.downsample.keep_turns``
(an envelope that keeps oscillations: a 2-cycle stays a band, not a line).
Only records up to ``run.last_good`` are drawn: a diverged run stops where
it blew up, with a vertical marker at the step it left the surface.

Values that a log axis cannot show are handled explicitly: the loss and the
gradient norm are clipped below at ``FLOOR`` (and the axis titles say so);
η/σ and η values that are 0 (a schedule that reaches η = 0) or not finite
(η/σ with ε = 0 on a zero gradient) are left out of their curve. The figure
never holds NaN or inf.

Pure function: RunViews in, a Plotly figure out (no Streamlit).
"""
from __future__ import annotations

import copy
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import i18n

from . import plain
from .downsample import keep_turns
from .memo import per_run

FLOOR = 1e-16  # smallest value drawn on the loss and gradient-norm rows
ROWS = ("loss", "grad", "lr_eff", "eta")  # catalog keys of the row titles: diagnostics.row_<name>
NARROW_DECADES = 1.5  # log rows spanning fewer decades get ticks at 1, 2 and 5 only
LIGHT_TO_GREY = 0.8  # colours lighter than this (relative luminance) are drawn grey on the line charts


def line_color(color: str) -> str:
    """The run's colour, or a mid grey when it would vanish on a light background (PALETTE's white)."""
    c = color.strip().lstrip("#")
    if len(c) == 3:
        c = "".join(ch * 2 for ch in c)
    if len(c) != 6:
        return color
    try:
        r, g, b = (int(c[i:i + 2], 16) / 255.0 for i in (0, 2, 4))
    except ValueError:
        return color
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#888888" if luminance > LIGHT_TO_GREY else color


def lowest_loss(surface) -> float:
    """L* = L at the lowest known minimum (``surface.minima[0]``); for a surface without one (a typed
    formula may have none in its window) the lowest finite L on a 64 × 64 grid over the window, else 0."""
    minima = surface.minima
    if len(minima):
        value = float(surface.loss(minima[0]))
        if np.isfinite(value):
            return value
    (x0, x1), (y0, y1) = surface.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, 64), np.linspace(y0, y1, 64))
    L = np.asarray(surface.loss(np.stack([X, Y], -1)), dtype=np.float64)
    return float(L[np.isfinite(L)].min()) if np.isfinite(L).any() else 0.0


def pick(series: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of ``series`` to draw: ``keep_turns`` (log-spaced buckets at the start, so the early
    steps stay detailed on a log step axis too; the min and max of each bucket, so a bounce stays a
    band), both ends always kept. One choice of buckets, not refined: a smooth curve keeps fewer
    points than allowed, and five curves a run cost a Playground move a third as much."""
    n = len(series)
    if n <= max_points:
        return np.arange(n)
    return np.asarray(keep_turns(series, max_points=max_points, refine=0), dtype=np.int64)


def _finite_pick(values: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of the finite entries of ``values``, downsampled."""
    ok = np.flatnonzero(np.isfinite(values))
    if len(ok) == len(values):
        return pick(values, max_points)
    return ok[pick(values[ok], max_points)] if len(ok) else ok


def series(surface, run, L_star: float | None = None) -> dict:
    """The full (not downsampled) curves of one run, up to ``run.last_good``:
    steps, loss − L* (clipped at FLOOR), |∇L| (clipped at FLOOR), η/σ (n, 2) or None, η."""
    if L_star is None:
        L_star = lowest_loss(surface)
    traj = run.trajectory
    n = run.last_good + 1
    path = run.path[:n]
    loss = traj.loss[0, :n] if traj.loss is not None else surface.loss(path)
    grad = traj.grad[0, :n] if traj.grad is not None else surface.grad(path)
    with np.errstate(over="ignore", invalid="ignore"):
        gap = np.maximum(np.asarray(loss, dtype=np.float64) - L_star, FLOOR)
        gnorm = np.maximum(np.hypot(grad[:, 0], grad[:, 1]), FLOOR)
    lr_eff = traj.lr_eff[0, :n] if traj.lr_eff is not None else None
    eta = np.asarray(run.eta, dtype=np.float64)[:n]
    return dict(steps=np.asarray(run.steps[:n]), loss=gap, grad_norm=gnorm, lr_eff=lr_eff, eta=eta)


@lru_cache(maxsize=8)
def _skeleton(log_steps: bool, height: int, lang: str = "en") -> dict:
    """The layout every diagnostics figure shares, built once: make_subplots and Plotly's
    property-by-property updates cost ~50 ms, a validated figure built from plain dicts ~10 ms."""
    fig = make_subplots(rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.045, subplot_titles=[i18n.text(f"diagnostics.row_{r}", lang) for r in ROWS])
    fig.update_annotations(font_size=12)  # the row titles
    fig.update_yaxes(type="log", exponentformat="power", showexponent="all")
    fig.update_yaxes(title_text="|∇L|  (≥ 1e-16)", row=2, col=1)
    fig.update_yaxes(title_text="η/σ", row=3, col=1)
    fig.update_yaxes(title_text="η", row=4, col=1)
    fig.update_xaxes(type="log" if log_steps else "linear", exponentformat="power" if log_steps else "none")
    x_title = i18n.text("diagnostics.x_log" if log_steps else "diagnostics.x_linear", lang)
    fig.update_xaxes(title_text=x_title, row=4, col=1)
    fig.update_layout(
        height=height, margin=dict(l=70, r=20, t=40, b=50), hovermode="closest",
        legend=dict(orientation="h", yanchor="bottom", y=1.03, x=0, xanchor="left"),
    )
    return fig.to_dict()["layout"]


def _axis(row: int, letter: str) -> str:
    return f"{letter}axis" + ("" if row == 1 else str(row))


def diagnostics(surface, runs, *, log_steps: bool = False, max_points: int = 2000, height: int = 620,
                lang: str = "en") -> go.Figure:
    """Loss − L*, gradient norm, η_t/σ_t per parameter and η_t against the step, one colour per run.

    ``log_steps`` draws the step axis in log scale; step 0 cannot sit on a log axis, so every
    curve is then drawn at step + 1 (the axis title says so). ``max_points`` bounds the points
    of each curve (see ``pick``)."""
    # Plain dicts, unvalidated (figures.plain): validating them cost about 30 ms a figure. Copied: the
    # spec's traces are shared (figures.memo), the figure is the caller's.
    spec = diagnostics_spec(surface, runs, log_steps=log_steps, max_points=max_points, height=height, lang=lang)
    return plain.figure(copy.deepcopy(spec["data"]), spec["layout"])


def diagnostics_spec(surface, runs, *, log_steps: bool = False, max_points: int = 2000, height: int = 620,
                     lang: str = "en") -> dict:
    """``diagnostics`` as plain dicts (``{"data", "layout"}``): what the browser draws (figures.packed).
    The traces are shared with other calls (figures.memo): read-only."""
    L_star = lowest_loss(surface)
    # A copy of what is changed below (the skeleton is shared): the axes, the annotations list.
    layout = {k: dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v
              for k, v in _skeleton(bool(log_steps), int(height), lang).items()}
    traces = []
    spans = {}  # row -> (lowest, highest) plotted value
    for run in runs:
        curves, run_spans = _run_curves(run, surface, L_star, bool(log_steps), int(max_points))
        traces += curves
        for row, (lo, hi) in run_spans.items():
            low, high = spans.get(row, (np.inf, -np.inf))
            spans[row] = (min(low, lo), max(high, hi))
    last_step = max([int(run.steps[-1]) for run in runs if len(run.steps)] + [1])
    x_range = [0.0, np.log10(last_step + 1)] if log_steps else [0, last_step]
    for row in range(1, 5):
        # an explicit range: plotly's autorange would also stretch to fit the annotations' text
        layout[_axis(row, "x")]["range"] = x_range
    for row, (lo, hi) in spans.items():
        if hi / lo < 10 ** NARROW_DECADES:  # plotly would label 2, 3, … 9 on a short row: keep 1, 2, 5
            layout[_axis(row, "y")]["dtick"] = "D2"
    layout["yaxis"]["title"] = dict(text=f"L − L*<br>(L* = {L_star:.4g}, ≥ 1e-16)")
    layout.setdefault("shapes", [])
    for k, run in enumerate(r for r in runs if r.diverged_at >= 0):
        _divergence_marker(layout, run, log_steps, x_range, k, lang)
    return {"data": traces, "layout": layout}


@per_run
def _run_curves(run, surface, L_star: float, log_steps: bool, max_points: int) -> tuple[list, dict]:
    """One run's traces (loss, gradient norm, η/σ per parameter, η) and per row the lowest and highest
    value drawn (remembered per run: shared, read-only)."""
    traces, spans = [], {}
    shift = 1 if log_steps else 0
    step_name = "step t + 1" if log_steps else "step t"

    def add(row, x, y, idx, *, name, first, dash="solid", what):
        if len(idx):
            lo, hi = spans.get(row, (np.inf, -np.inf))
            spans[row] = (min(lo, float(y[idx].min())), max(hi, float(y[idx].max())))
        suffix = "" if row == 1 else str(row)
        traces.append(dict(
            type="scatter", x=x[idx] + shift, y=y[idx], mode="lines", name=name, legendgroup=run.label,
            showlegend=first, line=dict(color=line_color(run.color), width=1.6, dash=dash),
            xaxis=f"x{suffix}", yaxis=f"y{suffix}",
            hovertemplate=f"{run.label}<br>{step_name} = %{{x:,}}<br>{what} = %{{y:.4g}}<extra></extra>",
        ))

    s = series(surface, run, L_star)
    x = s["steps"]
    add(1, x, s["loss"], _finite_pick(s["loss"], max_points), name=run.label, first=True, what="L − L*")
    add(2, x, s["grad_norm"], _finite_pick(s["grad_norm"], max_points), name=run.label, first=False, what="|∇L|")
    if s["lr_eff"] is not None:
        for j, (dash, p) in enumerate((("solid", "θ₁"), ("dash", "θ₂"))):
            v = s["lr_eff"][:, j]
            add(3, x, v, _finite_pick(np.where(v > 0, v, np.nan), max_points),
                name=f"{run.label} · η/σ for {p}", first=False, dash=dash, what=f"η/σ ({p})")
    eta = s["eta"]
    add(4, x, eta, _finite_pick(np.where(eta > 0, eta, np.nan), max_points), name=run.label, first=False, what="η")
    return traces, spans


def _divergence_marker(layout, run, log_steps, x_range, k, lang="en"):
    """A dotted vertical line at the diverging step on every row, labelled on the top row
    (the label on the side of the line with more room)."""
    x = run.diverged_at + (1 if log_steps else 0)
    where = np.log10(x) if log_steps else x
    left_half = where < (x_range[0] + x_range[1]) / 2
    color = line_color(run.color)
    for row in range(1, 5):
        suffix = "" if row == 1 else str(row)
        layout["shapes"].append(dict(type="line", xref=f"x{suffix}", yref=f"y{suffix} domain", x0=x, x1=x,
                                     y0=0, y1=1, line=dict(color=color, width=1.5, dash="dot")))
    layout["annotations"].append(dict(
        x=where, xref="x", y=1 - 0.2 * (k % 5), yref="y domain",  # the k-th label lower
        text=f"{run.label}: " + i18n.text("diagnostics.diverged", lang, step=f"{run.diverged_at:,}"), showarrow=False,
        xanchor="left" if left_half else "right", xshift=4 if left_half else -4, yanchor="top",
        font=dict(color=color, size=11), bgcolor="rgba(255,255,255,0.8)"))
