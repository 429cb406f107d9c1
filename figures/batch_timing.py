"""The batch timing experiment drawn as in the lecture: two curves against the batch size B, log axes.

Pure functions (``batchlab.timing_csv.TimingRow`` lists in, a Plotly figure or table columns out;
no Streamlit, no torch).

``timing_figure`` has two panels sharing the batch-size axis:

1. time per update: the median t(B) of the timed updates, with bars over the middle half of the
   timings (25th to 75th percentile);
2. time per epoch: the estimate T(B) = ⌈N / B⌉ · t(B) as a line, and ◇ where one real epoch was
   timed as a whole.

One colour per series (a source — measured here, or an uploaded CSV — with its device and model);
the legend names the device, and so does the title. A batch size without times (out of memory, not
run for want of memory, or the measuring process crashed) is marked ✕ on both panels and named in a
note under them ("out of memory at batch 60,000 on this device");
rows without times never enter a trace, so nothing non-finite is drawn. The x range spans every
planned size, so the axes stay put while results come in. Every word comes from the catalogs
(``i18n``, table ``[batch_timing.figure]``) in ``lang``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.subplots import make_subplots

import i18n

COLORS = ("#1f77b4", "#e8590c", "#2f9e44", "#9c36b5", "#c92a2a", "#1098ad")
_GREY = "#808495"
HEIGHT = 520
_NOTE_LINE = 0.075  # paper height of one note line under the panels


@dataclass(frozen=True)
class Series:
    """The rows of one source, device and model, in batch order."""
    source: str  # "live" or "uploaded"
    device: str
    model: str
    rows: tuple

    def name(self, lang: str = "en") -> str:
        model = i18n.text(f"batch_timing.models.{self.model}", lang) if self.model in ("mlp", "cnn") else self.model
        name = i18n.text("batch_timing.figure.series", lang, model=model, device=self.device)
        return name if self.source == "live" else i18n.text("batch_timing.figure.uploaded", lang, name=name)


def group(sources) -> list[Series]:
    """``[(source, rows), ...]`` → one Series per (source, device, model), first-seen order."""
    out: dict = {}
    for source, rows in sources:
        for row in rows:
            out.setdefault((source, row.device, row.model), []).append(row)
    return [Series(s, d, m, tuple(sorted(rows, key=lambda r: r.batch))) for (s, d, m), rows in out.items()]


def format_seconds(s: float) -> str:
    """A duration with a readable unit: 12.3 µs, 6.19 ms, 1.23 s, 123 s, 1,470 s."""
    s = float(f"{s:.3g}")  # round first, so that 0.0009996 s reads 1 ms, not 1e+03 µs
    if s >= 100:
        return f"{s:,.0f} s"
    for unit, scale in (("s", 1.0), ("ms", 1e-3)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-6:.3g} µs"


LECTURE_PAIR = (1, 1_000)  # the lecture's comparison: an update on one example against one on a thousand


@dataclass(frozen=True)
class Ratio:
    """One series' two curves in two numbers: the large batch against the small one."""
    small: object  # TimingRow
    large: object
    update: float  # t(large) / t(small): how many times as long one update takes
    epoch: float  # T(large) / T(small), epoch estimates: how many times as long one epoch takes

    @property
    def examples(self) -> float:
        return self.large.batch / self.small.batch


def ratio(rows) -> Ratio | None:
    """The lecture's pair (B = 1 against B = 1,000) where both were measured, else the smallest measured
    batch against the largest; None with fewer than two measured batch sizes."""
    ok = sorted((r for r in rows if r.ok), key=lambda r: r.batch)
    if len(ok) < 2:
        return None
    by_batch = {r.batch: r for r in ok}
    small, large = ((by_batch[LECTURE_PAIR[0]], by_batch[LECTURE_PAIR[1]]) if set(LECTURE_PAIR) <= set(by_batch)
                    else (ok[0], ok[-1]))
    return Ratio(small, large, large.median_s / small.median_s, large.epoch_estimate_s / small.epoch_estimate_s)


def format_ratio(x: float) -> str:
    """A ratio without an exponent: 3 significant digits below 100 (0.0628, 3.77), whole numbers above (3,771)."""
    return f"{x:,.0f}" if x >= 100 else f"{x:.3g}"


def ratio_text(series: Series, lang: str = "en", name: str | None = None) -> str | None:
    """"MLP · CPU: …: one update at B = 1,000 takes 13.1× as long as at B = 1; one epoch 0.0131× as long, with
    1,000× the examples per update." for a series with two measured batch sizes, else None; ``name`` instead of
    the series' own (a page quotes a name that came from an uploaded file)."""
    r = ratio(series.rows)
    if r is None:
        return None
    return i18n.text("batch_timing.ratio", lang, series=name or series.name(lang), large=f"{r.large.batch:,}",
                     small=f"{r.small.batch:,}", update=format_ratio(r.update), epoch=format_ratio(r.epoch),
                     examples=format_ratio(r.examples))


_NOTES = {"out_of_memory": "batch_timing.figure.oom", "memory_guard": "batch_timing.figure.memory_guard",
          "crashed": "batch_timing.worker.figure_crashed"}
_STATUS = {"ok": "batch_timing.table.status_ok", "out_of_memory": "batch_timing.table.status_out_of_memory",
           "memory_guard": "batch_timing.table.status_memory_guard", "crashed": "batch_timing.worker.status_crashed"}


def _memory_note(series: Series, row, lang: str, many: bool) -> str:
    note = i18n.text(_NOTES[row.status], lang, batch=f"{row.batch:,}")
    return i18n.text("batch_timing.figure_notes.of_series", lang, name=series.name(lang), note=note) if many else note


def _update_hover(row, lang: str) -> str:
    return i18n.text("batch_timing.figure.hover_update", lang, batch=f"{row.batch:,}",
                     median=format_seconds(row.median_s), low=format_seconds(row.low_s),
                     high=format_seconds(row.high_s), repeats=row.repeats)


def _epoch_hover(row, lang: str) -> str:
    return i18n.text("batch_timing.figure.hover_epoch", lang, batch=f"{row.batch:,}",
                     estimate=format_seconds(row.epoch_estimate_s))


def _measured_hover(row, lang: str) -> str:
    return i18n.text("batch_timing.figure.hover_measured", lang, batch=f"{row.batch:,}",
                     measured=format_seconds(row.epoch_measured_s), estimate=format_seconds(row.epoch_estimate_s))


def _add_series(fig, k: int, series: Series, lang: str) -> None:
    color = COLORS[k % len(COLORS)]
    ok = [r for r in series.rows if r.ok]
    name = series.name(lang)
    batches = [r.batch for r in ok]
    fig.add_trace(go.Scatter(
        x=batches, y=[r.median_s for r in ok], mode="lines+markers", name=name, legendgroup=f"s{k}",
        line=dict(color=color, width=2), marker=dict(color=color, size=8),
        error_y=dict(type="data", symmetric=False, array=[r.high_s - r.median_s for r in ok],
                     arrayminus=[r.median_s - r.low_s for r in ok], color=color, thickness=1.5, width=5),
        text=[_update_hover(r, lang) for r in ok], hovertemplate="%{text}<extra></extra>",
    ), row=1, col=1)
    fig.add_trace(go.Scatter(
        x=batches, y=[r.epoch_estimate_s for r in ok], mode="lines+markers", name=name, legendgroup=f"s{k}",
        showlegend=False, line=dict(color=color, width=2), marker=dict(color=color, size=8),
        text=[_epoch_hover(r, lang) for r in ok], hovertemplate="%{text}<extra></extra>",
    ), row=1, col=2)
    measured = [r for r in ok if r.epoch_measured_s is not None]
    if measured:
        fig.add_trace(go.Scatter(
            x=[r.batch for r in measured], y=[r.epoch_measured_s for r in measured], mode="markers",
            name=i18n.text("batch_timing.figure.measured_of", lang, name=name), legendgroup=f"s{k}",
            showlegend=False, marker=dict(symbol="diamond-open", size=15, color=color, line=dict(width=2.5)),
            text=[_measured_hover(r, lang) for r in measured], hovertemplate="%{text}<extra></extra>",
        ), row=1, col=2)


def _batch_axis(batches) -> dict:
    """Log axis over all planned sizes, ticks at the sizes themselves (log-axis ranges are in log10)."""
    lo, hi = math.log10(min(batches)), math.log10(max(batches))
    pad = max(0.15, 0.06 * (hi - lo))
    ticks = sorted(set(batches))
    return dict(type="log", range=[lo - pad, hi + pad], tickvals=ticks, ticktext=[f"{b:,}" for b in ticks])


def _seconds_axis(values) -> dict:
    """Log-axis ticks at 1, 2, 5 × 10^k seconds (only 10^k over more than three decades), labelled with units."""
    values = [v for v in values if v is not None and v > 0]
    if not values:
        return {}
    lo, hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
    steps = (1, 2, 5) if hi - lo <= 3 else (1,)
    ticks = [m * 10.0**k for k in range(lo, hi + 1) for m in steps]
    return dict(tickvals=ticks, ticktext=[format_seconds(v) for v in ticks])


def timing_figure(sources, *, planned=(), lang: str = "en", height: int = HEIGHT) -> go.Figure:
    """Time per update and per epoch against the batch size, for ``sources = [(source, rows), ...]``
    (source "live" or "uploaded"). ``planned``: batch sizes the x axis must show even before (or
    without) a result."""
    series = group(sources)
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, subplot_titles=(
        i18n.text("batch_timing.figure.per_update", lang), i18n.text("batch_timing.figure.per_epoch", lang)))
    fig.update_annotations(font_size=13)
    for k, s in enumerate(series):
        _add_series(fig, k, s, lang)

    # The epoch panel's two marks explained once, in grey (one point each, on the hidden third axes).
    for key, mode, marker in (("estimate", "lines+markers", dict(size=8)),
                              ("measured", "markers", dict(symbol="diamond-open", size=13, line=dict(width=2)))):
        fig.add_trace(go.Scatter(
            x=[2.0], y=[2.0], xaxis="x3", yaxis="y3", mode=mode, name=i18n.text(f"batch_timing.figure.{key}", lang),
            hoverinfo="skip", line=dict(color=_GREY), marker=dict(color=_GREY, **marker), legendgroup=key))
    hidden = dict(visible=False, type="linear", range=[0.0, 1.0], fixedrange=True, domain=[0.0, 0.01])
    fig.update_layout(xaxis3=dict(hidden, anchor="y3"), yaxis3=dict(hidden, anchor="x3"))

    batches = [r.batch for s in series for r in s.rows] + list(planned)
    notes = []
    if batches:
        axis = _batch_axis(batches)
        fig.update_xaxes(axis, row=1, col=1)
        fig.update_xaxes(axis, row=1, col=2)
        for s in series:
            for r in s.rows:
                if r.ok:
                    continue
                notes.append(_memory_note(s, r, lang, len(series) > 1))
                for xref, yref in (("x", "y domain"), ("x2", "y2 domain")):
                    fig.add_annotation(x=math.log10(r.batch), y=0.04, xref=xref, yref=yref, text="✕",
                                       showarrow=False, font=dict(size=20, color="#c92a2a"),
                                       hovertext=notes[-1])
    for i, note in enumerate(notes):
        fig.add_annotation(x=0.0, y=-0.2 - i * _NOTE_LINE, xref="paper", yref="paper", xanchor="left",
                           yanchor="top", text=note, showarrow=False, font=dict(size=13, color="#c92a2a"))

    fig.update_xaxes(title_text=i18n.text("batch_timing.figure.batch_axis", lang))
    rows = [r for s in series for r in s.rows if r.ok]
    fig.update_yaxes(type="log")
    fig.update_yaxes(_seconds_axis([v for r in rows for v in (r.low_s, r.median_s, r.high_s)]), row=1, col=1)
    fig.update_yaxes(_seconds_axis([v for r in rows for v in (r.epoch_estimate_s, r.epoch_measured_s)]), row=1, col=2)
    fig.update_yaxes(title_text=i18n.text("batch_timing.figure.seconds_axis", lang), row=1, col=1)
    devices = list(dict.fromkeys(s.device for s in series))
    title = i18n.text("batch_timing.figure.title", lang)
    if devices:
        title += f"<br><sup>{' · '.join(devices)}</sup>"
    extra = int(len(notes) * _NOTE_LINE * height)
    fig.update_layout(
        title=dict(text=title, x=0.0, xanchor="left"), height=height + extra,
        margin=dict(l=60, r=20, t=90, b=70 + extra),
        legend=dict(orientation="h", yanchor="top", y=-0.16 - len(notes) * _NOTE_LINE - (0.05 if notes else 0.0), x=0,
                    xanchor="left"),
        hovermode="closest",
    )
    return fig


def table(rows, lang: str = "en") -> dict[str, list]:
    """The rows of one device and model (named above the table) as columns: times in milliseconds or
    seconds, the status in words."""
    def ms(v):
        return None if v is None else v * 1e3

    def name(key):
        return i18n.text(f"batch_timing.table.{key}", lang)

    status = {s: i18n.text(key, lang) for s, key in _STATUS.items()}
    return {
        name("batch"): [r.batch for r in rows],
        name("updates"): [-(-r.examples // r.batch) for r in rows],
        name("median_ms"): [ms(r.median_s) for r in rows],
        name("low_ms"): [ms(r.low_s) for r in rows],
        name("high_ms"): [ms(r.high_s) for r in rows],
        name("epoch_estimate_s"): [r.epoch_estimate_s for r in rows],
        name("epoch_measured_s"): [r.epoch_measured_s for r in rows],
        name("status"): [status.get(r.status, r.status) for r in rows],
    }
