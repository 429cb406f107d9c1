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
from lab.playground import DEFAULT_RUNS, KIND_TEXT, MAP_OPTIONS, MAX_RUNS, RunSpec, View, run_view, verdict
from optimizers.latex import update_rule
from ui.controls import hyper_widget
from ui.navigation import use_app_navigation

use_app_navigation()

EXTRA_DEFAULTS = ("momentum", "adam")  # runs 3 and 4 when added
KAPPA_OPTIONS = C.log_options(1, 9, (1, 1.6, 2.5, 4, 6.3))
CHART = {"displaylogo": False}


# ----------------------------------------------------------------- cached core calls
@st.cache_resource(max_entries=32, show_spinner=False)
def simulate_view(key: str, _view: View):
    """Trajectories of a view; ``key`` is repr(view) (small, hashable), the view itself is not hashed."""
    return run_view(_view)


@st.cache_resource(max_entries=32, show_spinner=False)
def map_figure(key: str, three_d: bool, animate: bool, _view: View):
    runs = simulate_view(key, _view)
    surface = _view.build_surface()
    if three_d:
        return surface_3d(surface, runs)
    return path_map(surface, runs, animate=animate, **MAP_OPTIONS)


@st.cache_resource(max_entries=64, show_spinner=False)
def eta_figure(key: str, lr: float, steps: int, _schedule):
    """η_t of one run; ``key`` is repr(schedule)."""
    return schedule_figure(_schedule, lr, steps)


@st.cache_resource(max_entries=64, show_spinner=False)
def inspector_figure(key: str, run_index: int, index: int, _view: View):
    return step_figure(_view.build_surface(), simulate_view(key, _view)[run_index], index)


@st.cache_resource(max_entries=32, show_spinner=False)
def diagnostics_figure(key: str, log_steps: bool, _view: View):
    return diagnostics(_view.build_surface(), simulate_view(key, _view), log_steps=log_steps)


# ----------------------------------------------------------------- widgets -> View
def surface_controls():
    names = surfaces.names()
    name = st.selectbox("Surface", names, format_func=lambda n: surfaces.get(n).title, key="surface",
                        help="The lecture's four surfaces come first, then classic test functions.")
    params = ()
    if name == "bowl":
        kappa = st.select_slider("Condition number κ (kappa)", KAPPA_OPTIONS, key="bowl_kappa",
                                 value=C.nearest_option(KAPPA_OPTIONS, 1.6e5), format_func=lambda v: f"{v:.3g}",
                                 help="Curvature across the valley divided by curvature along it.")
        angle = st.slider("Rotation φ (angle, degrees)", -90, 90, 0, 5, key="bowl_angle",
                          help="Rotating the valley takes Adagrad's per-axis scaling off its axes.")
        params = (("angle", float(angle)), ("kappa", float(kappa)))
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
    if st.button("Default start", key="reset_start", help="Back to the surface's default start point."):
        st.session_state.pop(kx, None)
        st.session_state.pop(ky, None)
    # Set through session state only (a click writes there too), never also through value=.
    st.session_state.setdefault(kx, float(surface.start[0]))
    st.session_state.setdefault(ky, float(surface.start[1]))
    c1, c2 = st.columns(2)
    x = c1.number_input("start θ₁", x0, x1, key=kx, format="%.4g",
                        help=f"Allowed {x0:g} to {x1:g}. Or click on the map.")
    y = c2.number_input("start θ₂", y0, y1, key=ky, format="%.4g",
                        help=f"Allowed {y0:g} to {y1:g}. Or click on the map.")
    return (float(x), float(y))


def schedule_params(i: int, kind: str) -> tuple:
    values = []
    for name, default in C.schedule_defaults(kind).items():
        wkey = f"run{i}_{kind}_{name}"
        if isinstance(default, tuple):
            text = st.text_input(name, ", ".join(map(str, default)), key=wkey, help="Comma-separated steps.")
            try:
                value = tuple(int(v) for v in text.replace(" ", "").split(",") if v)
            except ValueError:
                value = text  # the schedule's own check names the field and the allowed values
        elif isinstance(default, int):
            value = int(st.number_input(name, min_value=0, value=default, step=1, key=wkey))
        else:
            value = float(st.number_input(name, min_value=0.0, value=float(default), key=wkey, format="%g"))
        values.append((name, value))
    return tuple(values)


def run_controls(i: int, variant: str, steps: int) -> RunSpec:
    base = DEFAULT_RUNS[i] if i < len(DEFAULT_RUNS) else RunSpec(EXTRA_DEFAULTS[i - len(DEFAULT_RUNS)])
    names = optimizers.names()
    name = st.selectbox("Optimizer", names, index=names.index(base.optimizer), key=f"run{i}_optimizer")
    defaults = {**C.hyperparameters(name), **dict(base.hyper if name == base.optimizer else ())}
    hyper = [(k, hyper_widget(f"run{i}", name, k, v)) for k, v in defaults.items() if k in C.PRIMARY]
    with st.expander("More hyperparameters"):
        hyper += [(k, hyper_widget(f"run{i}", name, k, v)) for k, v in defaults.items() if k not in C.PRIMARY]
    with st.expander("Schedule and noise"):
        kinds = optimizers.schedule_names()
        kind = st.selectbox("Schedule η_t", kinds, key=f"run{i}_schedule")
        sched = schedule_params(i, kind)
        noise = st.slider("Gradient noise (std)", 0.0, 2.0, 0.0, 0.05, key=f"run{i}_noise",
                          help="Gaussian noise added to each gradient, standing in for mini-batches.")
        seed = int(st.number_input("Noise seed", 0, 2**31 - 1, 0, key=f"run{i}_seed"))
        spec = RunSpec(name, tuple(hyper), variant, kind, sched, float(noise), seed, slot=i)
        try:
            schedule = spec.build_schedule()
            st.plotly_chart(eta_figure(repr(schedule), spec.lr, steps, schedule), config=CHART, key=f"eta_{i}")
        except ValueError as exc:
            st.error(str(exc))
    return spec


# ----------------------------------------------------------------- page
st.title("Playground")
st.markdown(
    "Pick a surface and up to four optimizers, move the sliders, press **Play**. Every path is exactly what "
    "the update rule θ<sub>t+1</sub> = θ<sub>t</sub> − (η<sub>t</sub>/σ<sub>t</sub>) ⊙ m<sub>t</sub> does — the "
    "same numbers torch.optim gives. Click the map to start somewhere else.", unsafe_allow_html=True)

with st.sidebar:
    surface_name, surface_params = surface_controls()
    surface = surfaces.get(surface_name, **dict(surface_params))
    steps = st.select_slider("Steps", C.STEP_OPTIONS, value=10_000, key="steps", format_func=lambda v: f"{v:,}")
    start = start_controls(surface)
    n_runs = st.number_input("Runs to compare", 1, MAX_RUNS, 2, key="n_runs")
    variant = st.radio("Convention", ("torch", "lecture"), key="variant", horizontal=True,
                       format_func={"torch": "PyTorch", "lecture": "Lecture"}.get,
                       help="Where they differ (momentum, Adagrad, RMSProp): torch.optim's formulas or the "
                            "lecture's. See each run's update rule below.")
    three_d = st.toggle("3D view", False, key="three_d")
    animate = st.toggle("Animation", True, key="animate")
    log_steps = st.toggle("Log step axis", True, key="log_steps",
                          help="Most of a run's story happens early; a log axis shows it.")

specs = []
for i, column in enumerate(st.columns(int(n_runs))):
    with column, st.container(border=True):
        spec = run_controls(i, variant, steps)
        try:
            spec.build_optimizer()
            spec.build_schedule()
        except ValueError as exc:
            st.error(f"Run {i + 1} is not drawn: {exc}")
            continue
        specs.append(spec)

if not specs:
    st.info("Fix the settings above to see the runs.")
    st.stop()

view = View(surface_name, surface_params, start, int(steps), tuple(specs))
key = repr(view)
runs = simulate_view(key, view)

for run in runs:
    if run.diverged_at >= 0:
        st.warning(f"**{run.label}** {run.divergence_note()}")

st.plotly_chart(map_figure(key, three_d, animate, view), key="map", on_select="rerun",
                selection_mode=("points",), config=CHART)
st.caption("★ minimum · ✕ saddle · ▲ maximum · ● start. Colours: log-spaced height above the lowest minimum.")

st.subheader("Loss, gradient and step size")
st.plotly_chart(diagnostics_figure(key, log_steps, view), config=CHART, key="diagnostics")

st.subheader("Step inspector")
st.caption("At step t: the plain gradient step −(η_t/σ_t)⊙g_t, the previous move, and the move actually made "
           "— with momentum the move is the previous move carried on plus the new gradient step.")
c1, c2 = st.columns([1, 2])
pick = c1.selectbox("Run", range(len(runs)), format_func=lambda k: runs[k].label, key="inspect_run")
run = runs[pick]
last = int(run.steps[run.last_good])
step = c2.slider("Step t", 0, last, min(last, 1), key="inspect_step") if last > 0 else 0
index = int(np.searchsorted(run.steps, min(step, last)))
c1, c2 = st.columns([3, 2])
c1.plotly_chart(inspector_figure(key, pick, index, view), config=CHART, key="inspector")
c2.dataframe(step_table(run, index), hide_index=True, column_config={
    c: st.column_config.NumberColumn(c, format="%.6g") for c in ("θ₁", "θ₂")})

st.subheader("Where each run ended")
rows = []
for run in runs:
    v = verdict(surface, run)
    end = run.path[run.last_good]
    rows.append({"run": run.label, "end θ": f"({end[0]:.6g}, {end[1]:.6g})", "loss": f"{v['loss']:.6g}",
                 "|∇L|": f"{v['grad_norm']:.3g}", "Hessian eigenvalues": ", ".join(f"{e:.4g}" for e in v["eigenvalues"]),
                 "verdict": KIND_TEXT[v["kind"]],
                 "escape along": ("(" + ", ".join(f"{c:.3f}" for c in v["escape_direction"]) + ")")
                 if "escape_direction" in v else ""})
st.dataframe(rows, hide_index=True)
st.caption(f"Critical when |∇L| ≤ {optimizers.critical.GRAD_TOL:g}; then the Hessian's eigenvalues decide "
           "(a saddle escapes along the eigenvector of its negative eigenvalue).")

st.subheader("Update rules")
for run, spec in zip(runs, specs):
    st.markdown(f"**{run.label}**")
    st.latex(update_rule(spec.build_optimizer(), spec.build_schedule()))
