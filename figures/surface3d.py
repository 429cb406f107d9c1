"""The surface in 3D, with each run's path lying on it.

Pure function (surface and RunViews in, a Plotly figure out, no Streamlit).
Heights are the map's: z = log10(L − L* + ε) with the window's range fixed
(``figures.map.heights``), in the same Viridis bands, so a point on the 3D
surface has the colour it has on the map. A run's path is drawn at the
height of its own loss, lifted slightly so that it is not hidden inside the
surface; points outside the window are left out (the line breaks there).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from optimizers.validate import integer

from .downsample import keep_turns
from .map import HEIGHT, _good_path, banded_colorscale, height_scale, heights

MAX_POINTS = 1000  # per path: 3D lines are drawn by WebGL, a thousand points each is plenty
LIFT = 0.02  # share of the colour range a path floats above the surface
_DARK = "#1a1a1a"


def _grid_heights(surface, n: int):
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = np.asarray(surface.loss(np.stack([X, Y], axis=-1)), dtype=np.float64)
    floor, top, lo, hi = height_scale(surface)
    return xs, ys, np.clip(heights(Z, floor, top), lo, hi)


def surface_3d(surface, runs, n: int = 80) -> go.Figure:
    """``go.Surface`` of the log height (named "surface"), then per run its path (``go.Scatter3d``
    named after the run), a start and an end marker. Finite numbers only; z axis "log10(L − L*)"."""
    n = integer("surface_3d", "n", n, 2, 1000)
    floor, top, lo, hi = height_scale(surface)
    xs, ys, H = _grid_heights(surface, n)
    (x0, x1), (y0, y1) = surface.bounds
    lift = LIFT * (hi - lo)
    data = [go.Surface(
        x=xs, y=ys, z=H.astype(np.float32), name="surface", colorscale=banded_colorscale(), cmin=lo, cmax=hi,
        showscale=False, opacity=1.0,
        hovertemplate="(%{x:.3g}, %{y:.3g})<br>log₁₀(L − L*) ≈ %{z:.2f}<extra></extra>",
        contours=dict(z=dict(show=False)),
    )]
    for i, run in enumerate(runs):
        steps, path, loss = _good_path(run)
        if not len(path):
            continue
        if loss is None:
            loss = surface.loss(path)
        keep = keep_turns(path, max_points=MAX_POINTS)
        P, L, S = path[keep], np.asarray(loss, dtype=np.float64)[keep], steps[keep]
        Z = np.clip(heights(L, floor, top), lo, hi) + lift
        inside = (P[:, 0] >= x0) & (P[:, 0] <= x1) & (P[:, 1] >= y0) & (P[:, 1] <= y1)
        # Outside the window the line breaks (None is JSON null, never NaN).
        x = np.where(inside, P[:, 0], None).tolist()
        y = np.where(inside, P[:, 1], None).tolist()
        z = np.where(inside, Z, None).tolist()
        group = f"run{i}"
        note = run.divergence_note() if run.diverged_at >= 0 else ""
        data.append(go.Scatter3d(
            x=x, y=y, z=z, mode="lines", name=f"{run.label} · {note}" if note else run.label,
            legendgroup=group, line=dict(color=run.color, width=5), connectgaps=False,
            customdata=np.column_stack([S, np.where(np.isfinite(L), L, np.finfo(np.float64).max)]),
            hovertemplate=(f"{run.label}<br>step %{{customdata[0]:,}}<br>(%{{x:.4g}}, %{{y:.4g}})"
                           "<br>L = %{customdata[1]:.4g}<extra></extra>"),
        ))
        for j, what, symbol in ((0, "start", "circle"), (-1, "diverged" if note else "end", "x" if note else "square")):
            if not inside[j]:
                continue
            data.append(go.Scatter3d(
                x=[float(P[j, 0])], y=[float(P[j, 1])], z=[float(Z[j])], mode="markers",
                name=f"{run.label} · {what}", legendgroup=group, showlegend=False,
                marker=dict(symbol=symbol, size=6, color=run.color, line=dict(color=_DARK, width=1)),
                hovertemplate=f"{run.label} · {what}<extra></extra>",
            ))
    axis = dict(showbackground=False, showspikes=False)
    fig = go.Figure(data=data)
    fig.update_layout(
        height=HEIGHT, margin=dict(l=0, r=0, t=0, b=0), uirevision=f"3d:{surface.name}:{surface.settings}",
        paper_bgcolor="rgba(0,0,0,0)",
        legend=dict(orientation="h", yanchor="top", y=0.0, xanchor="left", x=0.0,
                    bgcolor="rgba(38,39,48,0.92)", font=dict(color="#fafafa", size=12)),
        scene=dict(
            xaxis=dict(title=dict(text="θ₁ (x)"), range=[x0, x1], **axis),
            yaxis=dict(title=dict(text="θ₂ (y)"), range=[y0, y1], **axis),
            zaxis=dict(title=dict(text="log10(L − L*)"), range=[lo, hi + 2 * lift], **axis),
            aspectmode="manual", aspectratio=dict(x=1.4, y=1.4 * (y1 - y0) / (x1 - x0), z=0.7),
            camera=dict(eye=dict(x=-0.9, y=-1.5, z=1.9)),  # from above: valley floors stay in view
        ),
    )
    return fig
