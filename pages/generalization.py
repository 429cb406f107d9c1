"""Generalization: the lecture's two claims about batch size, each with its own experiment.

The same small network trained on scikit-learn's digits with several batch sizes, compared twice:
for the same number of epochs (an optimization problem: the large batches are under-trained) and
at the same training loss (validation accuracy and sharpness of the minima reached); then a
one-dimensional picture of why mini-batch noise ends in flat minima.
"""
from __future__ import annotations

import dataclasses

import streamlit as st

import i18n
from batchlab import digits as D
from batchlab import flat_sharp as FS
from figures import generalization as G
from lab import generalization as compare
from lab.results import ResultCache
from ui import links
from ui.i18n import lang, t
from ui.page import finish, setup

setup("generalization")
LANG = lang()  # fixed for this run: the widgets' format functions are also called after it (by AppTest)

CHART = {"displaylogo": False}
K = "gen_"  # widget keys (and link parameters): gen_batches, gen_epochs, …
STOPPED = f"{K}stopped"  # the study (repr) whose training the user stopped
BATCH_OPTIONS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, D.N_TRAIN)
DEFAULT = D.StudyConfig()
LR_OPTIONS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
HIDDEN_OPTIONS = (4, 8, 16, 32, 64, 128, 256, 512)
TOY_DEFAULT = FS.ToyConfig()
TOY_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128)
TOY_LR_OPTIONS = (0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2)
TOY_RUNS = (100, 200, 500, 1000)  # at most a few seconds: no Stop button needed
TOY_STEPS = (100, 200, 500, 1000)
TOY_SHIFTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


# ----------------------------------------------------------------- cached core calls (small keys)
@st.cache_resource(show_spinner=False)
def run_cache() -> ResultCache:
    """Digits runs by TrainConfig, shared by the sessions of this server (read-only): a progress bar
    draws while they compute, so st.cache_data cannot hold them (lab/results.py says why)."""
    return ResultCache(D.train, max_entries=64)


@st.cache_resource(max_entries=32, show_spinner=False)
def accuracy_chart(key: str, language: str, target: bool, _runs):
    """Accuracy against batch size; ``key`` names the runs."""
    return G.accuracy_figure(_runs, D.N_TRAIN, language, target=target)


@st.cache_resource(max_entries=32, show_spinner=False)
def sharpness_chart(key: str, language: str, _runs):
    return G.sharpness_figure(_runs, D.N_TRAIN, language)


@st.cache_resource(max_entries=32, show_spinner=False)
def loss_chart(key: str, x: str, language: str, _runs):
    return G.loss_figure(_runs, D.N_TRAIN, x, language)


@st.cache_resource(show_spinner=False)
def toy_cache() -> ResultCache:
    """One-dimensional results by ToyConfig, shared by the sessions of this server (read-only arrays)."""
    return ResultCache(FS.run_toy, max_entries=32)


@st.cache_resource(max_entries=32, show_spinner=False)
def toy_figures(config: FS.ToyConfig, language: str, _result):
    return G.toy_figure(_result, language), G.toy_loss_figure(_result, language)


def toy(config: FS.ToyConfig) -> FS.ToyResult:
    """The runs from the cache, or computed under a progress bar."""
    cache = toy_cache()
    result = cache.get(config)
    if result is not None:
        return result
    text = t("generalization.progress.toy", runs=f"{config.runs:,}", steps=f"{config.steps:,}",
             small=config.small_batch, large=config.large_batch)
    bar = st.progress(0.0, text=text)
    try:
        return cache.run(config, progress=lambda f: bar.progress(min(max(float(f), 0.0), 1.0), text=text))
    finally:
        bar.empty()


# ----------------------------------------------------------------- widgets
def batch_text(b: int) -> str:
    return G.batch_label(b, D.N_TRAIN, LANG)


def digits_settings() -> tuple[dict, float]:
    """The sidebar; returns the raw values (checked by StudyConfig) and the target training loss."""
    with st.sidebar:
        st.header(t("generalization.settings"))
        batches = links.multiselect(t("generalization.batch_sizes"), BATCH_OPTIONS, list(DEFAULT.batch_sizes),
                                    key=f"{K}batches", format_func=batch_text, max_selections=D.MAX_BATCH_SIZES,
                                    help=t("generalization.batch_sizes_help", n=D.N_TRAIN, most=D.MAX_BATCH_SIZES))
        epochs = links.slider(t("generalization.epochs"), 1, 200, DEFAULT.epochs, 1, key=f"{K}epochs",
                              help=t("generalization.epochs_help", n=D.N_TRAIN))
        rule = links.select(st.radio, t("generalization.lr_rule"), D.LR_RULES, DEFAULT.lr_rule, key=f"{K}rule",
                            format_func=lambda r: i18n.text(f"generalization.rules.{r}", LANG),
                            help=t("generalization.lr_rule_help"))
        base_lr = links.select(st.select_slider, t("generalization.base_lr"), LR_OPTIONS, DEFAULT.base_lr,
                               key=f"{K}lr", format_func=lambda v: f"{v:g}", help=t("generalization.base_lr_help"))
        ref = links.select(st.select_slider, t("generalization.ref_batch"), BATCH_OPTIONS[:-1], DEFAULT.ref_batch,
                           key=f"{K}ref", format_func=lambda v: f"{v:,}", disabled=rule == "fixed",
                           help=t("generalization.ref_batch_help"))
        momentum = links.slider(t("generalization.momentum"), 0.0, 0.95, DEFAULT.momentum, 0.05,
                                key=f"{K}momentum", help=t("generalization.momentum_help"))
        target = links.select(st.select_slider, t("generalization.target"), compare.TARGETS, compare.DEFAULT_TARGET,
                              key=f"{K}target", format_func=lambda v: f"{v:g}",
                              help=t("generalization.target_help", n=D.N_TRAIN, most=f"{D.MAX_TARGET_UPDATES:,}",
                                     stall=D.STALL_UPDATES, epochs=D.STALL_EPOCHS))
        hidden = links.select(st.select_slider, t("generalization.hidden"), HIDDEN_OPTIONS, DEFAULT.hidden,
                              key=f"{K}hidden", help=t("generalization.hidden_help"))
        seed = links.number(t("generalization.seed"), 0, 9999, DEFAULT.seed, key=f"{K}seed", step=1,
                            help=t("generalization.seed_help"))
    return dict(batch_sizes=tuple(batches), epochs=epochs, lr_rule=rule, base_lr=base_lr, ref_batch=ref,
                momentum=momentum, hidden=hidden, seed=seed), float(target)


def explain(error: D.SettingError) -> str:
    """The page's message for a setting out of range: the field, the value, the allowed range."""
    info = dict(error.info)
    value = info.get("value")
    info["value"] = (", ".join(map(str, value)) or "—") if isinstance(value, list) else \
        (f"{value:g}" if isinstance(value, float) else value)
    return t("generalization.not_run", reason=t(f"generalization.errors.{error.field}", **info))


def toy_limit() -> float:
    """2/L″ at the sharp minimum: the largest η at which gradient descent can settle there."""
    land = FS.Landscape()
    return 2.0 / float(land.curvature(land.landmarks.sharp))


def toy_settings() -> FS.ToyConfig:
    cols = st.columns(6)
    small = links.select(cols[0].select_slider, t("generalization.toy.small"), TOY_BATCHES,
                         TOY_DEFAULT.small_batch, key=f"{K}toy_small", help=t("generalization.toy.small_help"))
    large = links.select(cols[1].select_slider, t("generalization.toy.large"), TOY_BATCHES,
                         TOY_DEFAULT.large_batch, key=f"{K}toy_large",
                         help=t("generalization.toy.large_help", n=FS.Landscape().n_examples))
    lr = links.select(cols[2].select_slider, t("generalization.toy.lr"), TOY_LR_OPTIONS, TOY_DEFAULT.lr,
                      key=f"{K}toy_lr", help=t("generalization.toy.lr_help", limit=toy_limit()))
    shift = links.select(cols[3].select_slider, t("generalization.toy.shift"), TOY_SHIFTS, TOY_DEFAULT.shift,
                         key=f"{K}toy_shift", help=t("generalization.toy.shift_help"))
    steps = links.select(cols[4].select_slider, t("generalization.toy.steps"), TOY_STEPS, TOY_DEFAULT.steps,
                         key=f"{K}toy_steps", format_func=lambda v: f"{v:,}", help=t("generalization.toy.steps_help"))
    runs = links.select(cols[5].select_slider, t("generalization.toy.runs"), TOY_RUNS, TOY_DEFAULT.runs,
                        key=f"{K}toy_runs", format_func=lambda v: f"{v:,}", help=t("generalization.toy.runs_help"))
    return FS.ToyConfig(small_batch=small, large_batch=large, lr=lr, shift=shift, steps=steps, runs=runs)


# ----------------------------------------------------------------- training under a progress bar
TARGET_UPDATES_GUESS = 3_000  # about what the defaults take to the target: shares out the progress bar


def work(config: D.TrainConfig) -> int:
    """A run's cost in updates (plus two evaluations per epoch), to share out the progress bar; a run to a
    target training loss is guessed to take TARGET_UPDATES_GUESS updates."""
    epochs = -(-TARGET_UPDATES_GUESS // config.updates_per_epoch) if config.target_loss else config.epochs
    return min(epochs, config.epochs) * (config.updates_per_epoch + 2)


def stop(key: str) -> None:
    st.session_state[STOPPED] = key


def resume() -> None:
    st.session_state.pop(STOPPED, None)


def progress_text(config: D.TrainConfig, i: int, n: int) -> str:
    if config.target_loss:
        return t("generalization.training_target", b=batch_text(config.batch_size), target=f"{config.target_loss:g}",
                 i=i, n=n)
    return t("generalization.training", b=batch_text(config.batch_size), i=i, n=n,
             updates=f"{config.epochs * config.updates_per_epoch:,}")


def train_all(configs, key: str, part: str = "") -> dict:
    """{config: run} for every config, from the cache or trained now (one step of the progress bar each);
    ``part`` tells the buttons of the page's two calls apart.

    Stop interrupts the training (the click reruns the page, which ends this run at its next
    progress update); runs finished so far are kept, and the page shows them until Resume."""
    cache = run_cache()
    done = {c: cache.get(c) for c in configs}
    missing = [c for c in configs if done[c] is None]
    if not missing:
        return done
    if st.session_state.get(STOPPED) == key:
        st.info(t("generalization.stopped", done=len(configs) - len(missing), total=len(configs)))
        st.button(t("generalization.resume"), key=f"{K}resume{part}", on_click=resume)
        return {c: r for c, r in done.items() if r is not None}
    stop_slot = st.empty()
    stop_slot.button(t("generalization.stop"), key=f"{K}stop{part}", on_click=stop, args=(key,),
                     help=t("generalization.stop_help"))
    total, before = sum(work(c) for c in missing), 0
    bar = st.progress(0.0)
    try:
        for i, c in enumerate(missing):
            text = progress_text(c, i + 1, len(missing))
            bar.progress(before / total, text=text)
            share = work(c) / total
            done[c] = cache.run(c, progress=lambda f, b=before, s=share, x=text: bar.progress(
                min(max(b + s * float(f), 0.0), 1.0), text=x))
            before += work(c)
    finally:
        bar.empty()
        stop_slot.empty()
    return done


def runs_table(runs) -> list[dict]:
    rows = []
    for r in sorted(runs, key=lambda r: r.config.batch_size):
        c = r.config
        rows.append({
            t("generalization.table.batch"): batch_text(c.batch_size),
            t("generalization.table.lr"): f"{c.lr:.4g}",
            t("generalization.table.updates"): r.updates,
            t("generalization.table.train_acc"): round(100.0 * float(r.train_acc[-1]), 2),
            t("generalization.table.val_acc"): round(100.0 * float(r.val_acc[-1]), 2),
            t("generalization.table.train_loss"): round(float(r.train_loss[-1]), 4),
            t("generalization.table.val_loss"): round(float(r.val_loss[-1]), 4),
            t("generalization.table.sharpness"): (t("generalization.table.diverged", epoch=r.diverged_epoch)
                                                  if r.diverged else f"{r.sharpness:.4g}"),
            t("generalization.table.seconds"): round(r.seconds, 2),
        })
    return rows


def draw_runs(runs, suffix: str, target: float = 0.0) -> None:
    """The accuracy and sharpness charts of one comparison, side by side (``target``: the training loss its
    runs were trained to), and a warning naming the runs that diverged."""
    key = repr(tuple(r.config for r in runs))
    accuracy = accuracy_chart(key, LANG, bool(target), runs)
    left, right = st.columns(2)
    with left:
        st.plotly_chart(accuracy, key=f"gen_accuracy{suffix}", config=CHART)
        st.caption(t("generalization.equal_acc_caption", target=target) if target
                   else t("generalization.acc_caption"))
    with right:
        st.plotly_chart(sharpness_chart(key, LANG, runs), key=f"gen_sharpness{suffix}", config=CHART)
        st.caption(t("generalization.sharp_caption"))
    diverged = [batch_text(r.config.batch_size) for r in runs if r.diverged]
    if diverged:
        st.warning(t("generalization.diverged", batches=", ".join(diverged)))


# ----------------------------------------------------------------- page
st.title(t("generalization.title"))
st.markdown(t("generalization.intro"))

raw, target = digits_settings()
st.header(t("generalization.digits_header"))
try:
    study = D.StudyConfig(**raw)
    equal = dataclasses.replace(study, target_loss=target)
except D.SettingError as exc:
    st.error(explain(exc))
    study = equal = None

if study is not None:
    st.markdown(t("generalization.digits_text", n_train=D.N_TRAIN, n_val=D.N_VAL, hidden=study.hidden, seed=study.seed))
    key = repr((study, equal))  # one Stop for both comparisons
    trained = train_all(study.runs(), key)
    runs = [trained[c] for c in study.runs() if c in trained]

    st.subheader(t("generalization.same_header"))
    st.markdown(t("generalization.same_intro", epochs=study.epochs))
    if runs:
        draw_runs(runs, "")
        st.markdown(compare.same_epochs_text(compare.Comparison.of(runs), study.epochs, LANG))
        x = links.select(st.radio, t("generalization.x_axis"), ("epoch", "update"), "epoch", key=f"{K}x",
                         horizontal=True, format_func=lambda v: i18n.text(f"generalization.x_{v}", LANG),
                         help=t("generalization.x_axis_help"))
        st.plotly_chart(loss_chart(repr(tuple(r.config for r in runs)), x, LANG, runs), key="gen_losses",
                        config=CHART)
        st.dataframe(runs_table(runs), hide_index=True)
        st.caption(t("generalization.table_caption", seconds=f"{sum(r.seconds for r in runs):.1f}"))

    st.subheader(t("generalization.equal_header"))
    st.markdown(t("generalization.equal_intro", target=target, most=f"{D.MAX_TARGET_UPDATES:,}"))
    # trained once the first comparison is complete (a Stop during it stops both)
    trained = train_all(equal.runs(), key, "_equal") if len(runs) == len(study.runs()) else {}
    equal_runs = [trained[c] for c in equal.runs() if c in trained]
    if equal_runs:
        draw_runs(equal_runs, "_equal", target)
        st.markdown(compare.equal_loss_text(compare.Comparison.of(equal_runs), target, D.MAX_TARGET_UPDATES, LANG))
        st.dataframe(runs_table(equal_runs), hide_index=True)
        st.caption(t("generalization.equal_table_caption", seconds=f"{sum(r.seconds for r in equal_runs):.1f}"))

st.header(t("generalization.toy_header"))
st.markdown(t("generalization.toy_text", n=FS.Landscape().n_examples))
try:
    toy_config = toy_settings()
except ValueError as exc:  # the widgets keep every value in range; a changed core would land here
    st.error(t("generalization.toy_not_run", reason=exc))
    toy_config = None
if toy_config is not None:
    result = toy(toy_config)
    picture, means = toy_figures(toy_config, LANG, result)
    left, right = st.columns((3, 1))
    left.plotly_chart(picture, key="gen_toy", config=CHART)
    right.plotly_chart(means, key="gen_toy_means", config=CHART)
    st.markdown(t("generalization.toy_summary", small=result.small.batch, large=result.large.batch,
                  small_flat=100.0 * result.small.flat_share, large_flat=100.0 * result.large.flat_share,
                  small_test=float(result.small.test_loss.mean()), large_test=float(result.large.test_loss.mean()),
                  delta=toy_config.shift))
    st.caption(t("generalization.toy_caption", n=result.landscape.n_examples))

with st.expander(t("generalization.math_header")):
    st.markdown(t("generalization.math_text", n_train=D.N_TRAIN))

finish()
