"""Generalization and batch size: the digits runs and the one-dimensional flat/sharp picture.

Pure functions (results in, Plotly figures out, no Streamlit, no torch): the digits figures take
``batchlab.digits.TrainRun`` objects (read through their fields only), the toy figures a
``batchlab.flat_sharp.ToyResult``. Every visible string comes from the ``generalization`` table
of the catalogs (``lang``).

- ``accuracy_figure``: final training and validation accuracy against the batch size (log x),
  the lecture's figure, after the same number of epochs or at the same training loss. A diverged run has no accuracy worth drawing: it is marked ✕ at the
  chance level (10 %), the line skips it.
- ``loss_figure``: training and validation loss per epoch (or per update), one line per batch size.
- ``sharpness_figure``: λ_max of the training loss at the end of each run against the batch size,
  and the largest λ_max that full-batch gradient descent with that η (and momentum μ) can settle
  in, 2(1 + μ)/η.
- ``toy_figure``: L(θ) and L(θ − δ), where the small- and large-batch seeds ended (a strip of
  points on the curve, and a histogram), and ``toy_loss_figure``: their mean training and test loss.

No NaN or inf enters a figure: diverged runs are left out of the lines (and said so), the log
axes only receive positive values.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import sample_colorscale
from plotly.subplots import make_subplots

import i18n

TRAIN_COLOR, VAL_COLOR = "#1f77b4", "#e8590c"
SMALL_COLOR, LARGE_COLOR = "#2f9e44", "#c2255c"
LIMIT_COLOR = "#808495"
CHANCE = 10.0  # % accuracy of a guess among 10 digits
HEIGHT = 420


def _t(key: str, lang: str, **fields) -> str:
    return i18n.text(f"generalization.fig.{key}", lang, **fields)


def batch_label(batch: int, full_batch: int, lang: str = "en") -> str:
    """"8", or "1,437 (full)" for the whole training set."""
    return _t("full", lang, n=batch) if batch == full_batch else f"{batch:,}"


def batch_colors(batches) -> dict[int, str]:
    """One colour per batch size, from dark (small) to orange (large), on a log scale of B."""
    batches = sorted(batches)
    if len(batches) == 1:
        return {batches[0]: sample_colorscale("Plasma", [0.0])[0]}
    logs = np.log(np.asarray(batches, dtype=np.float64))
    where = 0.85 * (logs - logs[0]) / max(logs[-1] - logs[0], 1e-12)
    return dict(zip(batches, sample_colorscale("Plasma", list(where))))


def _batch_axis(fig, batches, full_batch: int, lang: str, **where):
    """Log x with a tick at each batch size; the full batch's on two lines (a long label would be dropped)."""
    text = [i18n.text("generalization.fig_more.full_tick", lang, n=b) if b == full_batch else f"{b:,}" for b in batches]
    fig.update_xaxes(type="log", tickvals=list(batches), ticktext=text, title_text=_t("batch_axis", lang), **where)


def _layout(fig, lang: str, title: str, height: int = HEIGHT):
    """Title on top, legend under the x axis title (on half-width charts a legend beside the title
    would cover it)."""
    fig.update_layout(title=dict(text=title, x=0.0, xanchor="left"), height=height,
                      margin=dict(l=60, r=20, t=60, b=20), hovermode="closest",
                      legend=dict(orientation="h", yref="container", yanchor="bottom", y=0.0, xanchor="left", x=0.0))
    fig.update_xaxes(automargin=True)
    return fig


# ----------------------------------------------------------------- digits
def accuracy_figure(runs, full_batch: int, lang: str = "en", target: bool = False) -> go.Figure:
    """Final training and validation accuracy (%) against the batch size (log x): after the last epoch, or
    (``target``) where each run reached its target training loss."""
    runs = sorted(runs, key=lambda r: r.config.batch_size)
    good = [r for r in runs if not r.diverged]
    bad = [r for r in runs if r.diverged]
    fig = go.Figure()
    for field, color, key in (("train_acc", TRAIN_COLOR, "train"), ("val_acc", VAL_COLOR, "val")):
        fig.add_trace(go.Scatter(
            x=[r.config.batch_size for r in good], y=[100.0 * float(getattr(r, field)[-1]) for r in good],
            mode="lines+markers", name=_t(key, lang), line=dict(color=color, width=2), marker=dict(size=9),
            customdata=[[r.config.lr, r.updates] for r in good],
            hovertemplate=_t("acc_hover", lang, which=_t(key, lang)) + "<extra></extra>"))
    if bad:
        fig.add_trace(go.Scatter(
            x=[r.config.batch_size for r in bad], y=[CHANCE] * len(bad), mode="markers", name=_t("diverged", lang),
            marker=dict(symbol="x", size=12, color="#d62728"),
            customdata=[[r.config.lr, r.diverged_epoch] for r in bad],
            hovertemplate=_t("diverged_hover", lang) + "<extra></extra>"))
    _batch_axis(fig, [r.config.batch_size for r in runs], full_batch, lang)
    suffix = "_target" if target else ""
    fig.update_yaxes(title_text=_t("acc_axis" + suffix, lang), ticksuffix=" %")
    return _layout(fig, lang, _t("acc_title" + suffix, lang))


def loss_figure(runs, full_batch: int, x: str = "epoch", lang: str = "en") -> go.Figure:
    """Training (left) and validation (right) cross-entropy per epoch, or per update (``x="update"``,
    log x from the first epoch's end: update 0 has no place on it), one line per batch size (log y);
    a diverged run ends at its last finite epoch."""
    runs = sorted(runs, key=lambda r: r.config.batch_size)
    colors = batch_colors([r.config.batch_size for r in runs])
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=(_t("train_loss", lang), _t("val_loss", lang)))
    for r in runs:
        b = r.config.batch_size
        epochs = np.arange(len(r.train_loss))
        first = 1 if x == "update" else 0
        xs = (epochs * r.config.updates_per_epoch if x == "update" else epochs)[first:]
        name = _t("batch_name", lang, b=batch_label(b, full_batch, lang))
        for col, values in ((1, r.train_loss), (2, r.val_loss)):
            fig.add_trace(go.Scatter(
                x=xs, y=np.maximum(values[first:], 1e-6), mode="lines", name=name, legendgroup=str(b), showlegend=col == 1,
                line=dict(color=colors[b], width=2),
                hovertemplate=_t("loss_hover", lang, b=batch_label(b, full_batch, lang),
                                 x=_t("x_" + x, lang)) + "<extra></extra>"), row=1, col=col)
    fig.update_yaxes(type="log", title_text=_t("loss_axis", lang), tickformat="~g", dtick="D2", row=1, col=1)
    fig.update_yaxes(type="log", tickformat="~g", dtick="D2", row=1, col=2)
    xtype = "log" if x == "update" else "linear"
    fig.update_xaxes(title_text=_t("x_" + x, lang), type=xtype)
    return _layout(fig, lang, _t("loss_title", lang))


def stability_limit(lr: float, momentum: float) -> float:
    """2(1 + μ)/η: beyond this curvature, full-batch gradient descent (heavy ball μ) cannot settle."""
    return 2.0 * (1.0 + momentum) / lr


def sharpness_figure(runs, full_batch: int, lang: str = "en") -> go.Figure:
    """λ_max of the training loss where each run ended, against the batch size; the stability limit
    2(1 + μ)/η of each run's learning rate for comparison. Log y when every value is positive."""
    runs = sorted(runs, key=lambda r: r.config.batch_size)
    good = [r for r in runs if not r.diverged and np.isfinite(r.sharpness)]
    fig = go.Figure()
    if good:
        fig.add_trace(go.Scatter(
            x=[r.config.batch_size for r in good], y=[float(r.sharpness) for r in good], mode="lines+markers",
            name=_t("sharpness", lang), line=dict(color="#6741d9", width=2), marker=dict(size=9),
            customdata=[[float(r.train_loss[-1]), 100.0 * float(r.train_acc[-1])] for r in good],
            hovertemplate=_t("sharp_hover", lang) + "<extra></extra>"))
        fig.add_trace(go.Scatter(
            x=[r.config.batch_size for r in good],
            y=[stability_limit(r.config.lr, r.config.momentum) for r in good], mode="lines+markers",
            name=_t("limit", lang), line=dict(color=LIMIT_COLOR, width=1.5, dash="dot"),
            marker=dict(size=6, symbol="line-ew-open"), hovertemplate=_t("limit_hover", lang) + "<extra></extra>"))
    values = [float(r.sharpness) for r in good]
    _batch_axis(fig, [r.config.batch_size for r in runs], full_batch, lang)
    # "~g": on a log axis Plotly would label 20 as a bare "2" between the decades
    log = bool(values) and min(values) > 0
    fig.update_yaxes(title_text=_t("sharp_axis", lang), type="log" if log else "linear", tickformat="~g",
                     dtick="D2" if log else None)
    return _layout(fig, lang, _t("sharp_title", lang))


# ----------------------------------------------------------------- the one-dimensional picture
def toy_curves(result, points: int = 600):
    """θ on a grid over the starts' interval and the end points, with L(θ) and L(θ − δ)."""
    ends = np.concatenate([result.small.ends, result.large.ends, result.starts])
    lo, hi = min(float(ends.min()), -2.0) - 0.2, max(float(ends.max()), 2.0) + 0.2
    theta = np.linspace(lo, hi, points)
    land = result.landscape
    return theta, land.loss(theta), land.test_loss(theta, result.config.shift)


def toy_figure(result, lang: str = "en") -> go.Figure:
    """Top: the training loss L(θ), the test loss L(θ − δ), the two minima, and each seed's end point
    on the training curve (small batch above, large batch below, slightly apart). Bottom: how many
    seeds ended where (histograms, same θ axis)."""
    land, cfg = result.landscape, result.config
    marks = land.landmarks
    theta, train, test = toy_curves(result)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=(0.68, 0.32), vertical_spacing=0.06)
    fig.add_trace(go.Scatter(x=theta, y=train, mode="lines", name=_t("toy_train", lang),
                             line=dict(color=TRAIN_COLOR, width=2.5),
                             hovertemplate="θ = %{x:.3f}<br>L = %{y:.3f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=theta, y=test, mode="lines", name=_t("toy_test", lang, delta=cfg.shift),
                             line=dict(color=VAL_COLOR, width=2, dash="dash"),
                             hovertemplate="θ = %{x:.3f}<br>L(θ − δ) = %{y:.3f}<extra></extra>"), row=1, col=1)
    span = float(train.max() - train.min())
    for which, color, lift in (("small", SMALL_COLOR, 0.06), ("large", LARGE_COLOR, 0.12)):
        ends = getattr(result, which)
        name = _t("toy_ends", lang, b=ends.batch, flat=100.0 * ends.flat_share)
        fig.add_trace(go.Scatter(
            x=ends.ends, y=ends.train_loss + lift * span, mode="markers", name=name, legendgroup=which,
            marker=dict(color=color, size=7, opacity=0.5, symbol="triangle-down"),
            hovertemplate=_t("toy_end_hover", lang, b=ends.batch) + "<extra></extra>",
            customdata=np.stack([ends.train_loss, ends.test_loss], -1)), row=1, col=1)
        fig.add_trace(go.Histogram(x=ends.ends, name=name, legendgroup=which, showlegend=False,
                                   marker=dict(color=color), opacity=0.6,
                                   xbins=dict(start=float(theta[0]), end=float(theta[-1]),
                                              size=float(theta[-1] - theta[0]) / 120),
                                   hovertemplate=_t("toy_hist_hover", lang) + "<extra></extra>"), row=2, col=1)
    for key, where in (("toy_flat", marks.flat), ("toy_sharp", marks.sharp)):
        curvature = float(land.curvature(where))
        fig.add_annotation(x=where, y=float(land.loss(where)), text=_t(key, lang, h=curvature), showarrow=True,
                           arrowhead=2, ax=0, ay=48, row=1, col=1)
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(title_text=_t("toy_loss_axis", lang), row=1, col=1)
    fig.update_yaxes(title_text=_t("toy_count_axis", lang), row=2, col=1)
    fig.update_xaxes(title_text="θ", row=2, col=1)
    return _layout(fig, lang, _t("toy_title", lang, steps=cfg.steps, runs=cfg.runs, lr=cfg.lr), height=560)


def toy_loss_figure(result, lang: str = "en") -> go.Figure:
    """Mean training loss L(θ_T) and mean test loss L(θ_T − δ) over the seeds, small and large batch."""
    fig = go.Figure()
    names = [_t("toy_batch", lang, b=getattr(result, w).batch) for w in ("small", "large")]
    for key, field, color in (("toy_mean_train", "train_loss", TRAIN_COLOR), ("toy_mean_test", "test_loss", VAL_COLOR)):
        values = [float(getattr(getattr(result, w), field).mean()) for w in ("small", "large")]
        fig.add_trace(go.Bar(x=names, y=values, name=_t(key, lang), marker_color=color,
                             text=[f"{v:.3f}" for v in values], textposition="outside",
                             hovertemplate="%{x}: %{y:.4f}<extra></extra>"))
    # The losses sit far above 0 (the per-example curves are ≥ 0 and rarely all at their bottoms):
    # start the axis just below the lower minimum so that the differences show.
    marks = result.landscape.landmarks
    lowest = float(min(result.landscape.loss(marks.sharp), result.landscape.loss(marks.flat)))
    highest = max(float(getattr(getattr(result, w), f).mean()) for w in ("small", "large")
                  for f in ("train_loss", "test_loss"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=_t("toy_mean_axis", lang),
                     range=[lowest - 0.05, highest + 0.15 * (highest - lowest + 0.05)])
    return _layout(fig, lang, _t("toy_means_title", lang, delta=result.config.shift), height=560)
