"""The learning-rate sweep: what each run did, against its learning rate.

Pure functions (a ``lab.sweep.SweepResult`` in, Plotly figures and RunViews out, no Streamlit).

``sweep_figure`` has two rows sharing a log learning-rate axis:

1. the final loss above the lowest minimum, L(θ_T) − L* (log y, clipped below
   at ``FLOOR`` as in figures.diagnostics);
2. the distance from θ_T to the nearest known minimum (log y, same floor).

One colour per optimizer (a thin line through its rates), one marker symbol
per label (● converged, ◆ oscillating, ▶ still moving, ✕ diverged; the
legend's grey entries explain them). A diverged run is drawn at its last
good point (where the engine stopped it) with ✕; nothing non-finite enters
the figure. Each point's ``customdata`` is ``[rate, optimizer index, L − L*,
distance]``, so a click (Streamlit's ``on_select="rerun"``, points mode)
says which run it was. Chosen runs get a ring in their map colour.

``run_views`` turns chosen runs into RunViews for ``figures.map.path_map``.
Every word drawn comes from the catalogs (``i18n``, table ``[sweep.figure]``) in ``lang``.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import i18n
from lab.runs import PALETTE, RunView
from lab.sweep import LABELS, display_name, label_text, parse_pick

from .diagnostics import FLOOR, line_color, lowest_loss

# Distinct on Streamlit's light and dark backgrounds.
OPTIMIZER_COLORS = ("#1f77b4", "#e8590c", "#2f9e44")
SYMBOLS = {"converged": "circle", "oscillating": "diamond", "still_moving": "triangle-right", "diverged": "x"}
ROW_TITLE_KEYS = ("sweep.figure.row_loss", "sweep.figure.row_distance")
_GREY = "#808495"
_KEEP_OPAQUE = dict(marker=dict(opacity=1))  # a click selects a point: the others must not fade
HEIGHT = 700


def _clip(values) -> np.ndarray:
    """Values for a log axis: at least FLOOR, non-finite ones (none expected) drawn at the largest float."""
    v = np.asarray(values, dtype=np.float64)
    return np.maximum(np.where(np.isfinite(v), v, np.finfo(np.float64).max), FLOOR)


def rows(result, L_star: float | None = None) -> list[dict]:
    """Per optimizer the plotted values: rates, gap = L − L* and distance (both clipped), labels."""
    if L_star is None:
        L_star = lowest_loss(result.surface)
    out = []
    for sweep in result.runs:
        with np.errstate(over="ignore", invalid="ignore"):
            gap = _clip(sweep.final_loss - L_star)
        # no known minimum (distance inf): no point on the distance row rather than one at the largest float
        distance = np.where(np.isinf(sweep.distance), np.nan, _clip(sweep.distance))
        out.append(dict(rates=np.asarray(sweep.rates, dtype=np.float64), gap=gap, distance=distance,
                        label=np.asarray(sweep.label), diverged_at=np.asarray(sweep.diverged_at)))
    return out


def _hover_text(name: str, label: np.ndarray, diverged_at: np.ndarray, lang: str) -> list[str]:
    out = []
    for lab, d in zip(label, diverged_at):
        text = f"{name} · {label_text(lab, lang)}"
        if d >= 0:
            text += i18n.text("sweep.figure.diverged_at", lang, step=f"{int(d):,}")
        out.append(text)
    return out


def _hover(lang: str) -> str:
    distance = i18n.text("sweep.figure.distance", lang)
    return ("%{text}<br>η = %{customdata[0]:.3g}<br>L − L* = %{customdata[2]:.3g}"
            f"<br>{distance} = %{{customdata[3]:.3g}}<extra></extra>")


def sweep_figure(result, picks=(), *, height: int = HEIGHT, lang: str = "en") -> go.Figure:
    """Final loss and distance to the nearest minimum against the learning rate (see the module doc).

    ``picks``: chosen runs (``lab.sweep.pick_key`` strings), ringed in the colour their path has on
    the map (``run_views``, same order). ``lang``: the language of every word on it."""
    titles = [i18n.text(key, lang) for key in ROW_TITLE_KEYS]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, subplot_titles=titles)
    fig.update_annotations(font_size=12)
    hover = _hover(lang)
    data = rows(result)
    for i, (sweep, d) in enumerate(zip(result.runs, data)):
        color = OPTIMIZER_COLORS[i % len(OPTIMIZER_COLORS)]
        custom = np.column_stack([d["rates"], np.full(len(d["rates"]), float(i)), d["gap"], d["distance"]])
        name = display_name(sweep.optimizer, lang)
        text = _hover_text(name, d["label"], d["diverged_at"], lang)
        symbols = [SYMBOLS[lab] for lab in d["label"]]
        for row, y in ((1, d["gap"]), (2, d["distance"])):
            fig.add_trace(go.Scatter(
                x=d["rates"], y=y, mode="lines+markers", name=name, legendgroup=sweep.optimizer,
                showlegend=row == 1, customdata=custom, text=text, hovertemplate=hover,
                line=dict(color=color, width=1.5),
                marker=dict(symbol=symbols, size=9, color=color, line=dict(color=color, width=1.5)),
                unselected=_KEEP_OPAQUE, selected=dict(marker=dict(opacity=1)),
            ), row=row, col=1)

    # Chosen runs: a ring in the map colour of their path.
    by_name = {s.optimizer: (i, s, d) for i, (s, d) in enumerate(zip(result.runs, data))}
    for p, key in enumerate(picks):
        optimizer, rate = parse_pick(key)
        if optimizer not in by_name:
            continue
        i, sweep, d = by_name[optimizer]
        k = sweep.index(rate)
        ring = line_color(PALETTE[p % len(PALETTE)])
        custom = [[float(d["rates"][k]), float(i), float(d["gap"][k]), float(d["distance"][k])]]
        name = display_name(sweep.optimizer, lang)
        run = _hover_text(name, d["label"][k:k + 1], d["diverged_at"][k:k + 1], lang)[0]
        text = [i18n.text("sweep.figure.chosen_hover", lang, run=run)]
        for row, y in ((1, d["gap"]), (2, d["distance"])):
            fig.add_trace(go.Scatter(
                x=[float(d["rates"][k])], y=[float(y[k])], mode="markers",
                name=i18n.text("sweep.figure.chosen", lang, name=name, rate=f"{d['rates'][k]:.3g}"),
                legendgroup=f"pick{p}", showlegend=row == 1,
                marker=dict(symbol="circle-open", size=20, color=ring, line=dict(width=3)),
                customdata=custom, text=text, hovertemplate=hover, unselected=_KEEP_OPAQUE,
            ), row=row, col=1)

    # The labels' legend: one grey entry per symbol. Plotly leaves an empty trace out of the legend, so
    # each holds one point, placed outside the fixed range of a hidden third axis pair: never drawn,
    # never hovered or clicked, but listed with its symbol at the usual size.
    for lab in LABELS:
        fig.add_trace(go.Scatter(
            x=[2.0], y=[2.0], xaxis="x3", yaxis="y3", mode="markers", name=label_text(lab, lang),
            legendgroup=f"label-{lab}", legend="legend2", hoverinfo="skip",
            marker=dict(symbol=SYMBOLS[lab], size=9, color=_GREY, line=dict(color=_GREY, width=1.5)),
        ))
    fig.update_xaxes(type="log", exponentformat="power", showexponent="all")
    fig.update_xaxes(title_text=i18n.text("sweep.figure.rate_axis", lang), row=2, col=1)
    fig.update_yaxes(type="log", exponentformat="power", showexponent="all")
    fig.update_yaxes(title_text="L − L*", row=1, col=1)
    fig.update_yaxes(title_text=i18n.text("sweep.figure.distance", lang), row=2, col=1)
    hidden = dict(visible=False, type="linear", range=[0.0, 1.0], fixedrange=True, domain=[0.0, 0.01])
    fig.update_layout(xaxis3=dict(hidden, anchor="y3"), yaxis3=dict(hidden, anchor="x3"))
    fig.update_layout(
        height=int(height), margin=dict(l=70, r=20, t=30, b=140), hovermode="closest", clickmode="event+select",
        legend=dict(orientation="h", yanchor="top", y=-0.13, x=0, xanchor="left"),
        legend2=dict(orientation="h", yanchor="top", y=-0.2, x=0, xanchor="left",
                     title=dict(text=i18n.text("sweep.figure.legend_title", lang)), itemclick=False,
                     itemdoubleclick=False),
        uirevision=f"sweep:{result.config.surface}:{result.config.surface_params}",
    )
    return fig


def run_label(result, key: str, lang: str = "en") -> str:
    """A chosen run's name on the map: "GD η=0.01 · oscillating"."""
    optimizer, rate = parse_pick(key)
    sweep = result.of(optimizer)
    k = sweep.index(rate)
    return i18n.text("sweep.figure.run", lang, name=display_name(optimizer, lang), rate=f"{sweep.rates[k]:.3g}",
                     label=label_text(sweep.label[k], lang))


def run_views(result, picks, trajectories=None, lang: str = "en") -> list[RunView]:
    """RunViews of the chosen runs for ``figures.map.path_map(surface, runs, animate=False)``.

    ``trajectories``: one K = 1 Trajectory per pick (``lab.sweep.trace_picks``: every step recorded);
    without them the sweep's own thinned paths are used. Colours follow ``PALETTE`` in pick order,
    as the rings in ``sweep_figure``. The map draws later runs on top, so bouncing and diverged runs
    come first, the one covering most of the window first: a bounce across the valley fills a band
    that would otherwise hide the other paths. ``lang``: the language of the runs' names."""

    views = []
    for p, key in enumerate(picks):
        optimizer, rate = parse_pick(key)
        sweep = result.of(optimizer)
        k = sweep.index(rate)
        if trajectories is not None:
            traj = trajectories[p]
        else:
            traj = sweep.trajectory.select(k)
        eta = np.full(len(traj.steps), float(sweep.rates[k]))
        view = RunView(run_label(result, key, lang), PALETTE[p % len(PALETTE)], traj, eta)
        wide = sweep.label[k] in ("oscillating", "diverged")
        views.append((not wide, -_area(result.surface, view) if wide else 0.0, p, view))
    return [v[-1] for v in sorted(views, key=lambda v: v[:3])]


def _area(surface, view: RunView) -> float:
    """The area of the window that a run's bounding box covers (its path up to the last good point)."""
    (x0, x1), (y0, y1) = surface.bounds
    path = view.path[: view.last_good + 1]
    path = path[np.isfinite(path).all(axis=1)]
    if not len(path):
        return 0.0
    lo = np.maximum(path.min(axis=0), (x0, y0))
    hi = np.minimum(path.max(axis=0), (x1, y1))
    return float(np.prod(np.maximum(hi - lo, 0.0)))
