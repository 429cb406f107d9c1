"""The basin map: every start of a grid coloured by where it ended, or by how long it took.

Pure function (a ``lab.basins.BasinResult`` in, a Plotly figure out, no Streamlit).

What the figure is made of:

- A heatmap of the categories with a discrete colour scale: one colour per
  minimum (``minimum_color``), grey shades for the rest (``OTHER_COLORS``).
  Only the categories that occur are in the scale, so each gets one flat band.
- With ``by="steps"``: a second heatmap on top, log10 of the steps needed by
  the converged starts (Viridis, a colourbar with ticks at 1, 10, 100, …);
  the other starts keep their grey underneath.
- The legend names every category that occurs, with its share of the starts:
  the minima as stars in their colour, drawn at the minimum; the others as
  grey squares (legend-only traces without points).
- Hover and clicks come from invisible markers at the cell centres, one trace
  per category (so the hover text names the category without a per-cell
  string): start, end, final loss, and the steps needed or the divergence
  step. Streamlit reports no clicks on a heatmap (see STACK.md); a click on
  one of these markers is a selected point whose x, y is the cell's start.
  Beyond ``MAX_HOVER`` cells a side, every second (third, …) cell carries one:
  the browser draws each marker (10,000 take about 0.45 s in headless
  chromium on the 2-core test machine; without them the map draws in 30 ms).
- ``mark``: a ring at the picked start (the one whose paths the page draws).
- Nothing non-finite goes into the figure, except the NaN cells of the steps
  heatmap, which a heatmap leaves out (transparent: the grey shows through).
- Every word on it comes from the catalogs (``i18n``, ``[basins.figure]`` and
  the category names of ``lab.basins.category_name``) in ``lang``.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

import i18n
from lab.basins import category_name
from optimizers.validate import choice, integer

MINIMUM_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#bcbd22",
                  "#17becf", "#393b79", "#e6550d", "#31a354", "#843c39", "#7b4173", "#3182bd", "#fd8d3c")
OTHER_COLORS = {  # by category label (lab.basins.OTHER)
    "other minimum": "#5a5a5a",
    "saddle": "#7a7a7a",
    "maximum": "#999999",
    "degenerate": "#b3b3b3",
    "oscillating": "#cccccc",
    "still moving": "#e6e6e6",
    "diverged": "#262626",
}
CELLS_NAME = "cells"  # the hover/click traces are named "cells · <category>" (a name never shown)
MAX_HOVER = 100  # hover/click markers per side at most
HEIGHT = 460
STEPS_COLORSCALE = "Viridis"
_LEGEND = dict(orientation="h", yanchor="top", y=-0.17, xanchor="left", x=0.0, font=dict(size=11),
               itemsizing="constant", maxheight=0.35)
_KEEP_OPAQUE = dict(marker=dict(opacity=1))  # a click (selection) must not fade the stars


def minimum_color(k: int) -> str:
    return MINIMUM_COLORS[int(k) % len(MINIMUM_COLORS)]


def category_color(label) -> str:
    return minimum_color(label) if isinstance(label, (int, np.integer)) else OTHER_COLORS[label]


def _finite(values, cap: float = 1e300) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    return np.clip(np.nan_to_num(v, nan=cap, posinf=cap, neginf=-cap), -cap, cap)


def _hover_template(name: str, what: str, lang: str) -> str:
    def word(key):
        return i18n.text(f"basins.figure.{key}", lang)

    tail = {"steps": f"<br>{word('settled')} %{{customdata[3]:,.0f}}",
            "diverged": f"<br>{word('diverged')} %{{customdata[3]:,.0f}}",
            "": ""}[what]
    return (f"<b>{name}</b><br>{word('start')} (%{{x:.4g}}, %{{y:.4g}})<br>{word('end')} (%{{customdata[0]:.4g}}, "
            f"%{{customdata[1]:.4g}})<br>L = %{{customdata[2]:.4g}}{tail}<extra></extra>")


def _log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Ticks at 1, 10, 100, … (and 2, 5 × when the range is short) between log10 values lo and hi."""
    decades = range(int(math.floor(lo)), int(math.ceil(hi)) + 1)
    mantissas = (1, 2, 5) if hi - lo < 3 else (1,)
    values = [m * 10 ** d for d in decades for m in mantissas]
    values = [v for v in values if lo - 1e-9 <= math.log10(v) <= hi + 1e-9] or [10 ** lo]
    return [math.log10(v) for v in values], [f"{v:,.0f}" if v >= 1 else f"{v:g}" for v in values]


def steps_range(*results) -> tuple[float, float] | None:
    """(lowest, highest) steps needed over ``results``, for one colour scale shared by several maps."""
    values = [np.asarray(r.steps_needed)[np.isfinite(r.steps_needed)] for r in results if r is not None]
    values = np.concatenate(values) if values else np.zeros(0)
    return (float(max(values.min(), 1.0)), float(max(values.max(), 1.0))) if values.size else None


def basin_figure(surface, result, *, by: str | None = None, height: int = HEIGHT, max_hover: int = MAX_HOVER,
                 steps_scale: tuple[float, float] | None = None, mark: tuple[float, float] | None = None,
                 lang: str = "en") -> go.Figure:
    """The basin map of ``result`` (a BasinResult on ``surface``); ``by`` "end" or "steps" (default: the
    result's config); ``steps_scale`` (lowest, highest) steps of the colour scale (default: this map's;
    ``steps_range(a, b)`` gives two maps one scale). Traces: the category heatmap, the steps heatmap
    (``by="steps"``), the "cells · <category>" hover/click markers, the legend-only squares, and one star
    per minimum; and, given ``mark`` = (x, y), a ring at that start (named ``basins.figure.picked``).
    ``lang``: the language of every word on it."""

    def word(key, **fields):
        return i18n.text(f"basins.figure.{key}", lang, **fields)

    by = choice("basin_figure", "by", result.config.by if by is None else by, ("end", "steps"))
    height = integer("basin_figure", "height", height, 100, 10_000)
    max_hover = integer("basin_figure", "max_hover", max_hover, 2, 400)
    (x0, x1), (y0, y1) = surface.bounds
    labels, codes, n = result.labels, np.asarray(result.codes), result.n
    total = codes.size
    present = [int(c) for c in np.unique(codes)]
    share = {c: int((codes == c).sum()) / total for c in present}

    # the categories that occur, in order, as flat bands of one colour each
    compact = np.full(len(labels), -1, dtype=np.int16)
    compact[present] = np.arange(len(present))
    m = len(present)
    scale = []
    for k, c in enumerate(present):
        color = category_color(labels[c])
        scale += [[k / m, color], [(k + 1) / m, color]]
    data = [dict(
        type="heatmap", x=result.xs, y=result.ys, z=compact[codes].astype(np.int8 if m < 127 else np.int16),
        zmin=-0.5, zmax=m - 0.5, colorscale=scale, showscale=False, hoverinfo="skip", name="basins",
    )]

    if by == "steps":
        needed = np.asarray(result.steps_needed, dtype=np.float64)
        ok = np.isfinite(needed)
        logs = np.where(ok, np.log10(np.maximum(needed, 1.0)), np.nan)
        if steps_scale is not None:
            lo, hi = (math.log10(max(float(v), 1.0)) for v in steps_scale)
        else:
            lo, hi = (float(np.nanmin(logs)), float(np.nanmax(logs))) if ok.any() else (0.0, 1.0)
        hi = max(hi, lo + 0.3)
        tickvals, ticktext = _log_ticks(lo, hi)
        # NaN cells are left out of a heatmap (transparent): the grey category shows through
        data.append(dict(
            type="heatmap", x=result.xs, y=result.ys, z=logs.astype(np.float32), zmin=lo, zmax=hi,
            colorscale=STEPS_COLORSCALE, hoverinfo="skip", name=word("steps_needed"),
            colorbar=dict(title=dict(text=word("colorbar"), side="top"), tickvals=tickvals, ticktext=ticktext,
                          thickness=12, len=0.9, x=1.01, xanchor="left"),
        ))

    # hover and click: invisible markers at (a subset of) the cell centres, one trace per category
    stride = max(1, math.ceil(n / max_hover))
    rows = np.arange(0, n, stride)
    I, J = np.meshgrid(rows, rows, indexing="ij")
    I, J = I.ravel(), J.ravel()
    cell_codes = codes[I, J]
    size = max(4.0, min(14.0, 0.9 * height / len(rows)))
    for c in present:
        pick = cell_codes == c
        if not pick.any():
            continue
        i, j = I[pick], J[pick]
        label = labels[c]
        if label == "diverged":
            extra, what = result.diverged_at[i, j], "diverged"
        elif np.isfinite(result.steps_needed[i, j]).all():
            extra, what = result.steps_needed[i, j], "steps"
        else:
            extra, what = np.zeros(len(i)), ""
        custom = np.column_stack([_finite(result.ends[i, j, 0]), _finite(result.ends[i, j, 1]),
                                  _finite(result.final_loss[i, j]), _finite(extra)]).astype(np.float32)
        data.append(dict(
            type="scatter", mode="markers", x=result.xs[j], y=result.ys[i],
            name=f"{CELLS_NAME} · {category_name(surface, label, lang)}",
            # plain invisible circles: a symbol, or selected/unselected styles, cost the browser about a third
            # more time per marker (10,000 markers take about 0.45 s to draw in headless chromium here)
            marker=dict(size=size, opacity=0), customdata=custom, showlegend=False,
            hovertemplate=_hover_template(category_name(surface, label, lang), what, lang),
        ))

    # the legend: grey squares for the categories that are not minima …
    for c in present:
        label = labels[c]
        if isinstance(label, (int, np.integer)):
            continue
        data.append(dict(
            type="scatter", mode="markers", x=[None], y=[None],
            name=f"{category_name(surface, label, lang)} · {share[c]:.1%}",
            marker=dict(symbol="square", size=12, color=OTHER_COLORS[label], line=dict(color="#808495", width=1)),
            hoverinfo="skip", legendrank=2000,
        ))
    # … and a star per minimum, in its basin's colour (in the legend when some start ended there)
    minima = surface.minima
    crowd = len(minima) > 24
    for k, (mx, my) in enumerate(minima):
        in_result = share.get(k, 0.0)
        data.append(dict(
            type="scatter", mode="markers", x=[round(float(mx), 6)], y=[round(float(my), 6)],
            name=f"{category_name(surface, k, lang)} · {in_result:.1%}", showlegend=in_result > 0,
            legendrank=1000 + k,
            marker=dict(symbol="star", size=9 if crowd else 16, color=minimum_color(k),
                        line=dict(color="white", width=1 if crowd else 2)),
            customdata=[[float(_finite(surface.loss(np.array([mx, my]))))]],
            hovertemplate=f"<b>{word('minimum', k=k + 1)}</b><br>(%{{x:.4g}}, %{{y:.4g}})"
                          f"<br>L = %{{customdata[0]:.4g}}<br>{word('share', share=f'{in_result:.1%}')}<extra></extra>",
            unselected=_KEEP_OPAQUE,
        ))

    if mark is not None:
        mx, my = (float(v) for v in mark)
        if not (np.isfinite(mx) and np.isfinite(my)):
            raise ValueError(f"basin_figure: mark = {mark!r} must be a finite point (x, y)")
        data.append(dict(
            type="scatter", mode="markers", x=[mx], y=[my], name=word("picked"), showlegend=False,
            marker=dict(symbol="circle-open", size=14, color="white", line=dict(width=3)),
            hovertemplate=word("picked") + " (%{x:.4g}, %{y:.4g})<extra></extra>", unselected=_KEEP_OPAQUE,
        ))

    layout = dict(
        height=height, margin=dict(l=8, r=8, t=8, b=8), uirevision=f"basins:{surface.name}:{surface.settings}",
        dragmode="zoom", hovermode="closest", clickmode="event+select",
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        xaxis=dict(range=[x0, x1], autorange=False, showgrid=False, zeroline=False, constrain="domain",
                   title=dict(text=word("x_axis"))),
        yaxis=dict(range=[y0, y1], autorange=False, showgrid=False, zeroline=False,
                   title=dict(text=word("y_axis"))),
        legend=_LEGEND,
    )
    return go.Figure(dict(data=data, layout=layout), _validate=False)
