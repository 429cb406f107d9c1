"""Basins: where does each start end? A grid of starts, two optimizers side by side."""
from __future__ import annotations


import streamlit as st

import optimizers
import surfaces
from figures.basins import basin_figure, steps_range
from figures.map import path_map
from lab import controls as C
from lab.basins import MAX_N, BasinConfig, category_name, pick_runs, pick_summary, run_basins
from lab.results import ResultCache
from ui.controls import hyper_widget
from ui.navigation import use_app_navigation

use_app_navigation()

PANELS = ("gd", "momentum")  # the default optimizer of each panel
N_OPTIONS = (10, 20, 30, 40, 50, 60, 80, 100, 120, 150, 200)
CHART = {"displaylogo": False}
STORE_SIZE = 16  # basin results kept (about 2 MB each at 200 × 200)
BY_TEXT = {"end": "where it ended", "steps": "steps needed"}


# ----------------------------------------------------------------- cached core calls (small keys)
@st.cache_resource(show_spinner="Loading the trajectory engine …")
def engine_ready() -> bool:
    """Load the compiled kernel once per server, so that the times shown are the computation's own."""
    optimizers.warm_up()
    return True


@st.cache_resource(show_spinner=False)
def result_store() -> ResultCache:
    """Basin results by run_key, shared by every session (read-only), the newest STORE_SIZE kept."""
    return ResultCache(run_basins, key=lambda config: config.run_key, max_entries=STORE_SIZE)


def basins(config: BasinConfig, progress=None):
    return result_store().run(config, progress)


@st.cache_resource(max_entries=32, show_spinner=False)
def basin_map(key: str, by: str, scale: tuple | None, mark: tuple, _result):
    """The basin map of a result; ``key`` is its config's run_key, ``scale`` the shared steps colour range,
    ``mark`` the picked start."""
    return basin_figure(_result.surface, _result, by=by, steps_scale=scale, mark=mark)


@st.cache_resource(max_entries=16, show_spinner=False)
def pick(key: str, start: tuple, _configs: tuple):
    """Both optimizers' paths from one start, the map that draws them, and a summary row each."""
    runs = pick_runs(_configs, start)
    surface = _configs[0].build_surface()
    figure = path_map(surface, runs, animate=False, height=480)
    return figure, [pick_summary(surface, run) for run in runs]


# ----------------------------------------------------------------- widgets -> configs
def panel_config(i: int, default: str, shared: dict) -> BasinConfig | None:
    names = optimizers.names()
    name = st.selectbox("Optimizer", names, index=names.index(default), key=f"basin{i}_optimizer")
    defaults = C.hyperparameters(name)
    hyper = [("lr", shared["lr"])]
    hyper += [(k, hyper_widget(f"basin{i}", name, k, v)) for k, v in defaults.items() if k in C.PRIMARY and k != "lr"]
    try:
        return BasinConfig(surface=shared["surface"], optimizer=name, hyper=tuple(hyper), variant=shared["variant"],
                           n=shared["n"], steps=shared["steps"], by=shared["by"])
    except ValueError as exc:
        st.error(str(exc))
        return None


def apply_clicks(surface_name: str) -> None:
    """A click on either map (a cell's invisible marker) picks that cell's start for the paths below."""
    for i in range(len(PANELS)):
        event = st.session_state.get(f"basin_map{i}")
        points = getattr(getattr(event, "selection", None), "points", None) or []
        if not points:
            continue
        x, y = float(points[0]["x"]), float(points[0]["y"])
        if st.session_state.get(f"_basin_applied{i}") != (surface_name, x, y):
            st.session_state[f"_basin_applied{i}"] = (surface_name, x, y)
            st.session_state["basin_pick"] = (surface_name, x, y)


def reset_pick() -> None:
    """Forget the picked start (and the clicks that picked it, so that clicking the same cell again counts)."""
    for key in ["basin_pick", *(f"_basin_applied{i}" for i in range(len(PANELS)))]:
        st.session_state.pop(key, None)


# ----------------------------------------------------------------- page
st.title("Basins of attraction")
st.markdown(
    "Every cell is one start point. Each start runs the same optimizer for the same number of steps, and the "
    "cell takes the colour of **where it ended**: the minimum it fell into (★ in the same colour), or grey when "
    "it stopped at a saddle, is still bouncing or crawling, or diverged. Put gradient descent and momentum side "
    "by side: the heavy ball rolls over hills, so the **same start can end in a different minimum**. "
    "Try the bumpy valley and Himmelblau's function. Hover a cell for its start, end and final loss; "
    "click it to draw its path below.")

with st.sidebar:
    names = surfaces.names()
    surface_name = st.selectbox("Surface", names, index=names.index("bumpy_valley"), key="basin_surface",
                                format_func=lambda n: surfaces.get(n).title)
    n = st.select_slider("Grid (starts per side)", N_OPTIONS, value=100, key="basin_n",
                         help=f"n × n starts, one per cell; up to {MAX_N} × {MAX_N} = {MAX_N ** 2:,} runs.")
    steps = st.select_slider("Steps", C.STEP_OPTIONS, value=2_000, key="basin_steps", format_func=lambda v: f"{v:,}")
    lr = st.select_slider(C.CONTROLS["lr"].label, C.LR_OPTIONS, value=1e-2, key="basin_lr",
                          format_func=lambda v: f"{v:g}", help="The same learning rate for both panels.")
    variant = st.radio("Convention", ("torch", "lecture"), key="basin_variant", horizontal=True,
                       format_func={"torch": "PyTorch", "lecture": "Lecture"}.get)
    by = st.radio("Colour by", ("end", "steps"), key="basin_by", format_func=BY_TEXT.get, horizontal=True,
                  help="Steps needed: the first step from which the run stays within 0.1% of the window of "
                       "where it ended (log colour scale; only for starts that converged).")

surface = surfaces.get(surface_name)
shared = dict(surface=surface_name, n=int(n), steps=int(steps), lr=float(lr), variant=variant, by=by)
apply_clicks(surface_name)

configs = []
for i, (column, default) in enumerate(zip(st.columns(len(PANELS)), PANELS)):
    with column:
        configs.append(panel_config(i, default, shared))
engine_ready()

# One progress bar for both panels, shown only while something is computed (cached results return at once).
bar = st.empty()
results = []
for k, config in enumerate(configs):
    if config is None:
        results.append(None)
        continue

    def report(fraction, k=k, config=config):
        bar.progress(min(1.0, (k + fraction) / len(configs)),
                     text=f"{config.label}: {config.n ** 2:,} starts × {config.steps:,} steps …")

    results.append(basins(config, report))
bar.empty()

picked = st.session_state.get("basin_pick")
if picked and picked[0] == surface_name:
    start = (picked[1], picked[2])
    note = f"the clicked cell's start ({start[0]:.4g}, {start[1]:.4g})"
else:
    start = (float(surface.start[0]), float(surface.start[1]))
    note = f"the surface's default start ({start[0]:.4g}, {start[1]:.4g}); click a cell above to pick another"

scale = steps_range(*results) if by == "steps" else None  # one colour scale for both maps
for i, (column, config, result) in enumerate(zip(st.columns(len(PANELS)), configs, results)):
    if result is None:
        continue
    with column:
        st.markdown(f"**{config.label}**")
        st.plotly_chart(basin_map(config.run_key, by, scale, start, result), key=f"basin_map{i}", on_select="rerun",
                        selection_mode=("points",), config=CHART)
        st.caption(f"{config.n ** 2:,} starts × {config.steps:,} steps in {result.seconds:.2f} s.")

st.subheader("Paths from one start")
st.button("Default start", key="basin_reset_pick", on_click=reset_pick, help="Back to the surface's default start.")
valid = tuple(c for c in configs if c is not None)
if not valid:
    st.info("Fix the settings above to see the paths.")
    st.stop()
st.caption(f"Both optimizers from {note}.")
figure, rows = pick(repr((start, tuple(c.run_key for c in valid))), start, valid)
st.plotly_chart(figure, key="basin_paths", config=CHART)
st.dataframe([{
    "run": row["label"], "end θ": f"({row['end'][0]:.6g}, {row['end'][1]:.6g})",
    "ended": category_name(surface, row["category"]), "final loss": f"{row['final_loss']:.6g}",
    "steps needed": row["steps_text"]} for row in rows], hide_index=True)
