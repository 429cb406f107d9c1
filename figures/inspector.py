"""The step inspector: one update θ_t → θ_{t+1} taken apart, as in the lecture's momentum diagram.

At step t the lecture draws three arrows from θ_t: the gradient step that
plain (scaled) gradient descent would take, the previous move (the
"movement of the last step" that momentum keeps), and the move actually
made, their weighted sum. ``step_vectors`` gives these as numbers,
``step_figure`` draws them on a zoomed map of the surface and
``step_table`` lists them for ``st.dataframe``.

All vectors are the recorded ones, in the surface's own units: the zoom
follows the arrows (a window 1.6 times the longest one), the arrows are
never rescaled.

Pure functions: a RunView in, NumPy / Plotly out (no Streamlit).
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

import i18n

from . import plain
from .diagnostics import line_color, lowest_loss
from .surface_map import COLORSCALE, log_height

WINDOW_PER_VECTOR = 1.6  # half-width of the window, in lengths of the longest arrow
MIN_WINDOW = 1e-3  # smallest half-width of the window, as a fraction of surface.span
GRID = 70  # contour resolution of the zoomed window (rows; columns: ASPECT times as many)
NEARBY = 60  # path records drawn on each side of θ_t
TINY = 1 / 40  # arrows shorter than this share of the window get a note: too small to see
ASPECT = 2.5  # the contour covers up to this width-to-height ratio (the axes widen to fill the figure)
HEAD_MERGE = 0.04  # arrow heads closer than this share of the window share one label

ARROWS = (  # key, legend label, short label at the arrow head, colour
    ("gradient_step", "gradient step −(η/σ)⊙g", "gradient step", "#1f77b4"),
    ("previous_move", "previous move θ_t − θ_{t−1}<br>(drawn from θ_t)", "previous move", "#2ca02c"),
    ("move", "actual move θ_{t+1} − θ_t", "actual move", "#111111"),
)


_SHORT = {key: short for key, _, short, _ in ARROWS}
_COLOR = {key: color for key, *_, color in ARROWS}


def clamp_index(run, index: int) -> int:
    """``index`` (negative counts from the end) limited to 0 … run.last_good."""
    n = len(run.steps)
    i = int(index)
    if i < 0:
        i += n
    return min(max(i, 0), max(run.last_good, 0))


def step_vectors(run, index: int) -> dict:
    """The update leaving record ``index`` of ``run`` (clamped to 0 … last_good), as 2-vectors.

    theta          θ_t
    grad           g_t = ∇L(θ_t) (without gradient noise)
    gradient_step  −(η_t/σ_t) ⊙ g_t: the move scaled gradient descent would make from θ_t
    momentum       m_t as recorded (for the lecture's momentum variant: the move itself, η included)
    previous_move  θ_t − θ_{t−1} (zeros at the first record)
    move           θ_{t+1} − θ_t (zeros at the last good record: there is no next point, or,
                   for a diverged run, the next point left the surface and was not recorded)
    lr_eff         η_t/σ_t per parameter;  eta  η_t;  step  t;  index  the clamped index
    last           True at the last good record (``move`` is then zero by definition)

    Moves are between consecutive records, i.e. single steps when the run records every step."""
    traj = run.trajectory
    missing = [name for name in ("path", "grad", "momentum", "lr_eff") if getattr(traj, name) is None]
    if missing:
        raise ValueError(f"step_vectors: the run did not record {', '.join(missing)}; simulate(..., record=...) "
                         "must include path, grad, momentum and lr_eff for the step inspector")
    i = clamp_index(run, index)
    path = run.path
    last = i >= run.last_good
    grad = np.array(traj.grad[0, i], dtype=np.float64)
    lr_eff = np.array(traj.lr_eff[0, i], dtype=np.float64)
    with np.errstate(invalid="ignore"):  # inf · 0 where σ = 0 with ε = 0: NaN, reported by step_figure
        gradient_step = -lr_eff * grad
    return dict(
        theta=np.array(path[i], dtype=np.float64),
        grad=grad,
        gradient_step=gradient_step,
        momentum=np.array(traj.momentum[0, i], dtype=np.float64),
        previous_move=path[i] - path[i - 1] if i > 0 else np.zeros(2),
        move=path[i + 1] - path[i] if not last else np.zeros(2),
        lr_eff=lr_eff,
        eta=float(run.eta[i]),
        step=int(run.steps[i]),
        index=i,
        last=bool(last),
    )


def _window(surface, v: dict):
    """(half-width, longest arrow) of the square window centred on θ_t."""
    lengths = [float(np.hypot(*v[key])) for key, *_ in ARROWS]
    longest = max([x for x in lengths if np.isfinite(x)] + [0.0])
    half = max(WINDOW_PER_VECTOR * longest, MIN_WINDOW * surface.span)
    return half, longest


def step_figure(surface, run, index: int, *, height: int = 420, lang: str = "en") -> go.Figure:
    """A zoomed map around θ_t with the gradient step, the previous move and the actual move as arrows."""
    v = step_vectors(run, index)
    i = v["index"]
    cx, cy = v["theta"]
    half, _ = _window(surface, v)
    x0, x1, y0, y1 = cx - half, cx + half, cy - half, cy + half

    # the axes keep 1:1 scale (true angles) and fill the figure's width, so plotly widens
    # the x range beyond the square: the contour covers up to ASPECT times the height
    xs = np.linspace(cx - ASPECT * half, cx + ASPECT * half, int(ASPECT * GRID))
    ys = np.linspace(y0, y1, GRID)
    X, Y = np.meshgrid(xs, ys)
    with np.errstate(all="ignore"):
        Z = np.asarray(surface.loss(np.stack([X, Y], axis=-1)), dtype=np.float64)
    L_star = lowest_loss(surface)
    finite = Z[np.isfinite(Z)]
    floor = min(L_star, float(finite.min())) if finite.size else L_star

    # Plain dicts, unvalidated (figures.plain): validating them cost about 8 ms a figure.
    traces, annotations = [], []
    traces.append(dict(
        type="contour", x=xs, y=ys, z=log_height(Z, floor=floor).astype(np.float32),  # float32: ample for colour
        colorscale=COLORSCALE, showscale=False, ncontours=20,
        opacity=0.6, contours=dict(coloring="lines"), line=dict(width=1),
        hoverinfo="skip", name="log₁₀(L − L*)", showlegend=False,
    ))

    lo, hi = max(0, i - NEARBY), min(run.last_good, i + NEARBY)
    near = run.path[lo:hi + 1]
    color = line_color(run.color)
    traces.append(dict(
        type="scatter", x=near[:, 0], y=near[:, 1], mode="lines+markers",
        name=i18n.text("inspector.path", lang, first=f"{int(run.steps[lo]):,}", last=f"{int(run.steps[hi]):,}"),
        line=dict(color=color, width=1.2), marker=dict(size=4, color=color),
        customdata=np.asarray(run.steps[lo:hi + 1]),
        hovertemplate="t = %{customdata:,}<br>θ = (%{x:.6g}, %{y:.6g})<extra></extra>",
    ))
    traces.append(dict(
        type="scatter", x=[float(cx)], y=[float(cy)], mode="markers", name=f"θ_t (t = {v['step']:,})",
        marker=dict(size=10, color=color, line=dict(color="black", width=1.5)),
        hovertemplate="θ_t = (%{x:.6g}, %{y:.6g})<extra></extra>",
    ))

    notes = []
    short = {key: i18n.text(f"inspector.{key}", lang) for key in _SHORT} if lang != "en" else _SHORT
    for key, label, _, arrow_color in ARROWS:
        label = label if lang == "en" else i18n.text(f"inspector.{key}_legend", lang)
        dx, dy = v[key]
        length = float(np.hypot(dx, dy))
        finite = np.isfinite(length)
        if not finite:  # η/σ = inf (σ = 0 with ε = 0): nothing finite to draw
            notes.append(i18n.text("inspector.not_finite", lang, what=short[key], value=f"({dx:.3g}, {dy:.3g})"))
            dx = dy = 0.0
        # the arrow's shaft as a trace: a legend entry and hover with the exact components
        traces.append(dict(
            type="scatter", x=[float(cx), float(cx + dx)], y=[float(cy), float(cy + dy)], mode="lines", name=label,
            line=dict(color=arrow_color, width=3), legendgroup=key,
            hovertemplate=f"{short[key]}<br>({dx:.4g}, {dy:.4g})<extra></extra>",
        ))
        if not finite:
            continue
        if length == 0.0:
            which = {"previous_move": "zero_first", "move": "zero_last"}.get(key, "zero")
            notes.append(i18n.text(f"inspector.{which}", lang, what=short[key]))
            continue
        annotations.append(dict(
            x=float(cx + dx), y=float(cy + dy), ax=float(cx), ay=float(cy), xref="x", yref="y", axref="x", ayref="y",
            showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=2.5, arrowcolor=arrow_color, text="",
            name=key,
))
        if length < TINY * half:
            notes.append(i18n.text("inspector.too_short", lang, what=short[key], length=f"{length:.2g}"))
    if v["last"] and run.diverged_at >= 0:
        notes.append(i18n.text("inspector.left_surface", lang, step=f"{run.diverged_at:,}"))
    annotations += _head_labels(v, cx, cy, half, short)

    subtitle = (f"η_t = {v['eta']:.3g},  η_t/σ_t = ({v['lr_eff'][0]:.3g}, {v['lr_eff'][1]:.3g})")
    if notes:
        subtitle += "  ·  " + "; ".join(notes)
    layout = dict(
        title=dict(text=f"{run.label} · t = {v['step']:,}", subtitle=dict(text=subtitle, font=dict(size=11)),
                   x=0.01, xanchor="left"),
        height=height, margin=dict(l=55, r=10, t=60, b=40),
        legend=dict(orientation="v", yanchor="top", y=1, x=1.01, xanchor="left", font=dict(size=11)),
        xaxis=dict(range=[float(x0), float(x1)], title=dict(text="θ₁ (x)"), showgrid=False, zeroline=False,
                   exponentformat="power"),
        yaxis=dict(range=[float(y0), float(y1)], title=dict(text="θ₂ (y)"), scaleanchor="x", scaleratio=1,
                   showgrid=False, zeroline=False, exponentformat="power"),
        annotations=annotations,
    )
    return plain.figure(traces, layout)


def _head_labels(v, cx, cy, half, short) -> list[dict]:
    """Annotations: one label per arrow head; heads closer than HEAD_MERGE × window share one label ("a ≈ b")."""
    groups = []  # [(dx, dy, [keys])]
    for key, *_ in ARROWS:
        dx, dy = v[key]
        if not 0 < np.hypot(dx, dy) < np.inf:
            continue
        for g in groups:
            if np.hypot(dx - g[0], dy - g[1]) < HEAD_MERGE * half:
                g[2].append(key)
                break
        else:
            groups.append((dx, dy, [key]))
    return [dict(x=float(cx + dx), y=float(cy + dy), xref="x", yref="y", text=" ≈ ".join(short[k] for k in keys),
                 showarrow=False, font=dict(color=_COLOR[keys[-1]], size=12),
                 xanchor="left" if dx >= 0 else "right", yanchor="bottom" if dy >= 0 else "top",
                 xshift=4 if dx >= 0 else -4, bgcolor="rgba(255,255,255,0.75)")
            for dx, dy, keys in groups]


def step_table(run, index: int, lang: str = "en") -> list[dict]:
    """Rows (quantity, θ₁, θ₂) for st.dataframe: θ_t, g_t, m_t, η_t/σ_t, η_t and the moves."""
    v = step_vectors(run, index)
    rows = [
        ("θ_t", v["theta"]),
        ("g_t = ∇L(θ_t)", v["grad"]),
        ("m_t", v["momentum"]),
        ("η_t/σ_t", v["lr_eff"]),
        ("η_t", (v["eta"], v["eta"])),
        (i18n.text("inspector.gradient_step", lang) + " −(η_t/σ_t)⊙g_t", v["gradient_step"]),
        (i18n.text("inspector.previous_move", lang) + " θ_t − θ_{t−1}", v["previous_move"]),
        (i18n.text("inspector.move", lang) + " θ_{t+1} − θ_t", v["move"]),
    ]
    quantity = i18n.text("inspector.quantity", lang)
    return [{quantity: name, "θ₁": float(a), "θ₂": float(b)} for name, (a, b) in rows]
