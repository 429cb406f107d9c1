"""Basins: where does each start end? A grid of starts, two optimizers side by side."""
from __future__ import annotations

import streamlit as st

import optimizers
import surfaces
from figures.basins import basin_figure, steps_range
from figures.map import map_split
from lab import controls as C
from lab.basins import MAX_N, BasinConfig, category_name, pick_runs, pick_summary, run_basins
from lab.results import ResultCache
from optimizers.latex import update_rule
from ui import links
from ui.controls import hyper_widget
from ui.i18n import lang, t
from ui.page import finish, setup
from ui.plot import show_map
from ui.surface_picker import surface_picker

setup("basins")

PANELS = ("gd", "momentum")  # the default optimizer of each panel
N_OPTIONS = (10, 20, 30, 40, 50, 60, 80, 100, 120, 150, 200)
BY = ("end", "steps")
CHART = {"displaylogo": False}
STORE_SIZE = 40  # basin results kept: both panels at all 13 η stops fit (0.5 MB each at 100 × 100, 2 MB at 200²)
PATHS_HEIGHT = 480


# ----------------------------------------------------------------- cached core calls (small keys)
@st.cache_resource(show_spinner=False)
def engine_ready() -> bool:
    """Load the compiled kernels of the default panels once per server, so that the times shown are the
    computation's own."""
    optimizers.warm_up(PANELS)
    return True


@st.cache_resource(show_spinner=False)
def result_store() -> ResultCache:
    """Basin results by run_key, shared by every session (read-only), the newest STORE_SIZE kept."""
    return ResultCache(run_basins, key=lambda config: config.run_key, max_entries=STORE_SIZE)


def basins(config: BasinConfig, progress=None):
    return result_store().run(config, progress)


@st.cache_resource(max_entries=2 * STORE_SIZE, show_spinner=False)
def basin_map(key: str, by: str, scale: tuple | None, mark: tuple, language: str, _result):
    """The basin map of a result; ``key`` is its config's run_key, ``scale`` the shared steps colour range,
    ``mark`` the chosen start."""
    return basin_figure(_result.surface, _result, by=by, steps_scale=scale, mark=mark, lang=language)


@st.cache_resource(max_entries=16, show_spinner=False)
def pick(key: str, start: tuple, language: str, _configs: tuple):
    """Both optimizers' paths from one start, the map that draws them, and a summary row each."""
    runs = pick_runs(_configs, start, labels=[c.describe(language) for c in _configs])
    surface = _configs[0].build_surface()
    part, anim = map_split(surface, runs, height=PATHS_HEIGHT, lang=language)
    return part, anim, [pick_summary(surface, run, lang=language) for run in runs]


# ----------------------------------------------------------------- widgets -> configs
def panel_config(i: int, default: str, shared: dict) -> BasinConfig | None:
    name = links.select(st.selectbox, t("basins.optimizer"), optimizers.names(), default, key=f"basin{i}_optimizer",
                        format_func=lambda n: t(f"optimizer.{n}.title"), help=t("basins.optimizer_help"))
    st.caption(t(f"optimizer.{name}.description"))
    defaults = C.hyperparameters(name)
    hyper = [("lr", shared["lr"])]
    hyper += [(k, hyper_widget(f"basin{i}", name, k, v)) for k, v in defaults.items()
              if k in C.PRIMARY and k != "lr"]
    try:
        config = BasinConfig(surface=shared["surface"], surface_params=shared["surface_params"], optimizer=name,
                             hyper=tuple(hyper),
                             variant=shared["variant"], n=shared["n"], steps=shared["steps"], by=shared["by"])
    except ValueError as exc:
        st.error(t("basins.invalid", reason=exc))
        return None
    with st.expander(t("basins.rule")):
        st.latex(update_rule(config.build_optimizer()))
    return config


def start_keys(surface_name: str) -> tuple[str, str]:
    """The widget keys of the paths' start, one pair per surface (each surface has its own window)."""
    return f"basin_x_{surface_name}", f"basin_y_{surface_name}"


def apply_clicks(surface_name: str) -> None:
    """A click on either map (a cell's invisible marker) makes that cell's start the start of the paths below."""
    kx, ky = start_keys(surface_name)
    for i in range(len(PANELS)):
        event = st.session_state.get(f"basin_map{i}")
        points = getattr(getattr(event, "selection", None), "points", None) or []
        if not points:
            continue
        x, y = float(points[0]["x"]), float(points[0]["y"])
        if st.session_state.get(f"_basin_applied{i}") != (surface_name, x, y):
            st.session_state[f"_basin_applied{i}"] = (surface_name, x, y)
            st.session_state[kx], st.session_state[ky] = x, y


def reset_start(surface_name: str) -> None:
    """Back to the surface's default start (and forget the clicks, so that clicking the same cell again counts)."""
    for key in [*start_keys(surface_name), *(f"_basin_applied{i}" for i in range(len(PANELS)))]:
        st.session_state.pop(key, None)


def start_controls(surface) -> tuple[float, float]:
    (x0, x1), (y0, y1) = surface.bounds
    kx, ky = start_keys(surface.name)
    c1, c2 = st.columns(2)
    with c1:
        x = links.number(t("basins.start_x"), float(x0), float(x1), float(surface.start[0]), kx, format="%.4g",
                         help=t("basins.start_help", lo=f"{x0:g}", hi=f"{x1:g}"))
    with c2:
        y = links.number(t("basins.start_y"), float(y0), float(y1), float(surface.start[1]), ky, format="%.4g",
                         help=t("basins.start_help", lo=f"{y0:g}", hi=f"{y1:g}"))
    return float(x), float(y)


# ----------------------------------------------------------------- page
st.title(t("basins.title"))
st.markdown(t("basins.intro"))

with st.sidebar:
    picked = surface_picker("basin_", "bumpy_valley", label=t("basins.surface"), help=t("basins.surface_help"))
    n = links.select(st.select_slider, t("basins.grid"), N_OPTIONS, 100, key="basin_n",
                     help=t("basins.grid_help", max=MAX_N, total=f"{MAX_N ** 2:,}"))
    steps = links.select(st.select_slider, t("basins.steps"), C.STEP_OPTIONS, 2_000, key="basin_steps",
                         format_func=lambda v: f"{v:,}", help=t("basins.steps_help"))
    lr = links.select(st.select_slider, C.CONTROLS["lr"].label, C.LR_OPTIONS, 1e-2, key="basin_lr",
                      format_func=lambda v: f"{v:g}", help=t("basins.lr_help"))
    variant = links.select(st.radio, t("basins.variant"), optimizers.VARIANTS, "torch", key="basin_variant", horizontal=True,
                           format_func=lambda v: t(f"basins.variant_{v}"), help=t("basins.variant_help"))
    by = links.select(st.radio, t("basins.by"), BY, "end", key="basin_by", horizontal=True,
                      format_func=lambda v: t(f"basins.by_{v}"), help=t("basins.by_help"))

if picked is None:
    st.info(t("surface_picker.fix"))
    finish()
    st.stop()
surface = surfaces.get(picked[0], **dict(picked[1]))
surface_name = surface.name  # the start's settings are kept per surface (a formula's name includes its digest)
shared = dict(surface=picked[0], surface_params=picked[1], n=int(n), steps=int(steps), lr=float(lr),
              variant=variant, by=by)
apply_clicks(surface_name)

configs = []
for i, (column, default) in enumerate(zip(st.columns(len(PANELS)), PANELS)):
    with column:
        configs.append(panel_config(i, default, shared))
with st.spinner(t("basins.loading")):
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
                     text=t("basins.progress", label=config.describe(lang()), starts=f"{config.n ** 2:,}",
                            steps=f"{config.steps:,}"))

    results.append(basins(config, report))
bar.empty()

# The maps mark the paths' start, whose widgets come below them: keep a place for each map, fill it later.
slots = []
for i, (column, config, result) in enumerate(zip(st.columns(len(PANELS)), configs, results)):
    if result is None:
        continue
    with column:
        st.markdown(f"**{config.describe(lang())}**")
        slots.append((i, st.empty(), config, result))
        st.caption(t("basins.panel_caption", starts=f"{config.n ** 2:,}", steps=f"{config.steps:,}",
                     seconds=f"{result.seconds:.2f}"))

st.subheader(t("basins.paths_title"))
start = start_controls(surface)
st.button(t("basins.default_start"), key="basin_reset_pick", on_click=reset_start, args=(surface_name,),
          help=t("basins.default_start_help"))

scale = steps_range(*results) if by == "steps" else None  # one colour scale for both maps
for i, slot, config, result in slots:
    slot.plotly_chart(basin_map(config.run_key, by, scale, start, lang(), result), key=f"basin_map{i}",
                      on_select="rerun", selection_mode=("points",), config=CHART)

valid = tuple(c for c in configs if c is not None)
if not valid:
    st.info(t("basins.fix"))
    finish()
    st.stop()
where = dict(x=f"{start[0]:.4g}", y=f"{start[1]:.4g}")
default_start = start == (float(surface.start[0]), float(surface.start[1]))
st.caption(t("basins.from_default", **where) if default_start else t("basins.from_start", **where))
part, anim, rows = pick(repr((start, tuple(c.run_key for c in valid))), start, lang(), valid)
show_map(part, anim, key="basin_paths", height=PATHS_HEIGHT, config=CHART)
columns = {k: t(f"basins.column.{k}") for k in ("run", "end", "ended", "final_loss", "steps_needed")}
st.dataframe([{
    columns["run"]: row["label"], columns["end"]: f"({row['end'][0]:.6g}, {row['end'][1]:.6g})",
    columns["ended"]: category_name(surface, row["category"], lang()),
    columns["final_loss"]: f"{row['final_loss']:.6g}",
    columns["steps_needed"]: row["steps_text"]} for row in rows], hide_index=True)

finish()
