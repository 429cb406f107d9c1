"""Learning-rate sweep: one surface, up to three optimizers, a log-spaced range of learning rates."""
from __future__ import annotations

import streamlit as st

import optimizers
import surfaces
from figures.map import path_map
from figures.sweep import run_views, sweep_figure
from lab import controls as C
from lab import sweep as S
from ui.navigation import use_app_navigation

use_app_navigation()

CHART = {"displaylogo": False}
DEFAULT_OPTIMIZERS = ["gd", "adagrad"]


# ----------------------------------------------------------------- cached core calls (small keys)
@st.cache_resource(show_spinner=False)
def sweep_cache() -> S.SweepCache:
    """Results by repr(config), shared by the sessions of this server (read-only)."""
    return S.SweepCache()


@st.cache_resource(max_entries=32, show_spinner=False)
def figure(key: str, picks: tuple, _result):
    return sweep_figure(_result, picks)


@st.cache_resource(max_entries=32, show_spinner=False)
def chosen_map(key: str, picks: tuple, _result):
    """The chosen runs recorded at every step, drawn on the Playground's map (no animation)."""
    config = _result.config
    return path_map(_result.surface, run_views(_result, picks, S.trace_picks(config, picks)), animate=False,
                    click_grid=2)


@st.cache_data(max_entries=32, show_spinner=False)
def csv_text(key: str, _result) -> str:
    return S.to_csv(_result)


def compute(config: S.SweepConfig) -> S.SweepResult:
    """The sweep from the cache, or computed under a progress bar (fed by simulate's progress callback)."""
    cache = sweep_cache()
    result = cache.get(config)
    if result is not None:
        return result
    work = len(config.optimizers) * config.n_rates * config.steps
    text = f"Running {len(config.optimizers)} × {config.n_rates} runs of {config.steps:,} steps ({work:,} steps)…"
    bar = st.progress(0.0, text=text)
    try:
        result = cache.run(config, progress=lambda f: bar.progress(min(max(float(f), 0.0), 1.0), text=text))
    finally:
        bar.empty()
    return result


# ----------------------------------------------------------------- chosen rates: clicks and defaults
def sync_picks(result: S.SweepResult) -> None:
    """Bring st.session_state["picks"] (the multiselect's value) up to date before the widget is drawn:
    defaults for a new surface or optimizer set, earlier picks moved to the nearest swept rate when only
    the range or the steps changed, and a click on the sweep chart added."""
    config = result.config
    identity = (config.surface, config.surface_params, config.optimizers)
    saved = st.session_state.get("picks", st.session_state.get("_picks_kept"))
    if st.session_state.get("_picks_for") != identity or saved is None:
        picks = S.default_picks(result)
    else:
        picks = S.remap_picks(result, saved)

    event = st.session_state.get("sweep_chart")
    points = getattr(getattr(event, "selection", None), "points", None) or []
    if not points:
        st.session_state.pop("_applied_click", None)  # the same point may be clicked again later
    else:
        # A selection stays in the chart's state until the next click: apply each click once, even
        # when a setting changes in between (and the user may have removed the pick meanwhile).
        click = repr(sorted(points[0].items()))
        key = S.click_pick(result, points[0])
        if key is not None and st.session_state.get("_applied_click") != click:
            st.session_state["_applied_click"] = click
            picks = S.add_pick(picks, key)

    st.session_state["_picks_for"] = identity
    st.session_state["picks"] = picks


# ----------------------------------------------------------------- page
st.title("Learning-rate sweep")
st.markdown(
    "One surface, one or more optimizers, many learning rates: every rate is a full run, and each run is "
    "labelled by what it did — **converged**, **oscillating** (bouncing between the walls), **still moving** "
    "(too slow to arrive) or **diverged**. On the lecture's bowl, plain gradient descent has no good rate: "
    "η = 10⁻² bounces across the valley, η = 10⁻⁷ crawls along it and never arrives; Adagrad arrives. "
    "Click a point (or pick rates below) to see those runs on the map.")

with st.sidebar:
    surface_name = st.selectbox("Surface", surfaces.names(), format_func=lambda n: surfaces.get(n).title,
                                key="surface", help="The lecture's four surfaces come first, then classic ones.")
    chosen_optimizers = st.multiselect(
        "Optimizers", optimizers.names(), default=DEFAULT_OPTIMIZERS, key="optimizers",
        max_selections=S.MAX_OPTIMIZERS, format_func=S.display_name,
        help=f"1 to {S.MAX_OPTIMIZERS}, drawn on the same axes; torch.optim's default hyperparameters.")
    lr_min = st.select_slider("Smallest learning rate (lr_min)", C.LR_OPTIONS, value=1e-8, key="lr_min",
                              format_func=lambda v: f"{v:g}")
    lr_max = st.select_slider("Largest learning rate (lr_max)", C.LR_OPTIONS, value=1.0, key="lr_max",
                              format_func=lambda v: f"{v:g}")
    n_rates = st.slider("Number of rates (n_rates)", 2, S.MAX_RATES, 50, key="n_rates",
                        help="Log-spaced from lr_min to lr_max, both included.")
    steps = st.select_slider("Steps per run", C.STEP_OPTIONS, value=100_000, key="steps",
                             format_func=lambda v: f"{v:,}")
    variant = st.radio("Convention", ("torch", "lecture"), key="variant", horizontal=True,
                       format_func={"torch": "PyTorch", "lecture": "Lecture"}.get,
                       help="Where they differ (momentum, Adagrad, RMSProp): torch.optim's formulas or the lecture's.")

try:
    config = S.SweepConfig(surface=surface_name, optimizers=tuple(chosen_optimizers), lr_min=lr_min, lr_max=lr_max,
                           n_rates=n_rates, steps=steps, variant=variant)
except ValueError as exc:
    st.error(f"The sweep is not run: {exc}")
    st.stop()

result = compute(config)
key = repr(config)
sync_picks(result)
picks = tuple(st.session_state["picks"])

counts = "; ".join(f"**{s.name}**: " + ", ".join(f"{n} {S.LABEL_TEXT[lab]}" for lab, n in s.count().items() if n)
                   for s in result.runs)
st.caption(f"{len(result.runs)} × {config.n_rates} runs of {config.steps:,} steps on "
           f"{result.surface.title.lower()}, computed in {result.seconds:.2f} s. {counts}.")
st.plotly_chart(figure(key, picks, result), key="sweep_chart", on_select="rerun", selection_mode=("points",),
                config=CHART)

with st.expander("What the labels mean"):
    st.markdown("\n".join(f"- **{S.LABEL_TEXT[lab]}**: {text}" for lab, text in S.label_definitions().items()))
    st.caption(f"Read from the trajectory itself: the end point θ_T and the last {S.TAIL} steps, recorded one "
               "by one (optimizers/outcomes.py).")

st.subheader("Chosen rates on the map")
picks = tuple(st.multiselect("Chosen rates", S.pick_options(result), key="picks", max_selections=S.MAX_PICKS,
                             format_func=lambda k: S.pick_text(result, k),
                             help="Click a point on the chart above to add its run; up to four."))
st.session_state["_picks_kept"] = list(picks)  # survives a run that stops on an error
if picks:
    st.plotly_chart(chosen_map(key, picks, result), key="sweep_map", config=CHART)
    st.caption("● start · ■ end · ✕ diverged · ★ minimum. Every step is recorded for these runs; the path "
               "keeps each stretch's turning points, so a bounce stays a band.")
else:
    st.info("Pick a rate above, or click a point on the chart, to see its path.")

st.subheader("All runs")
st.dataframe(S.table(result), hide_index=True, column_config={
    "learning rate": st.column_config.NumberColumn(format="%.3e"),
    "final loss": st.column_config.NumberColumn(format="%.4e"),
    "distance to nearest minimum": st.column_config.NumberColumn(format="%.4e"),
})
st.download_button("Download CSV", csv_text(key, result), file_name=f"sweep-{config.surface}.csv",
                   mime="text/csv", key="download")
