"""Noisy gradients: batch surfaces animated through an epoch, SGD paths, loss curves, fitted curves.

Pure functions from batchlab.noisy results to Plotly figures (no Streamlit). Every visible word
comes from the i18n catalogs (``lang``).

Surfaces are filled contours coloured by height on a log scale, *per surface*: 0 is that
surface's lowest grid point, 255 its highest (``heights``), so a batch's own valleys show
however high or low its losses are. They are sent as uint8 (6.4 kB a frame at 80 × 80).
The animation re-sends the batch surface in every frame, so it plays with ``redraw=True``
(a contour vanishes under ``redraw=False``, plotly.js issue 4491); at ≤ 32 frames and a
frame every 0.8 s that costs nothing noticeable.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import i18n
from batchlab import noisy as nz

from .downsample import keep_turns
from .surface_map import log_height

MINI_COLORS = ("#ff4b4b", "#ff9f1c", "#ff5fd2", "#4dd8ff")  # mini-batches, smallest first
FULL_COLOR = "#ffffff"  # the full batch: white on the Viridis map and the dark plot areas
DECADES = 3.0  # colour range of a surface, in decades of L − L_min
LEVELS = 16  # contour bands per surface
MAX_POINTS = 2000  # drawn points per path or loss curve (keep_turns keeps the noise envelope)
ARROW_LENGTH = 2.0  # drawn length of a typical (median) step arrow of an animation, in parameter units
FRAME_MS = 800  # one batch per 0.8 s while playing: time to look at each surface
MAP_HEIGHT = 520
CHART_HEIGHT = 380
_DARK_PLOT = "#1b1c24"  # plot area of the curve charts: the same colours read as on the maps
_GRID = "rgba(250,250,250,0.12)"
_GREY = "#808495"
_LEGEND = dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0.0, bgcolor="rgba(38,39,48,0.92)",
               font=dict(color="#fafafa", size=12))
_MARK = dict(color="#1a1a1a", width=1.5)


def _t(key: str, lang: str, **fields) -> str:
    return i18n.text(f"noisy_gradients.fig.{key}", lang, **fields)


# ----------------------------------------------------------------- shared pieces
def run_label(batch_size: int, lang: str = "en") -> str:
    """'batch size 8', or 'full batch (128)' for the whole data set."""
    if batch_size == nz.N:
        return _t("full_label", lang, size=batch_size)
    return _t("batch_label", lang, size=batch_size)


def run_color(batch_size: int, batch_sizes) -> str:
    """White for the full batch; the mini-batches take MINI_COLORS in order of size."""
    if batch_size == nz.N:
        return FULL_COLOR
    minis = sorted(s for s in batch_sizes if s != nz.N)
    return MINI_COLORS[minis.index(batch_size) % len(MINI_COLORS)]


def heights(Z) -> np.ndarray:
    """Z's colour levels, uint8: 255·(h − h_min)/(h_max − h_min) with h = log10(Z − Z_min + ε),
    ε = 10^(−DECADES)·(Z_max − Z_min) (``surface_map.log_height``); 0 everywhere on a flat Z."""
    H = log_height(np.asarray(Z, dtype=np.float64), decades=DECADES)
    lo, hi = float(H.min()), float(H.max())
    scaled = (H - lo) / (hi - lo) if hi - lo > 1e-12 else np.zeros_like(H)
    return np.rint(255.0 * scaled).astype(np.uint8)


def _surface_trace(Z, *, xaxis="x", yaxis="y") -> dict:
    ws, bs = nz.grid_axes(Z.shape[-1])
    return dict(
        type="contour", x=ws, y=bs, z=heights(Z), xaxis=xaxis, yaxis=yaxis, colorscale="Viridis",
        zmin=0, zmax=255, showscale=False, hoverinfo="skip",
        contours=dict(start=0, end=255, size=255 / LEVELS, showlabels=False),
        line=dict(width=0.5, color="rgba(0,0,0,0.35)"),
    )


def _critical_traces(lang: str, *, xaxis="x", yaxis="y", showlegend=True) -> list[dict]:
    """The full batch's saddle (✕) and two minima (★)."""
    d = nz.dataset()
    s = np.array([nz.saddle()])
    m = nz.minima()
    out = []
    for points, key, symbol, size in ((s, "saddle", "x", 13), (m, "minima", "star", 15)):
        name = _t(key, lang)
        out.append(dict(
            type="scatter", mode="markers", x=points[:, 0], y=points[:, 1], name=name, xaxis=xaxis, yaxis=yaxis,
            legendgroup=key, showlegend=showlegend,
            marker=dict(symbol=symbol, size=size, color="white", line=dict(color="black", width=1)),
            customdata=nz.loss(points, d.x, d.y),
            hovertemplate=f"{name}<br>(w, b) = (%{{x:.3f}}, %{{y:.3f}})<br>L = %{{customdata:.4f}}<extra></extra>",
        ))
    return out


def _axes(lang: str) -> tuple[dict, dict]:
    (w0, w1), (b0, b1) = nz.WINDOW
    x = dict(range=[w0, w1], autorange=False, showgrid=False, zeroline=False, title=dict(text=_t("w_axis", lang)))
    y = dict(range=[b0, b1], autorange=False, showgrid=False, zeroline=False, title=dict(text=_t("b_axis", lang)))
    return x, y


def _thin(run: nz.Run) -> np.ndarray:
    """Indices of the path drawn: every update up to MAX_POINTS, else its turning points."""
    return keep_turns(run.path, max_points=MAX_POINTS)


# ----------------------------------------------------------------- 1. batch surfaces, animated
def _step_trace(a, b, color, name, *, dash="solid", xaxis="x", yaxis="y") -> dict:
    return dict(
        type="scatter", mode="lines+markers", x=[float(a[0]), float(b[0])], y=[float(a[1]), float(b[1])],
        xaxis=xaxis, yaxis=yaxis, name=name, showlegend=False, hoverinfo="skip",
        line=dict(color=color, width=2.5, dash=dash),
        marker=dict(symbol=["circle", "arrow"], size=[0, 13], angleref="previous", color=color),
    )


def _theta_trace(theta, color, name, text, *, xaxis="x", yaxis="y") -> dict:
    """θ as a ring: the saddle's ✕ under it stays visible."""
    return dict(
        type="scatter", mode="markers", x=[float(theta[0])], y=[float(theta[1])], xaxis=xaxis, yaxis=yaxis,
        name=name, showlegend=False, marker=dict(symbol="circle-open", size=18, color=color, line=dict(width=3)),
        hovertext=[text], hoverinfo="text",
    )


def arrow_scale(view: nz.EpochView, eta: float) -> float:
    """How many times longer than the real step the arrows are drawn: the largest 1-2-5 number that
    draws the median batch step at most ARROW_LENGTH long and the longest step (batch or full) at
    most 3·ARROW_LENGTH (steps near a saddle are tiny on the map; on a plateau all are)."""
    lengths = eta * np.concatenate([np.linalg.norm(view.batch_grad, axis=1), np.linalg.norm(view.full_grad, axis=1)])
    typical, longest = eta * float(np.median(np.linalg.norm(view.batch_grad, axis=1))), float(lengths.max())
    if not np.isfinite(longest) or longest <= 0.0:
        return 1.0
    raw = min(ARROW_LENGTH / typical if typical > 0 else np.inf, 3 * ARROW_LENGTH / longest)
    if raw <= 1.0:
        return 1.0
    decade = 10.0 ** np.floor(np.log10(raw))
    return float(max(m * decade for m in (1, 2, 5) if m * decade <= raw))


def batch_figure(result: nz.NoisyResult, view: nz.EpochView, lang: str = "en") -> go.Figure:
    """Left: the full-batch surface L; right: the surface L_B of one batch of ``view``'s epoch.

    One frame per batch (``view``'s first ≤ MAX_FRAMES of the epoch). Both panels mark θ before the
    batch's update (a ring) and draw its step −η·g_B as an arrow, ``arrow_scale`` times longer than
    it is; the left panel also shows the epoch's path so far (true positions) and, dotted, the
    full-batch step −η·∇L that gradient descent would take from the same θ, at the same scale.
    Traces, in order: 0 the full surface, 1 the batch surface, 2–5 saddle and minima (left, right),
    6 path so far, 7 full-batch step, 8 batch step (left), 9 θ (left), 10 batch step (right),
    11 θ (right). Frames update traces 1 and 6–11 and the right panel's title."""
    eta = result.config.eta
    color = run_color(view.batch_size, result.config.batch_sizes)
    scale = arrow_scale(view, eta)
    batch_tip = view.before - scale * eta * view.batch_grad
    full_tip = view.before - scale * eta * view.full_grad
    k = len(view.batches)

    def moving(i: int) -> list[dict]:
        theta = view.before[i]
        hover = _t("theta_hover", lang, w=theta[0], b=theta[1], batch_loss=view.batch_loss[i],
                   full_loss=view.full_loss[i])
        so_far = np.vstack([view.before[:i + 1], view.after[i:i + 1]])
        return [
            dict(type="scatter", mode="lines", x=so_far[:, 0], y=so_far[:, 1], name=_t("epoch_path", lang),
                 showlegend=False, hoverinfo="skip", line=dict(color=color, width=1.5)),
            _step_trace(theta, full_tip[i], FULL_COLOR, _t("full_step", lang), dash="dot"),
            _step_trace(theta, batch_tip[i], color, _t("batch_step", lang)),
            _theta_trace(theta, color, "θ", hover),
            _step_trace(theta, batch_tip[i], color, _t("batch_step", lang), xaxis="x2", yaxis="y2"),
            _theta_trace(theta, color, "θ", hover, xaxis="x2", yaxis="y2"),
        ]

    def right_title(i: int) -> str:
        return _t("batch_panel", lang, batch=i + 1, batches=view.batches_in_epoch, epoch=view.epoch + 1,
                  size=view.batch_size)

    data = [_surface_trace(nz.full_surface()), _surface_trace(view.surfaces[0], xaxis="x2", yaxis="y2")]
    data += _critical_traces(lang, showlegend=False) + _critical_traces(lang, xaxis="x2", yaxis="y2",
                                                                        showlegend=False)
    data += moving(0)
    xa, ya = _axes(lang)
    title = dict(xref="paper", yref="paper", y=1.0, xanchor="center", yanchor="bottom", showarrow=False,
                 font=dict(size=14))
    note = dict(text=_t("arrow_note", lang, scale=f"{scale:g}"), x=0.0, y=-0.1, xref="paper", yref="paper",
                xanchor="left", yanchor="top", yshift=-34, showarrow=False, font=dict(size=12, color=_GREY))
    titles = [dict(title, text=_t("full_panel", lang), x=0.225), dict(title, text=right_title(0), x=0.775), note]
    names = [str(i + 1) for i in range(k)]
    frames = []
    for i in range(k):
        frames.append(dict(
            name=names[i], traces=[1, 6, 7, 8, 9, 10, 11],
            data=[dict(type="contour", z=heights(view.surfaces[i]))] + moving(i),
            layout=dict(annotations=[titles[0], dict(titles[1], text=right_title(i)), note]),
        ))
    play = {"frame": {"duration": FRAME_MS, "redraw": True}, "transition": {"duration": 0}, "fromcurrent": True,
            "mode": "immediate"}
    jump = {"frame": {"duration": 0, "redraw": True}, "transition": {"duration": 0}, "mode": "immediate"}
    pause = {"frame": {"duration": 0, "redraw": False}, "transition": {"duration": 0}, "mode": "immediate"}
    layout = dict(
        height=MAP_HEIGHT + 30, margin=dict(l=8, r=8, t=48, b=38), hovermode="closest", showlegend=False,
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis=dict(xa, domain=[0.0, 0.45]), yaxis=dict(ya, anchor="x"),
        xaxis2=dict(xa, domain=[0.55, 1.0]), yaxis2=dict(ya, anchor="x2", title=dict(text="")),
        annotations=titles,
        updatemenus=[dict(type="buttons", direction="left", showactive=False, x=0.0, xanchor="left", y=-0.1,
                          yanchor="top", pad=dict(t=0, r=6), buttons=[
                              dict(label=_t("play", lang), method="animate", args=[None, play]),
                              dict(label=_t("pause", lang), method="animate", args=[[None], pause]),
                          ])],
        sliders=[dict(active=0, x=0.2, len=0.8, xanchor="left", y=-0.1, yanchor="top", pad=dict(t=0, b=0),
                      currentvalue=dict(prefix=_t("slider_prefix", lang), visible=True, xanchor="right",
                                        font=dict(size=12, color=_GREY)),
                      steps=[dict(method="animate", label=name, args=[[name], jump]) for name in names])],
    )
    return go.Figure(dict(data=data, layout=layout, frames=frames), _validate=False)


# ----------------------------------------------------------------- 2. SGD paths on the full surface
def paths_figure(result: nz.NoisyResult, lang: str = "en") -> go.Figure:
    """Every run's path on the full-batch surface L, from the common start (●) to its end (■).

    Traces: the surface; the saddle and minima; per run its path (``name`` = its label), then its
    end marker; last the start."""
    data = [_surface_trace(nz.full_surface())] + _critical_traces(lang)
    epoch_word = _t("epoch", lang)
    sizes = result.config.batch_sizes
    for run in result.runs:
        keep = _thin(run)
        label, color = run_label(run.batch_size, lang), run_color(run.batch_size, sizes)
        custom = np.column_stack([run.epochs[keep], run.loss[keep]])
        hover = (f"{label}<br>{epoch_word} %{{customdata[0]:.3f}}<br>(w, b) = (%{{x:.3f}}, %{{y:.3f}})"
                 f"<br>L = %{{customdata[1]:.4f}}<extra></extra>")
        data.append(dict(type="scatter", mode="lines", x=run.path[keep, 0], y=run.path[keep, 1], name=label,
                         legendgroup=label, line=dict(color=color, width=1.6), customdata=custom,
                         hovertemplate=hover))
        data.append(dict(type="scatter", mode="markers", x=run.path[-1:, 0], y=run.path[-1:, 1],
                         name=f"{label} · {_t('end', lang)}", legendgroup=label, showlegend=False,
                         marker=dict(symbol="square", size=11, color=color, line=_MARK),
                         customdata=custom[-1:], hovertemplate=hover))
    start = result.config.start
    data.append(dict(type="scatter", mode="markers", x=[start[0]], y=[start[1]], name=_t("start", lang),
                     marker=dict(symbol="circle", size=13, color="#ffe04d", line=_MARK),
                     hovertemplate=f"{_t('start', lang)}<br>(w, b) = (%{{x:.3f}}, %{{y:.3f}})<extra></extra>"))
    xa, ya = _axes(lang)
    layout = dict(height=MAP_HEIGHT, margin=dict(l=8, r=8, t=8, b=8), hovermode="closest", xaxis=xa, yaxis=ya,
                  paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", legend=_LEGEND)
    return go.Figure(dict(data=data, layout=layout), _validate=False)


# ----------------------------------------------------------------- 3. loss curves
def _chart_layout(lang: str, x_title: str, y_title: str, **extra) -> dict:
    axis = dict(gridcolor=_GRID, zeroline=False, linecolor=_GREY)
    layout = dict(height=CHART_HEIGHT, margin=dict(l=8, r=8, t=8, b=8), hovermode="closest",
                  paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor=_DARK_PLOT, legend=_LEGEND,
                  xaxis=dict(axis, title=dict(text=x_title)), yaxis=dict(axis, title=dict(text=y_title)))
    return dict(layout, **extra)


def loss_figure(result: nz.NoisyResult, lang: str = "en") -> go.Figure:
    """The full-batch loss L(θ) after every update against epochs (update / (N/|B|)), per run, with
    the loss at the saddle and at the minima as dotted reference lines."""
    d = nz.dataset()
    epochs = result.config.epochs
    data = []
    for ref, key, dash in ((nz.loss(np.array(nz.saddle()), d.x, d.y), "saddle_loss", "dot"),
                           (nz.loss(nz.minima()[1], d.x, d.y), "minimum_loss", "dash")):
        data.append(dict(type="scatter", mode="lines", x=[0, epochs], y=[float(ref)] * 2,
                         name=_t(key, lang, loss=float(ref)), line=dict(color=_GREY, width=1.2, dash=dash),
                         hoverinfo="skip"))
    epoch_word = _t("epoch", lang)
    sizes = result.config.batch_sizes
    for run in result.runs:
        keep = keep_turns(run.loss, max_points=MAX_POINTS)
        label = run_label(run.batch_size, lang)
        data.append(dict(type="scatter", mode="lines", x=run.epochs[keep], y=run.loss[keep], name=label,
                         line=dict(color=run_color(run.batch_size, sizes), width=1.6),
                         hovertemplate=f"{label}<br>{epoch_word} %{{x:.3f}}<br>L = %{{y:.4f}}<extra></extra>"))
    layout = _chart_layout(lang, _t("epochs_axis", lang), _t("loss_axis", lang), height=MAP_HEIGHT)
    return go.Figure(dict(data=data, layout=layout), _validate=False)


# ----------------------------------------------------------------- 4. the data and the fitted curves
def fit_figure(result: nz.NoisyResult, lang: str = "en") -> go.Figure:
    """The examples (x, y), class 1 drawn at 1, class 0 at 0 (nudged apart vertically so that twins
    and neighbours show), and ŷ = σ(w·x + b) at each run's final θ."""
    d = nz.dataset()
    nudge = 0.035 * np.sin(np.arange(nz.N) * 2.399)  # a fixed, even spread: no random jitter
    data = []
    for cls, color in ((0, "#b0b3c0"), (1, "#ffe04d")):
        at = d.y == cls
        data.append(dict(type="scatter", mode="markers", x=d.x[at], y=d.y[at] + nudge[at],
                         name=_t(f"class{cls}", lang), marker=dict(size=7, color=color, opacity=0.8),
                         hovertemplate="x = %{x:.3f}<extra></extra>"))
    xs = np.linspace(-3.5, 3.5, 141)
    sizes = result.config.batch_sizes
    for run in result.runs:
        w, b = run.path[-1]
        label = run_label(run.batch_size, lang)
        data.append(dict(type="scatter", mode="lines", x=xs, y=nz.sigmoid(w * xs + b),
                         name=_t("fit_name", lang, label=label, w=w, b=b),
                         line=dict(color=run_color(run.batch_size, sizes), width=2),
                         hovertemplate=f"{label}<br>x = %{{x:.2f}}<br>ŷ = %{{y:.3f}}<extra></extra>"))
    layout = _chart_layout(lang, _t("x_axis", lang), _t("y_axis", lang))
    layout["yaxis"]["range"] = [-0.12, 1.12]
    return go.Figure(dict(data=data, layout=layout), _validate=False)
