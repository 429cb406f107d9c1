"""The class board's figures: every submitted path on one map, and what each choice did.

Pure functions (arrays in, a Plotly figure out, no Streamlit).

- ``board_map``: the surface as the Playground draws it (``map.surface_image``),
  and the paths, one trace per outcome: thin lines in the outcome's colour,
  each path through at most ``point_budget`` points (``keep_turns``) and paths
  separated by gaps (None), so that hundreds of paths stay four traces.
- ``outcome_chart``: the chosen setting against the outcome, one marker per
  (value, outcome) sized by how many runs chose it.

Nothing non-finite goes into either figure: the paths are finite up to the
last good point (``lab.board``), and values that are not finite are dropped.
"""
from __future__ import annotations

import math

import numpy as np

import i18n
from optimizers import outcomes

from . import plain
from .downsample import keep_turns
from .map import surface_image

# Outcome colours: distinct on the Viridis map (dark floor, yellow walls) and on the charts' dark panel.
OUTCOME_COLORS = {"converged": "#ffffff", "oscillating": "#ff4b4b", "still_moving": "#ff9f1c", "diverged": "#ff5fd2"}
PANEL = "#262730"
MAX_POINTS = 150  # per path when few paths are drawn
TOTAL_POINTS = 60_000  # all paths together at most (about 1 MB of JSON)
HEIGHT = 560
_LEGEND = dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0.0, bgcolor="rgba(38,39,48,0.92)",
               font=dict(color="#fafafa", size=12), borderwidth=0)


def decimals(surface) -> int:
    """Decimals that resolve a millionth of the window (rounding keeps the JSON short)."""
    return int(max(0, 6 - np.floor(np.log10(surface.span))))


def point_budget(paths: int) -> int:
    """Points per path: MAX_POINTS, fewer when many paths share TOTAL_POINTS (never below 20)."""
    return max(20, min(MAX_POINTS, TOTAL_POINTS // max(paths, 1)))


def _joined(paths, budget: int, dec: int) -> tuple[list, list]:
    """The paths' points as x and y lists, a None between two paths (a gap in the line)."""
    xs, ys = [], []
    for path in paths:
        path = np.asarray(path, dtype=np.float64)
        if not len(path):
            continue
        keep = keep_turns(path, max_points=budget)
        if xs:
            xs.append(None)
            ys.append(None)
        xs += np.round(path[keep, 0], dec).tolist()
        ys += np.round(path[keep, 1], dec).tolist()
    return xs, ys


def board_map(surface, paths: dict, names: dict, starts=(), *, height: int = HEIGHT, lang: str = "en"):
    """``paths``: {outcome: [path (N, 2), …]} (each distinct path once); ``names``: {outcome: legend text};
    ``starts``: the distinct start points (K, 2)."""
    dec = decimals(surface)
    budget = point_budget(sum(len(p) for p in paths.values()))
    data = []
    for outcome in outcomes.OUTCOMES:
        xs, ys = _joined(paths.get(outcome, ()), budget, dec)
        data.append(dict(type="scatter", mode="lines", x=xs, y=ys, name=names[outcome], showlegend=bool(xs),
                         line=dict(color=OUTCOME_COLORS[outcome], width=1), opacity=0.75, hoverinfo="skip"))
    starts = np.asarray(starts, dtype=np.float64).reshape(-1, 2)
    starts = starts[np.isfinite(starts).all(axis=1)]
    data.append(dict(type="scatter", mode="markers", x=np.round(starts[:, 0], dec).tolist(),
                     y=np.round(starts[:, 1], dec).tolist(), name=i18n.text("map.start", lang),
                     marker=dict(symbol="circle", size=10, color="#fafafa", line=dict(color="#1a1a1a", width=1)),
                     hovertemplate="(%{x:.4g}, %{y:.4g})<extra></extra>", showlegend=bool(len(starts))))
    minima = np.asarray(surface.minima, dtype=np.float64).reshape(-1, 2)
    data.append(dict(type="scatter", mode="markers", x=minima[:, 0].tolist(), y=minima[:, 1].tolist(),
                     name=i18n.text("map.minima", lang), showlegend=bool(len(minima)),
                     marker=dict(symbol="star", size=14, color="white", line=dict(color="black", width=1)),
                     hovertemplate="(%{x:.4g}, %{y:.4g})<extra></extra>"))
    (x0, x1), (y0, y1) = surface.bounds
    layout = dict(
        height=height, margin=dict(l=8, r=8, t=8, b=8), hovermode="closest", uirevision="board",
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis=dict(range=[x0, x1], autorange=False, showgrid=False, zeroline=False, title=dict(text="θ₁ (x)")),
        yaxis=dict(range=[y0, y1], autorange=False, showgrid=False, zeroline=False, title=dict(text="θ₂ (y)")),
        legend=_LEGEND, images=[surface_image(surface)],
    )
    return plain.figure(data, layout)


def _log_axis(values) -> bool:
    """A log axis for positive values spread over more than two decades."""
    finite = [v for v in values if isinstance(v, float) and math.isfinite(v)]
    return bool(finite) and min(finite) > 0 and max(finite) / min(finite) > 100


def outcome_chart(values, outcome_of, names: dict, setting: str, *, height: int = 320, lang: str = "en"):
    """One marker per (value, outcome): ``values`` the chosen setting per run (floats, or text for a setting
    that is not a number), ``outcome_of`` each run's outcome; the marker's size and label count the runs."""
    counted: dict = {}
    for value, outcome in zip(values, outcome_of):
        if isinstance(value, float) and not math.isfinite(value):
            continue
        counted[(value, outcome)] = counted.get((value, outcome), 0) + 1
    order = [names[o] for o in outcomes.OUTCOMES]
    data = []
    for outcome in outcomes.OUTCOMES:
        items = sorted((v, n) for (v, o), n in counted.items() if o == outcome)
        data.append(dict(
            type="scatter", mode="markers+text", x=[v for v, _ in items], y=[names[outcome]] * len(items),
            text=[str(n) for _, n in items], textposition="top center", textfont=dict(color="#fafafa", size=11),
            name=names[outcome], showlegend=False, customdata=[n for _, n in items],
            marker=dict(color=OUTCOME_COLORS[outcome], size=[8 + 5 * math.sqrt(n) for _, n in items],
                        line=dict(color="#1a1a1a", width=1)),
            hovertemplate=f"{setting} = %{{x}}<br>%{{y}}<br>"
                          + i18n.text("board.figure.runs", lang) + " %{customdata}<extra></extra>",
        ))
    numeric = all(isinstance(v, float) for v, _ in counted)
    xaxis = dict(title=dict(text=setting), gridcolor="#3d3f4b", color="#fafafa")
    if numeric and _log_axis([v for v, _ in counted]):
        xaxis.update(type="log", exponentformat="power")
    elif not numeric:
        xaxis.update(type="category")
    layout = dict(height=height, margin=dict(l=8, r=8, t=16, b=8), paper_bgcolor=PANEL, plot_bgcolor=PANEL,
                  xaxis=xaxis, font=dict(color="#fafafa"),
                  yaxis=dict(type="category", categoryorder="array", categoryarray=order[::-1], range=[-0.6, 3.6],
                             gridcolor="#3d3f4b", color="#fafafa"))
    return plain.figure(data, layout)
