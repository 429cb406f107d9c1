"""The map: runs travelling across a surface, animated, clickable.

Pure functions (surface and RunViews in, figures out, no Streamlit). Two figures share their traces:

- ``map_split``: what the pages draw in the browser (ui.plot): a template and one blob of arrays per
  run (figures.packed); the browser animates the "now" markers and takes clicks itself.
- ``path_map``: one self-contained Plotly figure with its own animation frames and a click grid,
  for the HTML export.

What the traces are, and why (see STACK.md, "Plotly in Streamlit"):

- The surface is a raster image under the axes (``surface_image``), not a
  contour trace: a contour disappears once an animation with
  ``redraw=False`` plays (plotly.js issue 4491), and ``redraw=True`` drops
  to about 8 fps. Colours: Viridis in ``LEVELS`` bands of log10(L − L_min),
  with darker band edges as contour lines (the gallery's thumbnails are the same raster).
- Each run's path is drawn through ``keep_turns`` points (at most
  ``max_points``), so a 100,000-step run stays small and still shows its
  turns (Adam's first moves, the bowl's bounce between the walls), over a
  dark casing that keeps every run's colour visible on every band.
- path_map's frames move only the animated markers (``traces=[…]``), one
  small dict per frame: 300 frames of 4 runs are about 80 kB. (A plotly.js
  quirk then breaks clicks after playing; see ``clickable_after_play``.)
  An invisible grid of markers, its last trace, turns a click into a point.
- Nothing non-finite goes into the figure: paths are cut at the last good
  point of a diverged run, and any non-finite record left is dropped.
"""
from __future__ import annotations

import base64
import copy
import io

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

import i18n
from optimizers.validate import integer
from surfaces.once import computed_once

from . import plain
from .downsample import frame_indices, keep_turns
from .memo import per_run
from .packed import split
from .surface_map import COLORSCALE, DECADES, FLOOR_QUANTILE, LEVELS, _floor, _marker_trace, log_height

IMAGE_N = 480  # raster pixels per side (about 15 kB as a banded PNG); the browser stretches it over the plot
SCALE_N = 240  # grid on which the colour range is measured
EDGE_SHADE = 0.72  # band edges drawn at this share of the band's colour: the contour lines
FRAME_MS = 30  # a frame's duration while playing (about 30 fps)
MAX_POINTS = 2000
BROWSER_POINTS = 1200  # points per path sent to the browser on each move (14 bytes each, see figures.packed)
PATH_WIDTH = 2.0
MAX_FRAMES = 300
CLICK_GRID = 48
HEIGHT = 560
CLICK_GRID_NAME = "click-grid"
CASING_NAME = "casing"
_CASING = "rgba(0,0,0,0.55)"
_DARK = "#1a1a1a"
_GREY = "#808495"  # readable on Streamlit's light and dark backgrounds
# The exported map's legend sits on a dark box of its own: the white critical-point markers are chosen
# for the Viridis map and vanish on a white page (in the app the browser themes the legend).
_LEGEND = dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0.0, bgcolor="rgba(38,39,48,0.92)",
               font=dict(color="#fafafa", size=12), borderwidth=0)
_KEEP_OPAQUE = dict(marker=dict(opacity=1))  # a selection (a click on the grid) must not fade the other traces
_PLAY = {"frame": {"duration": FRAME_MS, "redraw": False}, "transition": {"duration": 0},
         "fromcurrent": True, "mode": "immediate"}
_PAUSE = {"frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}, "mode": "immediate"}


# ----------------------------------------------------------------- the colour scale, shared with the 3D view
@computed_once(maxsize=64)
def height_scale(surface) -> tuple[float, float, float, float]:
    """``(floor, top, lo, hi)`` of the surface's log-height colouring.

    ``floor`` is the lowest loss (grid and known minima), ``top`` the grid's
    highest loss above it; heights are ``log10(L − floor + ε)`` as in
    ``surface_map.log_height`` with that range fixed, and the colours run
    from ``lo`` (the FLOOR_QUANTILE of the window) to ``hi`` (its top).
    """
    Z = _pixel_losses(surface, SCALE_N)
    floor = _floor(surface, Z)
    finite = Z[np.isfinite(Z)]
    top = float(finite.max() - floor) if finite.size else 1.0
    if not np.isfinite(top) or top <= 0.0:
        top = 1.0
    H = heights(Z, floor, top)
    lo, hi = float(np.quantile(H, FLOOR_QUANTILE)), float(H.max())
    if hi - lo < 1e-9:
        hi = lo + 1.0
    return floor, top, lo, hi


def heights(L, floor: float, top: float) -> np.ndarray:
    """log10(L − floor + ε) on the window's fixed range ``top`` (``log_height`` with that range pinned):
    finite everywhere, values above the window's top (and non-finite ones) drawn as the top."""
    L = np.asarray(L, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        pinned = np.where(np.isfinite(L), np.clip(L, floor, floor + top), floor + top)
    # One value at floor + top fixes log_height's range to this window's.
    return log_height(np.append(pinned.ravel(), floor + top), floor=floor, decades=DECADES)[:-1].reshape(L.shape)


def band_colors() -> list[tuple[int, int, int]]:
    """The colour of each of the LEVELS bands: Viridis at the middle of the band."""
    rgb = sample_colorscale(COLORSCALE, [(k + 0.5) / LEVELS for k in range(LEVELS)])
    return [tuple(int(round(float(c))) for c in s[s.index("(") + 1:-1].split(",")) for s in rgb]


def banded_colorscale() -> list:
    """A Plotly colorscale of the same LEVELS flat bands (for go.Surface)."""
    scale = []
    for k, (r, g, b) in enumerate(band_colors()):
        scale += [[k / LEVELS, f"rgb({r},{g},{b})"], [(k + 1) / LEVELS, f"rgb({r},{g},{b})"]]
    return scale


def _pixel_losses(surface, n: int, rows: int | None = None) -> np.ndarray:
    """The loss at the centres of an n-column × ``rows``-row pixel grid (default square) over the window;
    row 0 is the TOP row (y = ymax)."""
    rows = n if rows is None else rows
    (x0, x1), (y0, y1) = surface.bounds
    xs = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    ys = y1 - (np.arange(rows) + 0.5) * (y1 - y0) / rows
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        return np.asarray(surface.loss(np.stack([X, Y], axis=-1)), dtype=np.float64)


def surface_palette() -> np.ndarray:
    """(2·LEVELS, 3) uint8 RGB: entry k is band k's colour, entry LEVELS + k its darker edge shade."""
    colors = np.array(band_colors(), dtype=np.int64)
    return np.concatenate([colors, (colors * EDGE_SHADE).astype(np.int64)]).astype(np.uint8)


def surface_bands(surface, width: int, height: int | None = None) -> np.ndarray:
    """Palette indices (``height`` × ``width``, default square, uint8) of the banded raster.

    Band k = ⌊(H − lo)/(hi − lo)·LEVELS⌋ of the log height H (``height_scale``), clipped to
    0 … LEVELS − 1; a pixel whose right or lower neighbour lies in another band gets k + LEVELS
    (the darker shade: the contour lines). Row 0 is the top (y = ymax)."""
    floor, top, lo, hi = height_scale(surface)
    H = heights(_pixel_losses(surface, width, height), floor, top)
    band = np.clip(np.floor((H - lo) / (hi - lo) * LEVELS), 0, LEVELS - 1).astype(np.uint8)
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, :-1] |= band[:, :-1] != band[:, 1:]
    edge[:-1, :] |= band[:-1, :] != band[1:, :]
    return band + np.where(edge, LEVELS, 0).astype(np.uint8)


def surface_rgb(surface, width: int, height: int | None = None) -> np.ndarray:
    """The banded raster as (``height``, ``width``, 3) uint8 RGB, row 0 at the top (for server-side drawing)."""
    return surface_palette()[surface_bands(surface, width, height)]


@computed_once(maxsize=64)
def surface_image(surface, n: int = IMAGE_N) -> dict:
    """The surface as a banded PNG, placed for ``fig.add_layout_image(**surface_image(s))``.

    Keys: ``source`` (a ``data:image/png;base64,`` URI), ``x``, ``y`` (the
    top-left corner: xmin, ymax), ``sizex``, ``sizey``, and ``xref``,
    ``yref``, ``xanchor``, ``yanchor``, ``sizing`` ("stretch"), ``layer``
    ("below"). Cached per surface: the same dict comes back each time, so
    treat it as read-only.
    """
    n = integer("surface_image", "n", n, 2, 4096)
    index = surface_bands(surface, n)
    from PIL import Image  # pillow is only needed here

    img = Image.frombytes("P", (index.shape[1], index.shape[0]), np.ascontiguousarray(index).tobytes())
    img.putpalette(surface_palette().ravel().tolist())
    buffer = io.BytesIO()
    img.save(buffer, format="PNG")
    (x0, x1), (y0, y1) = surface.bounds
    return dict(
        source="data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"),
        x=float(x0), y=float(y1), sizex=float(x1 - x0), sizey=float(y1 - y0),
        xref="x", yref="y", xanchor="left", yanchor="top", sizing="stretch", layer="below",
    )


# ----------------------------------------------------------------- helpers
def _decimals(surface) -> int:
    """Decimals that resolve a millionth of the window: enough for any drawn coordinate."""
    return int(max(0, 6 - np.floor(np.log10(surface.span))))


def _good_path(run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(steps, path, loss)`` up to the run's last good record, non-finite points dropped."""
    end = run.last_good + 1
    steps = np.asarray(run.steps[:end])
    path = np.asarray(run.path[:end], dtype=np.float64)
    loss = run.trajectory.loss
    loss = np.asarray(loss[0, :end], dtype=np.float64) if loss is not None else None
    ok = np.isfinite(path).all(axis=1)
    if not ok.all():
        steps, path = steps[ok], path[ok]
        loss = loss[ok] if loss is not None else None
    return steps, path, loss


def _grid_decimals(spacing: float) -> int:
    return int(max(0, np.ceil(-np.log10(spacing)) + 1)) if spacing > 0 else 6


def _finite(values, fallback: float) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return np.where(np.isfinite(values), values, fallback)


def _hover(label: str) -> str:
    return (f"{label}<br>step %{{customdata[0]:,}}<br>(%{{x:.4g}}, %{{y:.4g}})"
            f"<br>L = %{{customdata[1]:.4g}}<extra></extra>")


def _validate_runs(runs) -> list:
    runs = list(runs)
    for i, run in enumerate(runs):
        if not all(hasattr(run, a) for a in ("label", "color", "steps", "path", "last_good", "diverged_at")):
            raise ValueError(f"path_map: runs[{i}] = {type(run).__name__} is not a RunView")
    return runs


# ----------------------------------------------------------------- the traces both maps share
@per_run
def _run_traces(run, i: int, surface, max_points: int, lang: str) -> list[dict]:
    """Run ``i``'s casing and path (``keep_turns`` points), then its start and end markers (remembered
    per run: shared, read-only)."""
    dec = _decimals(surface)
    steps, path, loss = _good_path(run)
    if loss is None:
        loss = surface.loss(path) if len(path) else np.zeros(0)
    loss = _finite(loss, np.finfo(np.float64).max)
    group = f"run{i}"
    note = run.divergence_note(lang) if run.diverged_at >= 0 else ""
    keep = keep_turns(path, max_points=max_points) if len(path) else np.zeros(0, dtype=np.intp)
    x, y = np.round(path[keep, 0], dec), np.round(path[keep, 1], dec)
    out = [
        # A dark casing under the path: every run's colour stands out on every band of the map.
        dict(type="scatter", x=x, y=y, mode="lines", name=CASING_NAME, legendgroup=group, showlegend=False,
             line=dict(color=_CASING, width=PATH_WIDTH + 2), hoverinfo="skip", unselected=_KEEP_OPAQUE),
        dict(type="scatter", x=x, y=y, mode="lines", name=f"{run.label} · {note}" if note else run.label,
             legendgroup=group, line=dict(color=run.color, width=PATH_WIDTH),
             customdata=np.column_stack([steps[keep], loss[keep]]), hovertemplate=_hover(run.label),
             unselected=_KEEP_OPAQUE),
    ]
    if not len(path):
        return out
    ends = [(0, "start", dict(symbol="circle", size=10, color=run.color, line=dict(color=_DARK, width=1)))]
    if note:
        ends.append((-1, "diverged", dict(symbol="x", size=20, color=run.color, line=dict(color=_DARK, width=1.5))))
    else:
        ends.append((-1, "end", dict(symbol="square", size=10, color=run.color, line=dict(color=_DARK, width=1))))
    for at, what, marker in ends:
        text = note if what == "diverged" else i18n.text(f"map.{what}", lang)
        out.append(dict(
            type="scatter", mode="markers", x=[round(float(path[at, 0]), dec)], y=[round(float(path[at, 1]), dec)],
            name=f"{run.label} · {i18n.text(f'map.{what}', lang)}", legendgroup=group, showlegend=False,
            marker=marker, customdata=[[int(steps[at]), float(loss[at])]], unselected=_KEEP_OPAQUE,
            hovertemplate=_hover(f"{run.label} · {text}"),
        ))
    return out


@computed_once(maxsize=64)
def _critical_traces(surface, lang: str) -> tuple[dict, ...]:
    """Minima, saddles and maxima: above the paths (a bouncing run must not hide a saddle). Built once
    per surface and language (plotly.py validates a marker trace: about 1 ms each); shared, so read-only."""
    out = []
    for points, name, symbol, size in ((surface.minima, "minima", "star", 14), (surface.saddles, "saddles", "x", 10),
                                       (surface.maxima, "maxima", "triangle-up", 10)):
        trace = _marker_trace(surface, points, name=i18n.text(f"map.{name}", lang), symbol=symbol, size=size,
                              color="white")
        trace.update(unselected=_KEEP_OPAQUE, showlegend=len(trace.x) > 0, legendgroup="critical")
        out.append(trace.to_plotly_json())
    return tuple(out)


def _now_trace(i: int, run, path: np.ndarray, dec: int) -> dict:
    """Run ``i``'s animated marker, at its start."""
    return dict(
        type="scatter", mode="markers", x=[round(float(path[0, 0]), dec)], y=[round(float(path[0, 1]), dec)],
        name=f"{run.label} · now", legendgroup=f"run{i}", showlegend=False,
        marker=dict(symbol="circle", size=16, color=run.color, line=dict(color=_DARK, width=2.5)),
        hoverinfo="skip", unselected=_KEEP_OPAQUE,
    )


def _map_traces(surface, runs, max_points: int, lang: str):
    """``(data, groups, moving)``: every run's traces, the critical points, then one animated marker
    per run that has a point (drawn on top); per trace its group (``run<i>`` or ``critical``); and
    per moving run ``(i, run, good, index of its path trace, index of its marker)``."""
    dec = _decimals(surface)
    data, groups, paths = [], [], {}
    goods = [_good_path(run) for run in runs]
    for i, run in enumerate(runs):
        traces = _run_traces(run, i, surface, max_points, lang)
        paths[i] = len(data) + 1  # after the casing
        data += traces
        groups += [f"run{i}"] * len(traces)
    critical = list(_critical_traces(surface, lang))
    data += critical
    groups += ["critical"] * len(critical)
    moving = []
    for i, (run, good) in enumerate(zip(runs, goods)):
        if len(good[1]):
            moving.append((i, run, good, paths[i], len(data)))
            data.append(_now_trace(i, run, good[1], dec))
            groups.append(f"run{i}")
    return data, groups, moving


def _layout(surface, height: int) -> dict:
    (x0, x1), (y0, y1) = surface.bounds
    return dict(
        height=height, margin=dict(l=8, r=8, t=8, b=8), uirevision=f"map:{surface.name}:{surface.settings}",
        dragmode="zoom", hovermode="closest", paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis=dict(range=[x0, x1], autorange=False, showgrid=False, zeroline=False, title=dict(text="θ₁ (x)")),
        yaxis=dict(range=[y0, y1], autorange=False, showgrid=False, zeroline=False, title=dict(text="θ₂ (y)")),
        images=[surface_image(surface)],
    )


# ----------------------------------------------------------------- the map drawn in the browser
def map_split(surface, runs, *, max_points: int = BROWSER_POINTS, height: int = HEIGHT, lang: str = "en"):
    """The map for ``ui.plot.show_map``: ``(part, anim)``.

    ``part`` (a figures.packed.Split): the traces of ``path_map`` without its click grid and
    frames (the browser animates and takes clicks itself), each run's arrays in a blob of its
    own, the surface raster as an image. ``anim``: ``{"runs": [{"path": trace index, "now":
    trace index}], "total": the last recorded step}`` for the runs that have a point.
    """
    runs = _validate_runs(runs)
    max_points = integer("map_split", "max_points", max_points, 2, 10**7)
    height = integer("map_split", "height", height, 100, 10_000)
    data, groups, moving = _map_traces(surface, runs, max_points, lang)
    layout = _layout(surface, height)
    layout["legend"] = dict(orientation="h", yanchor="bottom", y=1.01, xanchor="left", x=0.0)  # clear of the axis title
    anim = {"runs": [{"path": p, "now": n} for _, _, _, p, n in moving],
            "total": max((int(run.steps[-1]) for run in runs if len(run.steps)), default=0)}
    return split({"data": data, "layout": layout}, groups), anim


# ----------------------------------------------------------------- the map as one Plotly figure (exports)
def path_map(surface, runs, *, max_points: int = MAX_POINTS, max_frames: int = MAX_FRAMES, animate: bool = True,
             click_grid: int = CLICK_GRID, height: int = HEIGHT, clickable_after_play: bool = False,
             lang: str = "en") -> go.Figure:
    """Runs travelling across ``surface``: paths, start and end markers, an animation, a click grid.

    Traces, in order: per run a dark casing (``name`` "casing") and its path (``name`` = the
    run's label, plus its divergence note if it diverged), start and end markers; the critical
    points ("minima", "saddles", "maxima"); one animated marker per run (``name`` = label +
    " · now"); and last the invisible "click-grid". All of a run's traces share ``legendgroup``
    "run<i>". Frames (when ``animate``) move only the animated markers. The pages draw the map
    with ``map_split`` in the browser; this figure is the self-contained export.

    ``clickable_after_play``: a plotly.js quirk (seen with plotly.js 4.1.1,
    standalone, and in Streamlit 1.67) makes a ``redraw=False`` frame recompute
    every trace's data but redraw only the traces it lists; afterwards a click
    on the map (which Streamlit turns into a selection) throws inside plotly
    ("reading 'selectAll'") and selects nothing, until the figure is drawn
    anew. With ``True`` every frame lists every trace (the static ones with
    empty updates), so clicks keep working after Play or the slider, at about
    twice the browser's work per frame and about 70 ms more to build here.
    """
    runs = _validate_runs(runs)
    max_points = integer("path_map", "max_points", max_points, 2, 10**7)
    max_frames = integer("path_map", "max_frames", max_frames, 2, 10**5)
    click_grid = integer("path_map", "click_grid", click_grid, 2, 400)
    height = integer("path_map", "height", height, 100, 10_000)
    (x0, x1), (y0, y1) = surface.bounds
    data, _, moving = _map_traces(surface, runs, max_points, lang)
    data = copy.deepcopy(data)  # the critical points' traces are shared; this figure is the caller's
    animated = [n for *_, n in moving]

    # Grid coordinates rounded to a tenth of their spacing or better: a click becomes a start point
    # such as (0.979, 0.489), not (0.978723, 0.489362).
    gx, gy = (np.round(np.linspace(a, b, click_grid), _grid_decimals((b - a) / (click_grid - 1)))
              for a, b in ((x0, x1), (y0, y1)))
    GX, GY = np.meshgrid(gx, gy)
    data.append(dict(
        type="scatter", x=GX.ravel(), y=GY.ravel(), mode="markers", name=CLICK_GRID_NAME,
        marker=dict(size=12, opacity=0), hoverinfo="none", showlegend=False,
    ))

    layout = _layout(surface, height)
    layout.update(clickmode="event+select", legend=_LEGEND)
    frames = []
    if animate and moving:
        touched = list(range(len(data))) if clickable_after_play else animated
        frames, extra = _frames([(i, run, good) for i, run, good, *_ in moving], animated, touched, max_frames,
                                _decimals(surface), lang)
        layout.update(extra)
    # Everything above is written as plain dicts and skips plotly.py's validation, frames included
    # (figures.plain: 150 frames that list every trace took about 45 ms to validate, 2 ms as they are);
    # the tests validate the result once.
    return plain.figure(data, layout, frames)


def click_point(surface, x: float, y: float, grid: int = CLICK_GRID) -> tuple[float, float] | None:
    """A click on the map at (x, y) as a start point: rounded as the points of a ``grid`` × ``grid``
    lattice over the window are (a tenth of their spacing), None outside the window."""
    (x0, x1), (y0, y1) = surface.bounds
    if not (np.isfinite(x) and np.isfinite(y) and x0 <= x <= x1 and y0 <= y <= y1):
        return None
    return (round(float(x), _grid_decimals((x1 - x0) / (grid - 1))),
            round(float(y), _grid_decimals((y1 - y0) / (grid - 1))))


def _frames(moving, animated, touched, max_frames: int, dec: int, lang: str = "en"):
    """Frames (plain dicts) over the longest run's records, and the buttons and slider that play them.

    Each frame lists the ``touched`` traces: new coordinates for the ``animated`` ones, ``{}`` (no
    change) for the rest."""
    records = [good[0] for _, _, good in moving]  # each run's recorded steps
    longest = max(records, key=lambda steps: (steps[-1], len(steps)))
    shown = longest[frame_indices(len(longest), max_frames)]
    columns = []
    for _, _, (steps, path, loss) in moving:
        # The record at or before each shown step; a run that ended earlier stays at its last point.
        at = np.clip(np.searchsorted(steps, shown, side="right") - 1, 0, len(steps) - 1)
        columns.append(np.round(path[at], dec).tolist())
    names = [str(int(s)) for s in shown]
    slot = {trace: k for k, trace in enumerate(animated)}
    frames = [
        {"name": name, "traces": touched,
         "data": [{"x": [columns[slot[t]][f][0]], "y": [columns[slot[t]][f][1]]} if t in slot else {}
                  for t in touched]}
        for f, name in enumerate(names)
    ]
    jump = {"frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}, "mode": "immediate"}
    extra = dict(
        updatemenus=[dict(
            type="buttons", direction="left", showactive=False, x=0.0, xanchor="left", y=-0.06, yanchor="top",
            pad=dict(t=0, r=6), buttons=[
                dict(label="▶ " + i18n.text("map.play", lang), method="animate", args=[None, _PLAY]),
                dict(label="❚❚ " + i18n.text("map.pause", lang), method="animate", args=[[None], _PAUSE]),
            ],
        )],
        sliders=[dict(
            active=0, x=0.2, len=0.8, xanchor="left", y=-0.06, yanchor="top", pad=dict(t=0, b=0),
            # 300 step labels cannot be read side by side: they are hidden, the current one shows above.
            currentvalue=dict(prefix=i18n.text("map.step_prefix", lang), visible=True, xanchor="right", font=dict(size=12, color=_GREY)),
            ticklen=0, minorticklen=0, font=dict(color="rgba(0,0,0,0)"),
            steps=[dict(method="animate", label=name, args=[[name], jump]) for name in names],
        )],
    )
    return frames, extra
