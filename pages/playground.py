"""Playground: watch optimizers travel across an error surface, side by side."""
from __future__ import annotations

import numpy as np
import streamlit as st

import optimizers
import surfaces
from figures.inspector import step_table
from figures.map import click_point
from lab import controls as C
from lab.playground import (DEFAULT_KAPPA, DEFAULT_STEPS, DEFAULT_WALLS, KAPPA_OPTIONS, MAX_RUNS, WALLS, RunSpec, View,
                            base_run, bowl_params, hyper_defaults, verdict)
from optimizers.latex import update_rule
from ui import links
from ui.controls import hyper_widget
from ui.exports import export_panel
from ui.i18n import lang, t
from ui.page import finish, fragment_done, lazy, setup
from ui.plot import show, show_map
from ui.surface_picker import surface_picker
from ui.views import (MAP_HEIGHT, diagnostics_figure, diagnostics_part, eta_part, export_map, inspector_part,
                      map_part, simulate_view, surface_part)

setup("playground")

CHART = {"displaylogo": False}
CLICKED = "_map_clicked"  # set by a click on the map: the start changed, the whole page runs again


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


def set_start(surface, x: float, y: float) -> None:
    """A click on the map (surface coordinates) becomes the start point (a callback: runs before the page)."""
    point = click_point(surface, x, y)
    if point is not None:
        st.session_state[f"start_x_{surface.name}"], st.session_state[f"start_y_{surface.name}"] = point
        st.session_state[CLICKED] = True


def start_controls(surface):
    (x0, x1), (y0, y1) = surface.bounds
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


def schedule_params(i: int, kind: str, drawn: bool) -> tuple:
    """((name, value), …) of run ``i``'s schedule: from its widgets when ``drawn``, else as last set."""
    values = []
    for name, default in C.schedule_defaults(kind).items():
        wkey = f"run{i}_{kind}_{name}"
        if isinstance(default, tuple):
            text = ", ".join(map(str, default))
            text = links.text(name, text, key=wkey, help=t("playground.milestones_help")) if drawn else \
                links.value(wkey, text)
            try:
                value = C.parse_steps(name, text)
            except ValueError:
                value = text  # RunSpec.build_schedule names the field and shows the text quoted
        elif isinstance(default, int):
            value = int(links.number(name, 0, 10**9, default, key=wkey, step=1, help=t("playground.schedule_param_help"))
                        if drawn else links.value(wkey, default))
        else:
            value = float(links.number(name, 0.0, 1e9, float(default), key=wkey, format="%g",
                                       help=t("playground.schedule_param_help")) if drawn else links.value(wkey, default))
        values.append((name, value))
    return tuple(values)


def schedule_and_noise(i: int, drawn: bool, lr: float = 0.0, steps: int = 0):
    """Run ``i``'s schedule kind, its parameters, the gradient noise and the seed: from widgets, with
    η_t drawn at ``lr`` over ``steps``, when ``drawn``; else as last set."""
    kinds = optimizers.schedule_names()
    if not drawn:
        kind = links.value(f"run{i}_schedule", "constant")
        noise, seed = links.value(f"run{i}_noise", 0.0), links.value(f"run{i}_seed", 0)
        return kind, schedule_params(i, kind, False), float(noise), int(seed)
    kind = links.select(st.selectbox, t("playground.schedule"), kinds, "constant", key=f"run{i}_schedule",
                        help=t("playground.schedule_help"))
    st.caption(t(f"schedule.{kind}.description"))
    sched = schedule_params(i, kind, True)
    noise = links.slider(t("playground.noise"), 0.0, 2.0, 0.0, 0.05, key=f"run{i}_noise", help=t("playground.noise_help"))
    seed = links.number(t("playground.seed"), 0, 2**31 - 1, 0, key=f"run{i}_seed", help=t("playground.seed_help"))
    try:
        schedule = RunSpec(schedule=kind, schedule_params=sched).build_schedule()  # a step list quoted
        show(eta_part(repr(schedule), lang(), lr, steps, schedule), key=f"eta_{i}", config=CHART)
    except ValueError as exc:
        st.error(str(exc))
    return kind, sched, float(noise), int(seed)


def run_controls(i: int, variant: str, steps: int) -> RunSpec:
    base = base_run(i)
    names = optimizers.names()
    name = links.select(st.selectbox, t("playground.optimizer"), names, base.optimizer, key=f"run{i}_optimizer",
                        format_func=lambda n: t(f"optimizer.{n}.title"), help=t("playground_more.optimizer_help"))
    st.caption(t(f"optimizer.{name}.description"))
    defaults = hyper_defaults(i, name)
    hyper = [(k, hyper_widget(f"run{i}", name, k, v)) for k, v in defaults.items() if k in C.PRIMARY]
    more = {k: v for k, v in defaults.items() if k not in C.PRIMARY}
    # Two panels built only while open; closed, their settings keep the values last set (ui.links.value).
    drawn = lazy(t("playground.more_hyper"), f"open_run{i}_more",
                 lambda: [(k, hyper_widget(f"run{i}", name, k, v)) for k, v in more.items()],
                 opened_by=tuple(f"run{i}_{name}_{k}" for k in more))
    hyper += drawn if drawn is not None else [(k, links.value(f"run{i}_{name}_{k}", v)) for k, v in more.items()]
    lr = RunSpec(name, tuple(hyper)).lr
    opened_by = (f"run{i}_schedule", f"run{i}_noise", f"run{i}_seed",
                 *(f"run{i}_{kind}_" for kind in optimizers.schedule_names()))
    settings = lazy(t("playground.schedule_noise"), f"open_run{i}_schedule",
                    lambda: schedule_and_noise(i, True, lr, steps), opened_by=opened_by)
    kind, sched, noise, seed = settings if settings is not None else schedule_and_noise(i, False)
    return RunSpec(name, tuple(hyper), variant, kind, sched, noise, seed, slot=i)


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

@st.fragment
def views(picked, surface, steps, start, n_runs, variant, three_d, animate, log_steps):
    """The run panels, the map, the curves and the panels under them: all a run's settings change.
    A widget in here reruns only this part (a Streamlit fragment), not the sidebar and the page
    around it; the sidebar's values come in as arguments, as its last full run read them."""
    if st.session_state.pop(CLICKED, False):
        st.rerun()  # a click on the map set the start, a sidebar widget: the whole page reads it

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
        fragment_done()
        return

    language = lang()
    view = View(picked[0], picked[1], start, int(steps), tuple(specs))
    key = repr(view)
    runs = simulate_view(key, language, view)

    for run in runs:
        if run.diverged_at >= 0:
            st.warning(f"**{run.label}** {run.divergence_note(language)}")

    inspector_open = bool(st.session_state.get("open_inspector"))
    if three_d:
        show(surface_part(key, language, view), key="map3d", height=MAP_HEIGHT, config=CHART)
    else:
        part, anim = map_part(key, language, view)
        show_map(part, anim if animate else {"runs": [], "total": 0}, key="map", height=MAP_HEIGHT, config=CHART,
                 on_click=lambda x, y: set_start(surface, x, y),
                 on_step=(lambda step: st.session_state.update(inspect_step=step)) if inspector_open else None)
    st.caption(t("playground.map_caption"))

    st.subheader(t("playground.diagnostics"))
    show(diagnostics_part(key, language, log_steps, view), key="diagnostics", config=CHART)


    def inspector() -> None:
        st.caption(t("playground.inspector_caption"))
        c1, c2 = st.columns([1, 2])
        with c1:
            pick = links.select(st.selectbox, t("playground.inspect_run"), range(len(runs)), 0, key="inspect_run",
                                format_func=lambda k: runs[k].label, help=t("playground.inspect_run_help"))
        run = runs[pick]
        last = int(run.steps[run.last_good])
        if st.session_state.get("inspect_step", 0) > last:  # the scrubber can stop past a run that ended early
            st.session_state["inspect_step"] = last
        with c2:
            step = links.slider(t("playground.inspect_step"), 0, last, min(last, 1), 1, key="inspect_step",
                                help=t("playground.inspect_step_help")) if last > 0 else 0
        index = int(np.searchsorted(run.steps, min(step, last)))
        c1, c2 = st.columns([3, 2])
        with c1:
            show(inspector_part(key, language, pick, index, view), key="inspector", config=CHART)
        c2.dataframe(step_table(run, index, language), hide_index=True, column_config={
            c: st.column_config.NumberColumn(c, format="%.6g") for c in ("θ₁", "θ₂")})


    def ended() -> None:
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


    def exports() -> None:
        export_panel(surface, runs, {t("playground_more.export_map"): export_map(key, language, view),
                                     t("playground_more.export_diagnostics"): diagnostics_figure(key, language, log_steps,
                                                                                                 view)},
                     key="export")


    def rules() -> None:
        for run, spec in zip(runs, specs):
            st.markdown(f"**{run.label}**")
            st.latex(update_rule(spec.build_optimizer(), spec.build_schedule()))


    # Panels opened now and then: built only while open, so a slider move does not pay for them.
    lazy(t("playground.inspector"), "open_inspector", inspector)
    lazy(t("playground.ended"), "open_ended", ended)
    lazy(t("playground_more.export"), "open_export", exports)
    lazy(t("playground.rules"), "open_rules", rules)
    fragment_done()


views(picked, surface, steps, start, n_runs, variant, three_d, animate, log_steps)
finish()
