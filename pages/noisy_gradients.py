"""Noisy gradients: every mini-batch has its own error surface; where the full batch is stuck, SGD moves on."""
from __future__ import annotations

import numpy as np
import streamlit as st

import i18n
from batchlab import noisy as nz
from figures import noisy as F
from ui import links
from ui.i18n import lang, t
from ui.page import finish, setup

setup("noisy_gradients")
LANG = lang()  # fixed for this run: the widgets' format functions are also called after it (by AppTest)

CHART = {"displaylogo": False}
ETA_OPTIONS = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
K = "noisy_"  # widget keys (and link parameters): noisy_eta, noisy_epochs, …
DEFAULT = nz.NoisyConfig()


# ----------------------------------------------------------------- cached core calls (small keys)
@st.cache_resource(max_entries=64, show_spinner=False)
def results(config: nz.NoisyConfig) -> nz.NoisyResult:
    """Every run of one setting, shared by the sessions of this server (arrays are read-only)."""
    return nz.run_all(config)


@st.cache_resource(max_entries=64, show_spinner=False)
def batch_chart(config: nz.NoisyConfig, batch_size: int, epoch: int, language: str):
    """The animated batch surfaces of one epoch."""
    result = results(config)
    return F.batch_figure(result, nz.epoch_view(result, batch_size, epoch), language)


@st.cache_resource(max_entries=64, show_spinner=False)
def run_charts(config: nz.NoisyConfig, language: str):
    """The paths, loss-curve and fitted-curve figures of one setting."""
    result = results(config)
    return F.paths_figure(result, language), F.loss_figure(result, language), F.fit_figure(result, language)


# ----------------------------------------------------------------- widgets
def size_text(size: int) -> str:
    return F.run_label(size, LANG)


def apply_preset() -> None:
    """A preset puts its start into the two start fields (they stay editable)."""
    w0, b0 = nz.presets()[st.session_state[f"{K}preset"]]
    st.session_state[f"{K}w0"], st.session_state[f"{K}b0"] = float(w0), float(b0)


def settings() -> dict:
    """The sidebar; returns the raw values (checked by NoisyConfig). The start fields default to the
    chosen preset's start, so a link that names only the preset starts there."""
    st.sidebar.header(t("noisy_gradients.settings"))
    presets = nz.presets()
    preset = links.select(st.sidebar.radio, t("noisy_gradients.preset"), tuple(presets), "stuck", key=f"{K}preset",
                          on_change=apply_preset, format_func=lambda p: i18n.text(f"noisy_gradients.presets.{p}", LANG),
                          help=t("noisy_gradients.preset_help", b=nz.saddle()[1]))
    (wlo, whi), (blo, bhi) = nz.WINDOW
    w_start, b_start = (float(v) for v in presets[preset])
    with st.sidebar:
        w0 = links.number(t("noisy_gradients.w0"), wlo, whi, w_start, key=f"{K}w0", step=0.5, format="%.3f",
                          help=t("noisy_gradients.w0_help", lo=wlo, hi=whi))
        b0 = links.number(t("noisy_gradients.b0"), blo, bhi, b_start, key=f"{K}b0", step=0.5, format="%.3f",
                          help=t("noisy_gradients.b0_help", lo=blo, hi=bhi))
        eta = links.select(st.select_slider, t("noisy_gradients.eta"), ETA_OPTIONS, DEFAULT.eta, key=f"{K}eta",
                           format_func=lambda v: f"{v:g}", help=t("noisy_gradients.eta_help"))
        epochs = links.slider(t("noisy_gradients.epochs"), 1, nz.MAX_EPOCHS, DEFAULT.epochs, 1, key=f"{K}epochs",
                              help=t("noisy_gradients.epochs_help", n=nz.N))
        sizes = links.multiselect(t("noisy_gradients.batch_sizes"), nz.BATCH_SIZES, list(DEFAULT.batch_sizes),
                                  key=f"{K}sizes", format_func=size_text, max_selections=nz.MAX_RUNS,
                                  help=t("noisy_gradients.batch_sizes_help", n=nz.N, most=nz.MAX_RUNS))
        seed = links.number(t("noisy_gradients.seed"), 0, nz.MAX_SEED, DEFAULT.seed, key=f"{K}seed", step=1,
                            help=t("noisy_gradients.seed_help"))
    return dict(eta=eta, epochs=epochs, batch_sizes=tuple(sizes), seed=seed, start=(w0, b0))


def explain(error: nz.ConfigError) -> str:
    """The page's message for a setting out of range: the field, the value, the allowed range."""
    value = error.value
    if isinstance(value, float):
        value = f"{value:g}"
    elif isinstance(value, list):
        value = ", ".join(map(str, value)) or "—"
    fields = dict(value=value, lo=error.lo, hi=error.hi, sizes=", ".join(map(str, nz.BATCH_SIZES)))
    return t("noisy_gradients.not_run", reason=t(f"noisy_gradients.errors.{error.field}", **fields))


def animation_controls(config: nz.NoisyConfig):
    """Batch size and epoch of the animation; ``None`` when no mini-batch size is chosen."""
    minis = [s for s in config.batch_sizes if s != nz.N]
    if not minis:
        return None
    key_b, key_e = f"{K}anim_size", f"{K}anim_epoch"
    fallback = 8 if 8 in minis else minis[len(minis) // 2]
    if key_b in st.session_state and st.session_state[key_b] not in minis:  # the chosen sizes changed
        st.session_state[key_b] = fallback
    if st.session_state.get(key_e, 1) > config.epochs:  # fewer epochs than the one shown: show the last
        st.session_state[key_e] = config.epochs
    left, right = st.columns(2)
    size = links.select(left.selectbox, t("noisy_gradients.anim_size"), minis, fallback, key=key_b,
                        format_func=size_text, help=t("noisy_gradients.anim_size_help"))
    if config.epochs == 1:
        return size, 1
    with right:
        epoch = links.slider(t("noisy_gradients.anim_epoch"), 1, config.epochs, 1, 1, key=key_e,
                             help=t("noisy_gradients.anim_epoch_help"))
    return size, epoch


def summary(result: nz.NoisyResult) -> list[dict]:
    """One table row per run: its updates and where it ended."""
    rows = []
    for run in result.runs:
        w, b = run.path[-1]
        rows.append({
            t("noisy_gradients.table.run"): size_text(run.batch_size),
            t("noisy_gradients.table.per_epoch"): run.updates_per_epoch,
            t("noisy_gradients.table.updates"): len(run.path) - 1,
            t("noisy_gradients.table.w"): round(float(w), 4),
            t("noisy_gradients.table.b"): round(float(b), 4),
            t("noisy_gradients.table.loss"): round(float(run.loss[-1]), 5),
            t("noisy_gradients.table.grad"): f"{float(np.linalg.norm(run.end_gradient)):.1e}",
        })
    return rows


def stuck_note(result: nz.NoisyResult) -> str | None:
    """The caption for a full-batch run that ended on the saddle (exactly on the mirror line, with a
    numerically zero gradient), naming the mini-batch runs that got lower."""
    if nz.N not in result.config.batch_sizes:
        return None
    full = result.run(nz.N)
    w, b = full.path[-1]
    grad = float(np.linalg.norm(full.end_gradient))
    if w != 0.0 or grad > 1e-6:
        return None
    lower = [size_text(r.batch_size) for r in result.runs if r.loss[-1] < full.loss[-1] - 1e-3]
    fields = dict(w=w, b=b, grad=grad, loss=float(full.loss[-1]))
    if not lower:
        return t("noisy_gradients.more.stuck_note_waiting", **fields)
    return t("noisy_gradients.stuck_note", lower=", ".join(lower), **fields)


# ----------------------------------------------------------------- page
st.title(t("noisy_gradients.title"))
st.markdown(t("noisy_gradients.intro", n=nz.N))

raw = settings()
try:
    config = nz.NoisyConfig(**raw)
except nz.ConfigError as exc:
    st.error(explain(exc))
    finish()
    st.stop()

result = results(config)

st.header(t("noisy_gradients.surfaces_header"))
st.markdown(t("noisy_gradients.surfaces_text"))
chosen = animation_controls(config)
if chosen is None:
    st.info(t("noisy_gradients.no_mini", n=nz.N))
else:
    size, epoch = chosen
    st.plotly_chart(batch_chart(config, size, epoch - 1, LANG), key="noisy_batches", config=CHART)
    shown = min(nz.MAX_FRAMES, nz.N // size)
    note = t("noisy_gradients.frames_note", shown=shown, total=nz.N // size) if shown < nz.N // size else ""
    st.caption(t("noisy_gradients.surfaces_caption") + (" " + note if note else ""))

st.header(t("noisy_gradients.runs_header"))
st.markdown(t("noisy_gradients.runs_text", eta=config.eta, epochs=config.epochs, w=config.start[0],
              b=config.start[1], seed=config.seed))
paths, losses, fits = run_charts(config, LANG)
left, right = st.columns(2)
with left:
    st.plotly_chart(paths, key="noisy_paths", config=CHART)
    st.caption(t("noisy_gradients.paths_caption", n=nz.N))
with right:
    st.plotly_chart(losses, key="noisy_losses", config=CHART)
    st.caption(t("noisy_gradients.loss_caption"))
note = stuck_note(result)
if note:
    st.info(note)
st.dataframe(summary(result), hide_index=True)

st.header(t("noisy_gradients.fit_header"))
st.plotly_chart(fits, key="noisy_fits", config=CHART)
st.caption(t("noisy_gradients.fit_caption", ybar=float(np.mean(nz.dataset().y))))

with st.expander(t("noisy_gradients.math_header")):
    st.markdown(t("noisy_gradients.math_text", n=nz.N, b=nz.saddle()[1]))

finish()
