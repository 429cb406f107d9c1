"""Schedules: every learning-rate schedule of the engine, and two runs where a schedule changes the story."""
from __future__ import annotations

import streamlit as st

import optimizers
from figures.map import path_map
from figures.schedule_plot import schedule_figure
from lab import controls as C
from lab.schedules_demo import (DEMOS, HORIZONS, TITLES, WARMUP_TEXT, WARMUP_ZOOM, canonical, control,
                                default_horizon, demo_runs, look_text, ordered_params, parse_steps,
                                run_summary)
from ui.navigation import use_app_navigation

use_app_navigation()

PER_ROW = 2
CHART = {"displaylogo": False}


# ----------------------------------------------------------------- cached core calls
@st.cache_resource(show_spinner=False)
def demo(key: str):
    """A demo's map (both paths, no animation) and a summary row per run; built once per server."""
    chosen = next(d for d in DEMOS if d.key == key)
    runs = demo_runs(chosen)
    surface = chosen.build_surface()
    return path_map(surface, runs, animate=False, height=480), [run_summary(surface, run) for run in runs]


# ----------------------------------------------------------------- widgets
def param_widget(kind: str, name: str, default):
    ctl = control(kind, name)
    key = f"sched_{kind}_{name}"
    label = f"{name}"
    if ctl.kind == "steps":
        return parse_steps(st.text_input(label, ", ".join(map(str, default)), key=key, help=ctl.help))
    if ctl.kind == "options":
        return st.select_slider(label, ctl.options, value=default, key=key, help=ctl.help)
    if ctl.kind == "int":
        return st.slider(label, int(ctl.lo), int(ctl.hi), int(default), int(ctl.step), key=key, help=ctl.help)
    return st.slider(label, float(ctl.lo), float(ctl.hi), float(default), float(ctl.step), key=key, help=ctl.help,
                     format="%g")


def schedule_card(kind: str, lr: float) -> None:
    st.markdown(f"#### {TITLES.get(kind, kind)}  `{kind}`")
    st.caption(optimizers.schedule(kind).description)
    params = ordered_params(kind)
    values = {}
    for k, column in enumerate(st.columns(2) if params else ()):
        with column:
            for name, default in params[k::2]:
                values[name] = canonical(kind, name, param_widget(kind, name, default))
    horizon = st.select_slider("Updates shown", HORIZONS, value=default_horizon(kind), key=f"sched_{kind}_horizon",
                               format_func=lambda v: f"{v:,}")
    try:
        schedule = optimizers.schedule(kind, **values)
    except ValueError as exc:
        st.error(str(exc))
        return
    st.latex(schedule.latex)
    zoom = WARMUP_ZOOM.get(kind)
    if zoom:
        left, right = st.columns(2)
        short = max(10, 2 * int(values[zoom]))
        left.plotly_chart(schedule_figure(schedule, lr, short), config=CHART, key=f"eta_{kind}_zoom")
        left.caption(f"The warm-up: updates 0 to {short:,}.")
        right.plotly_chart(schedule_figure(schedule, lr, horizon), config=CHART, key=f"eta_{kind}")
        right.caption(f"Updates 0 to {horizon:,}.")
    else:
        st.plotly_chart(schedule_figure(schedule, lr, horizon), config=CHART, key=f"eta_{kind}")


# ----------------------------------------------------------------- page
st.title("Learning-rate schedules")
st.markdown(
    "In θ<sub>t+1</sub> = θ<sub>t</sub> − (η<sub>t</sub>/σ<sub>t</sub>) ⊙ m<sub>t</sub> the step size "
    "η<sub>t</sub> may change with the update t: **decay** takes big steps first and fine ones later; "
    "**warm-up** starts small and rises. Every schedule the engine has is below, with its parameters on sliders "
    "(torch's names and defaults); each plot shows η<sub>t</sub> over the updates. Below the gallery, two runs "
    "where a schedule changes what happens.", unsafe_allow_html=True)

with st.sidebar:
    lr = st.select_slider("Base rate η (lr)", C.LR_OPTIONS, value=1.0, key="sched_lr", format_func=lambda v: f"{v:g}",
                          help="The schedules scale this rate (η = 1 shows the factor itself; the Transformer's "
                               "paper uses η = 1).")

st.header("The gallery")
kinds = optimizers.schedule_names()
for row in range(0, len(kinds), PER_ROW):
    for column, kind in zip(st.columns(PER_ROW, gap="medium"), kinds[row:row + PER_ROW]):
        with column, st.container(border=True):
            schedule_card(kind, float(lr))

st.header("Why warm-up helps adaptive methods")
st.markdown(WARMUP_TEXT)

st.header("A schedule applied to a run")
for chosen in DEMOS:
    figure, rows = demo(chosen.key)
    st.subheader(chosen.title)
    st.markdown(look_text(chosen, rows))
    st.plotly_chart(figure, config=CHART, key=f"demo_{chosen.key}")
    st.dataframe([{
        "run": row["label"], "final loss": f"{row['final_loss']:.4g}", "outcome": row["outcome"],
        "end θ": f"({row['end'][0]:.4g}, {row['end'][1]:.4g})"} for row in rows], hide_index=True)
    finals = " vs ".join(f"{row['final_loss']:.3g}" for row in rows)
    st.caption(f"Final loss after {chosen.steps:,} steps from ({chosen.start[0]:g}, {chosen.start[1]:g}): {finals}. "
               "Open the Playground to replay these runs step by step.")
