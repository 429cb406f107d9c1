"""Schedules: every learning-rate schedule of the engine, and two runs where a schedule changes the story."""
from __future__ import annotations

import streamlit as st

import optimizers
from figures.map import map_split
from lab import controls as C
from lab.schedules_demo import (DEMOS, HORIZONS, WARMUP_ZOOM, canonical, control, default_horizon, demo_runs,
                                description, look_text, ordered_params, param_help, run_summary, title)
from ui import links
from ui.i18n import lang, t
from ui.page import finish, setup
from ui.plot import show, show_map
from ui.views import eta_part

setup("schedules")

PER_ROW = 2
CHART = {"displaylogo": False}
DEMO_HEIGHT = 480


# ----------------------------------------------------------------- cached core calls
@st.cache_resource(show_spinner=False)
def demo(key: str, language: str):
    """A demo's map as the browser draws it (part, anim) and a summary row per run; built once per server and language."""
    chosen = next(d for d in DEMOS if d.key == key)
    runs = demo_runs(chosen, lang=language)
    surface = chosen.build_surface()
    part, anim = map_split(surface, runs, height=DEMO_HEIGHT, lang=language)
    return part, anim, [run_summary(surface, run, lang=language) for run in runs]


# ----------------------------------------------------------------- widgets
def param_widget(kind: str, name: str, default):
    """The linked widget of one schedule parameter, labelled with torch's name."""
    ctl = control(kind, name)
    key = f"sched_{kind}_{name}"
    tip = param_help(kind, name, lang())
    if ctl.kind == "steps":  # text: read (and refused, quoted) with the schedule in schedule_card
        return links.text(name, ", ".join(map(str, default)), key, help=tip)
    if ctl.kind == "options":
        return links.select(st.select_slider, name, ctl.options, default, key, help=tip)
    if ctl.kind == "int":
        return links.slider(name, int(ctl.lo), int(ctl.hi), int(default), int(ctl.step), key, help=tip)
    return links.slider(name, float(ctl.lo), float(ctl.hi), float(default), float(ctl.step), key, help=tip,
                        format="%g")


def eta_chart(schedule, lr: float, steps: int, key: str) -> None:
    """η_t drawn in the browser from a split built once per server (ui.views.eta_part): a class opening
    the gallery does not build and send a Plotly figure per schedule for each student."""
    show(eta_part(repr(schedule), lang(), lr, steps, schedule), key=key, config=CHART)


def schedule_card(kind: str, lr: float) -> None:
    st.markdown(f"#### {title(kind, lang())}  `{kind}`")
    st.caption(description(kind, lang()))
    params = ordered_params(kind)
    values = {}
    for k, column in enumerate(st.columns(2) if params else ()):
        with column:
            for name, default in params[k::2]:
                values[name] = canonical(kind, name, param_widget(kind, name, default))
    horizon = links.select(st.select_slider, t("schedules.horizon"), HORIZONS, default_horizon(kind),
                           key=f"sched_{kind}_horizon", format_func=lambda v: f"{v:,}",
                           help=t("schedules.horizon_help"))
    try:
        values = {name: C.parse_steps(name, v) if control(kind, name).kind == "steps" else v
                  for name, v in values.items()}
        schedule = optimizers.schedule(kind, **values)
    except ValueError as exc:
        st.error(t("schedules.invalid", reason=exc))
        return
    st.latex(schedule.latex)
    zoom = WARMUP_ZOOM.get(kind)
    if zoom:
        left, right = st.columns(2)
        short = max(10, 2 * int(values[zoom]))
        with left:
            eta_chart(schedule, lr, short, f"eta_{kind}_zoom")
            st.caption(t("schedules.zoom_caption", n=f"{short:,}"))
        with right:
            eta_chart(schedule, lr, horizon, f"eta_{kind}")
            st.caption(t("schedules.full_caption", n=f"{horizon:,}"))
    else:
        eta_chart(schedule, lr, horizon, f"eta_{kind}")


# ----------------------------------------------------------------- page
st.title(t("schedules.title"))
st.markdown(t("schedules.intro"), unsafe_allow_html=True)

with st.sidebar:
    lr = links.select(st.select_slider, t("schedules.lr"), C.LR_OPTIONS, 1.0, key="sched_lr",
                      format_func=lambda v: f"{v:g}", help=t("schedules.lr_help"))

st.header(t("schedules.gallery"))
kinds = optimizers.schedule_names()
for row in range(0, len(kinds), PER_ROW):
    for column, kind in zip(st.columns(PER_ROW, gap="medium"), kinds[row:row + PER_ROW]):
        with column, st.container(border=True):
            schedule_card(kind, float(lr))

st.header(t("schedules.warmup_title"))
st.markdown(t("schedules.warmup_text"))

st.header(t("schedules.demos_title"))
columns = {k: t(f"schedules.column.{k}") for k in ("run", "bursts", "final_loss", "outcome", "end")}
for chosen in DEMOS:
    part, anim, rows = demo(chosen.key, lang())
    st.subheader(chosen.title(lang()))
    st.markdown(look_text(chosen, rows, lang()))
    show_map(part, anim, key=f"demo_{chosen.key}", height=DEMO_HEIGHT, config=CHART)
    st.dataframe([{
        columns["run"]: row["label"], **({columns["bursts"]: len(row["bursts"])} if chosen.counts_bursts else {}),
        columns["final_loss"]: f"{row['final_loss']:.4g}", columns["outcome"]: row["outcome"],
        columns["end"]: f"({row['end'][0]:.4g}, {row['end'][1]:.4g})"} for row in rows], hide_index=True)
    finals = t("schedules.vs").join(f"{row['final_loss']:.3g}" for row in rows)
    st.caption(t("schedules.demo_caption", steps=f"{chosen.steps:,}", x=f"{chosen.start[0]:g}",
                 y=f"{chosen.start[1]:g}", finals=finals))

finish()
