"""Learning-rate sweep: one surface, up to three optimizers, a log-spaced range of learning rates."""
from __future__ import annotations

import streamlit as st

import optimizers
import surfaces
from figures.map import map_split
from figures.sweep import run_views, sweep_figure
from lab import controls as C
from lab import sweep as S
from ui import links
from ui.i18n import lang, t
from ui.page import finish, setup
from ui.plot import show_map
from ui.views import MAP_HEIGHT
from ui.surface_picker import surface_picker

setup("sweep")

CHART = {"displaylogo": False}
DEFAULT_OPTIMIZERS = ["gd", "adagrad"]


# ----------------------------------------------------------------- cached core calls (small keys)
@st.cache_resource(show_spinner=False)
def sweep_cache() -> S.SweepCache:
    """Results by repr(config), shared by the sessions of this server (read-only)."""
    return S.SweepCache()


@st.cache_resource(max_entries=32, show_spinner=False)
def figure(key: str, picks: tuple, language: str, _result):
    return sweep_figure(_result, picks, lang=language)


@st.cache_resource(max_entries=32, show_spinner=False)
def chosen_map(key: str, picks: tuple, language: str, _result):
    """The chosen runs recorded at every step, drawn on the Playground's map: ``(part, anim)``."""
    config = _result.config
    views = run_views(_result, picks, S.trace_picks(config, picks), lang=language)
    return map_split(_result.surface, views, lang=language)


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
    text = t("sweep.running", optimizers=len(config.optimizers), rates=config.n_rates, steps=f"{config.steps:,}",
             work=f"{work:,}")
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


def counts_text(result: S.SweepResult) -> str:
    """"**GD**: 12 converged, 3 diverged; **Adagrad**: …" in the page's language."""
    groups = []
    for s in result.runs:
        items = t("sweep.list_sep").join(t("sweep.count", n=n, label=S.label_text(lab, lang()))
                                         for lab, n in s.count().items() if n)
        groups.append(t("sweep.counts", name=S.display_name(s.optimizer, lang()), items=items))
    return t("sweep.group_sep").join(groups)


def update_rules(config: S.SweepConfig) -> None:
    """Each swept optimizer: what it does in one line, and its update rule as this sweep runs it."""
    for name in config.optimizers:
        st.markdown(t("sweep.rule_item", title=t(f"optimizer.{name}.title"),
                      description=t(f"optimizer.{name}.description")))
        st.latex(S.rule(config, name))
    st.caption(t("sweep.rule_note"))


# ----------------------------------------------------------------- page
st.title(t("sweep.title"))
st.markdown(t("sweep.intro"))

with st.sidebar:
    picked = surface_picker("", "bowl", label=t("sweep.surface"), help=t("sweep.surface_help"), with_start=True)
    chosen_optimizers = links.multiselect(
        t("sweep.optimizers"), optimizers.names(), DEFAULT_OPTIMIZERS, key="optimizers",
        max_selections=S.MAX_OPTIMIZERS, format_func=lambda n: t(f"optimizer.{n}.title"),
        help=t("sweep.optimizers_help", n=S.MAX_OPTIMIZERS))
    lr_min = links.select(st.select_slider, t("sweep.lr_min"), C.LR_OPTIONS, 1e-8, key="lr_min",
                          format_func=lambda v: f"{v:g}", help=t("sweep.lr_min_help"))
    lr_max = links.select(st.select_slider, t("sweep.lr_max"), C.LR_OPTIONS, 1.0, key="lr_max",
                          format_func=lambda v: f"{v:g}", help=t("sweep.lr_max_help"))
    n_rates = links.slider(t("sweep.n_rates"), 2, S.MAX_RATES, 50, 1, key="n_rates", help=t("sweep.n_rates_help"))
    steps = links.select(st.select_slider, t("sweep.steps"), C.STEP_OPTIONS, 100_000, key="steps",
                         format_func=lambda v: f"{v:,}", help=t("sweep.steps_help"))
    variant = links.select(st.radio, t("sweep.variant"), optimizers.VARIANTS, "torch", key="variant", horizontal=True,
                           format_func=lambda v: t(f"sweep.variant_{v}"), help=t("sweep.variant_help"))

if picked is None:
    st.info(t("surface_picker.fix"))
    finish()
    st.stop()
try:
    config = S.SweepConfig(surface=picked[0], surface_params=picked[1], optimizers=tuple(chosen_optimizers),
                           lr_min=lr_min, lr_max=lr_max, n_rates=n_rates, steps=steps, variant=variant)
except ValueError as exc:
    st.error(t("sweep.not_run", reason=exc))
    finish()
    st.stop()

result = compute(config)
key = repr(config)
sync_picks(result)

st.caption(t("sweep.summary", optimizers=len(result.runs), rates=config.n_rates, steps=f"{config.steps:,}",
             seconds=f"{result.seconds:.2f}", counts=counts_text(result)))
chart_slot = st.empty()  # filled once the chosen rates below are known (a link may set them)

with st.expander(t("sweep.labels_title")):
    st.markdown("\n".join(t("sweep.definition_item", label=S.label_text(lab, lang()), text=text)
                          for lab, text in S.label_definitions(lang()).items()))
    st.caption(t("sweep.labels_caption", tail=S.TAIL))
with st.expander(t("sweep.rules_title")):
    update_rules(config)

st.subheader(t("sweep.chosen_title"))
picks = tuple(links.multiselect(t("sweep.picks"), S.pick_options(result), S.default_picks(result), key="picks",
                                max_selections=S.MAX_PICKS, format_func=lambda k: S.pick_text(result, k, lang()),
                                help=t("sweep.picks_help", n=S.MAX_PICKS)))
st.session_state["_picks_kept"] = list(picks)  # survives a run that stops on an error
chart_slot.plotly_chart(figure(key, picks, lang(), result), key="sweep_chart", on_select="rerun",
                        selection_mode=("points",), config=CHART)
if picks:
    part, anim = chosen_map(key, picks, lang(), result)
    show_map(part, anim, key="sweep_map", height=MAP_HEIGHT, config=CHART)
    st.caption(t("sweep.map_caption"))
else:
    st.info(t("sweep.no_picks"))

st.subheader(t("sweep.table_title"))
names = S.column_names(lang())
st.dataframe(S.table(result, lang()), hide_index=True, column_config={
    names[1]: st.column_config.NumberColumn(format="%.3e"),
    names[3]: st.column_config.NumberColumn(format="%.4e"),
    names[4]: st.column_config.NumberColumn(format="%.4e"),
})
st.download_button(t("sweep.download"), csv_text(key, result), file_name=f"sweep-{config.surface}.csv",
                   mime="text/csv", key="download", help=t("sweep.download_help"))

finish()
