"""Playground: watch optimizers travel across an error surface, side by side."""
from __future__ import annotations

import numpy as np
import streamlit as st

import optimizers
import surfaces
from figures.diagnostics import diagnostics
from figures.inspector import step_figure, step_table
from figures.map import path_map
from figures.schedule_plot import schedule_figure
from figures.surface3d import surface_3d
from lab import controls as C
from lab.playground import (DEFAULT_KAPPA, DEFAULT_STEPS, DEFAULT_WALLS, KAPPA_OPTIONS, MAP_OPTIONS, MAX_RUNS, WALLS,
                            RunSpec, View, base_run, bowl_params, hyper_defaults, run_view, verdict)
from optimizers.latex import update_rule
from ui import links
from ui.controls import hyper_widget
from ui.exports import export_panel
from ui.i18n import lang, t
from ui.page import finish, setup
from ui.surface_picker import surface_picker

setup("playground")

CHART = {"displaylogo": False}


# ----------------------------------------------------------------- cached core calls
@st.cache_resource(max_entries=32, show_spinner=False)
def simulate_view(key: str, language: str, _view: View):
    """Trajectories of a view; ``key`` is repr(view) (small, hashable), the view itself is not hashed."""
    return run_view(_view, language)


@st.cache_resource(max_entries=32, show_spinner=False)
def map_figure(key: str, language: str, three_d: bool, animate: bool, _view: View):
    runs = simulate_view(key, language, _view)
    surface = _view.build_surface()
    if three_d:
        return surface_3d(surface, runs)
    return path_map(surface, runs, animate=animate, lang=language, **MAP_OPTIONS)


@st.cache_resource(max_entries=64, show_spinner=False)
def eta_figure(key: str, language: str, lr: float, steps: int, _schedule):
    """η_t of one run; ``key`` is repr(schedule)."""
    return schedule_figure(_schedule, lr, steps, lang=language)


@st.cache_resource(max_entries=64, show_spinner=False)
def inspector_figure(key: str, language: str, run_index: int, index: int, _view: View):
    return step_figure(_view.build_surface(), simulate_view(key, language, _view)[run_index], index, lang=language)


@st.cache_resource(max_entries=32, show_spinner=False)
def diagnostics_figure(key: str, language: str, log_steps: bool, _view: View):
    return diagnostics(_view.build_surface(), simulate_view(key, language, _view), log_steps=log_steps, lang=language)


# ----------------------------------------------------------------- widgets -> View
def surface_controls():
    """(name, parameters) of the chosen surface, or None when a typed formula was refused."""
    picked = surface_picker("", "bowl", label=t("playground.surface"), help=t("playground.surface_help"))
    if picked is None:
        return None
    name, params = picked
    if name == "bowl":
        kappa = links.select(st.select_slider, t("playground.kappa"), KAPPA_OPTIONS,
                             DEFAULT_KAPPA, key="bowl_kappa",
                             format_func=lambda v: f"{v:.3g}", help=t("playground.kappa_help"))
        angle = links.slider(t("playground.angle"), -90, 90, 0, 5, key="bowl_angle", help=t("playground.angle_help"))
        walls = links.select(st.radio, t("playground.walls"), WALLS, DEFAULT_WALLS, key="bowl_walls", horizontal=True,
                             format_func=lambda w: t(f"playground.walls_{w}"), help=t("playground.walls_help"))
        params = bowl_params(kappa, angle, walls)
    return name, params


def apply_map_click(surface):
    """A click on the map (a point of its invisible grid) becomes the start point."""
    event = st.session_state.get("map")
    points = getattr(getattr(event, "selection", None), "points", None) or []
    if not points:
        return
    x, y = float(points[0]["x"]), float(points[0]["y"])
    if st.session_state.get("_applied_click") != (surface.name, x, y):
        st.session_state["_applied_click"] = (surface.name, x, y)
        st.session_state[f"start_x_{surface.name}"] = x
        st.session_state[f"start_y_{surface.name}"] = y


def start_controls(surface):
    (x0, x1), (y0, y1) = surface.bounds
    apply_map_click(surface)
    kx, ky = f"start_x_{surface.name}", f"start_y_{surface.name}"
    if st.button(t("playground.default_start"), key="reset_start", help=t("playground.default_start_help")):
        st.session_state.pop(kx, None)
        st.session_state.pop(ky, None)
    c1, c2 = st.columns(2)
    with c1:
        x = links.number(t("playground.start_x"), x0, x1, float(surface.start[0]), key=kx, format="%.4g",
                         help=t("playground.start_help", lo=f"{x0:g}", hi=f"{x1:g}"))
    with c2:
        y = links.number(t("playground.start_y"), y0, y1, float(surface.start[1]), key=ky, format="%.4g",
                         help=t("playground.start_help", lo=f"{y0:g}", hi=f"{y1:g}"))
    return (float(x), float(y))


def schedule_params(i: int, kind: str) -> tuple:
    values = []
    for name, default in C.schedule_defaults(kind).items():
        wkey = f"run{i}_{kind}_{name}"
        if isinstance(default, tuple):
            text = links.text(name, ", ".join(map(str, default)), key=wkey, help=t("playground.milestones_help"))
            try:
                value = C.parse_steps(name, text)
            except ValueError:
                value = text  # RunSpec.build_schedule names the field and shows the text quoted
        elif isinstance(default, int):
            value = int(links.number(name, 0, 10**9, default, key=wkey, step=1, help=t("playground.schedule_param_help")))
        else:
            value = float(links.number(name, 0.0, 1e9, float(default), key=wkey, format="%g",
                                       help=t("playground.schedule_param_help")))
        values.append((name, value))
    return tuple(values)


def run_controls(i: int, variant: str, steps: int) -> RunSpec:
    base = base_run(i)
    names = optimizers.names()
    name = links.select(st.selectbox, t("playground.optimizer"), names, base.optimizer, key=f"run{i}_optimizer",
                        format_func=lambda n: t(f"optimizer.{n}.title"), help=t("playground_more.optimizer_help"))
    st.caption(t(f"optimizer.{name}.description"))
    defaults = hyper_defaults(i, name)
    hyper = [(k, hyper_widget(f"run{i}", name, k, v)) for k, v in defaults.items() if k in C.PRIMARY]
    with st.expander(t("playground.more_hyper")):
        hyper += [(k, hyper_widget(f"run{i}", name, k, v)) for k, v in defaults.items() if k not in C.PRIMARY]
    with st.expander(t("playground.schedule_noise")):
        kinds = optimizers.schedule_names()
        kind = links.select(st.selectbox, t("playground.schedule"), kinds, "constant", key=f"run{i}_schedule",
                            help=t("playground.schedule_help"))
        st.caption(t(f"schedule.{kind}.description"))
        sched = schedule_params(i, kind)
        noise = links.slider(t("playground.noise"), 0.0, 2.0, 0.0, 0.05, key=f"run{i}_noise",
                             help=t("playground.noise_help"))
        seed = int(links.number(t("playground.seed"), 0, 2**31 - 1, 0, key=f"run{i}_seed",
                                help=t("playground.seed_help")))
        spec = RunSpec(name, tuple(hyper), variant, kind, sched, float(noise), seed, slot=i)
        try:
            schedule = spec.build_schedule()
            st.plotly_chart(eta_figure(repr(schedule), lang(), spec.lr, steps, schedule), config=CHART, key=f"eta_{i}")
        except ValueError as exc:
            st.error(str(exc))
    return spec


# ----------------------------------------------------------------- page
st.title(t("playground.title"))
st.markdown(t("playground.intro"), unsafe_allow_html=True)

with st.sidebar:
    picked = surface_controls()
    surface = surfaces.get(picked[0], **dict(picked[1])) if picked else None
    steps = links.select(st.select_slider, t("playground.steps"), C.STEP_OPTIONS, DEFAULT_STEPS, key="steps",
                         format_func=lambda v: f"{v:,}", help=t("playground.steps_help"))
    start = start_controls(surface) if surface else None
    n_runs = links.number(t("playground.n_runs"), 1, MAX_RUNS, 2, key="n_runs", help=t("playground.n_runs_help"))
    variant = links.select(st.radio, t("playground.convention"), optimizers.VARIANTS, "torch", key="variant",
                           horizontal=True, format_func=lambda v: t(f"playground.convention_{v}"),
                           help=t("playground.convention_help"))
    three_d = links.switch(st.toggle, t("playground.three_d"), False, key="three_d", help=t("playground.three_d_help"))
    animate = links.switch(st.toggle, t("playground.animate"), True, key="animate", help=t("playground.animate_help"))
    log_steps = links.switch(st.toggle, t("playground.log_steps"), True, key="log_steps",
                             help=t("playground.log_steps_help"))

specs = []
for i, column in enumerate(st.columns(int(n_runs))):
    with column, st.container(border=True):
        spec = run_controls(i, variant, steps)
        try:
            spec.build_optimizer()
            spec.build_schedule()
        except ValueError as exc:
            st.error(t("playground.run_not_drawn", n=i + 1, error=exc))
            continue
        specs.append(spec)

if not specs or surface is None:
    st.info(t("playground.fix_settings") if surface else t("surface_picker.fix"))
    finish()
    st.stop()

language = lang()
view = View(picked[0], picked[1], start, int(steps), tuple(specs))
key = repr(view)
runs = simulate_view(key, language, view)

for run in runs:
    if run.diverged_at >= 0:
        st.warning(f"**{run.label}** {run.divergence_note(language)}")

st.plotly_chart(map_figure(key, language, three_d, animate, view), key="map", on_select="rerun",
                selection_mode=("points",), config=CHART)
st.caption(t("playground.map_caption"))

st.subheader(t("playground.diagnostics"))
st.plotly_chart(diagnostics_figure(key, language, log_steps, view), config=CHART, key="diagnostics")

st.subheader(t("playground.inspector"))
st.caption(t("playground.inspector_caption"))
c1, c2 = st.columns([1, 2])
with c1:
    pick = links.select(st.selectbox, t("playground.inspect_run"), range(len(runs)), 0, key="inspect_run",
                        format_func=lambda k: runs[k].label, help=t("playground.inspect_run_help"))
run = runs[pick]
last = int(run.steps[run.last_good])
with c2:
    step = links.slider(t("playground.inspect_step"), 0, last, min(last, 1), 1, key="inspect_step",
                        help=t("playground.inspect_step_help")) if last > 0 else 0
index = int(np.searchsorted(run.steps, min(step, last)))
c1, c2 = st.columns([3, 2])
c1.plotly_chart(inspector_figure(key, language, pick, index, view), config=CHART, key="inspector")
c2.dataframe(step_table(run, index, language), hide_index=True, column_config={
    c: st.column_config.NumberColumn(c, format="%.6g") for c in ("θ₁", "θ₂")})

st.subheader(t("playground.ended"))
rows = []
for run in runs:
    v = verdict(surface, run)
    end = run.path[run.last_good]
    rows.append({t("playground.col_run"): run.label, t("playground.col_end"): f"({end[0]:.6g}, {end[1]:.6g})",
                 "L": f"{v['loss']:.6g}", "|∇L|": f"{v['grad_norm']:.3g}",
                 t("playground.col_eigen"): ", ".join(f"{e:.4g}" for e in v["eigenvalues"]),
                 t("playground.col_verdict"): t(f"kind.{v['kind']}"),
                 t("playground.col_escape"): ("(" + ", ".join(f"{c:.3f}" for c in v["escape_direction"]) + ")")
                 if "escape_direction" in v else ""})
st.dataframe(rows, hide_index=True)
st.caption(t("playground.critical_caption", tol=f"{optimizers.critical.GRAD_TOL:g}"))

st.subheader(t("playground_more.export"))
export_panel(surface, runs, {t("playground_more.export_map"): map_figure(key, language, three_d, animate, view),
                             t("playground_more.export_diagnostics"): diagnostics_figure(key, language, log_steps, view)},
             key="export")

st.subheader(t("playground.rules"))
for run, spec in zip(runs, specs):
    st.markdown(f"**{run.label}**")
    st.latex(update_rule(spec.build_optimizer(), spec.build_schedule()))

finish()
