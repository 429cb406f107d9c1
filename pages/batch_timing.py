"""Batch timing: time per update and per epoch against the batch size, measured live on this server.

One batch size is measured per rerun, then the script reruns itself: results appear as they come.
The updates run in a separate measuring process (batchlab.timing_worker, one per server process),
with the CPU threads chosen here: torch's thread count is process-wide, and the server's other
sessions would hold up the clock. While it measures, this script sleeps on the worker's pipe and
draws its progress; Stop (or any change of a setting) interrupts the script at the next draw and
the worker is terminated. Results are kept for the session, per configuration; a CSV from the
command line (benchmarks/batch_timing.py, e.g. on the lab's GPU server) can be uploaded and drawn
beside them.
"""
from __future__ import annotations

import threading
import time

import streamlit as st

from batchlab import timing, timing_csv, timing_worker
from batchlab.models import MODELS
from figures.batch_timing import format_seconds, group, ratio_text, table, timing_figure
from lab.untrusted import quote
from ui import links
from ui.i18n import lang, t
from ui.page import finish, setup

setup("batch_timing")

CHART = {"displaylogo": False}
DEFAULT_BATCHES = timing.batches_text(timing.TimingConfig.batches)
REPEATS = (3, 30, 5)  # slider: lowest, highest, default
WARMUP = (0, 10, 3)
BUDGETS = (0, 1, 2, 5, 10, 20, 30, 60)
DEFAULT_BUDGET = 10
PROGRESS_EVERY_S = 0.1  # progress-bar messages at most this often (each is a message to the browser)
STATUS_KEYS = {"crashed": "batch_timing.worker.{}_crashed"}  # statuses whose texts are in the worker table
BARS_PER_ROW = 3


# ----------------------------------------------------------------- shared by the sessions of this server
@st.cache_resource(show_spinner=False)
def measuring_lock() -> threading.Lock:
    """One measurement at a time on this server: two at once would time each other's load."""
    return threading.Lock()


@st.cache_resource(show_spinner=False, on_release=timing_worker.TimingWorker.close)
def measuring_worker() -> timing_worker.TimingWorker:
    """The process that measures for this server's sessions (started on the first job, and again
    after a Stop or a crash; terminated when the server exits or this cache is cleared)."""
    return timing_worker.TimingWorker()


@st.cache_resource(show_spinner=False)
def device_names() -> dict[str, str]:
    """{device: its name} for the devices torch can use here, fastest kind first (the CPU without a
    thread count: that is a setting)."""
    return {device: f"CPU: {timing.cpu_model()}" if device == "cpu" else timing.describe_device(device)
            for device in timing.available_devices()}


def status_text(kind: str, status: str, **fields) -> str:
    """The bar or warning text of a row's status (``kind`` "bar" or "warning")."""
    key = STATUS_KEYS[status].format(kind) if status in STATUS_KEYS else f"batch_timing.{kind}_{status}"
    return t(key, **fields)


# ----------------------------------------------------------------- session state
def results(key: str) -> dict:
    """{batch: TimingRow} measured in this session for the configuration ``key``."""
    return st.session_state.setdefault("bt_results", {}).setdefault(key, {})


def start(key: str, again: bool) -> None:
    if again:
        results(key).clear()
    st.session_state["bt_failed"] = None
    st.session_state["bt_running"] = key


def stop() -> None:
    st.session_state["bt_running"] = None


def clear(key: str) -> None:
    results(key).clear()
    st.session_state["bt_failed"] = None


def read_config() -> timing.TimingConfig | None:
    """The sidebar's settings, or None (with the reason on screen) when the batch sizes are not usable."""
    with st.sidebar:
        names = device_names()
        model = links.select(st.radio, t("batch_timing.model"), MODELS, MODELS[0], key="bt_model", horizontal=True,
                             format_func=lambda m: t(f"batch_timing.models.{m}"), help=t("batch_timing.model_help"))
        text = links.text(t("batch_timing.batches"), DEFAULT_BATCHES, key="bt_batches",
                          help=t("batch_timing.batches_help", hi=f"{timing.MAX_BATCH:,}", n=timing.MAX_SIZES))
        repeats = links.slider(t("batch_timing.repeats"), *REPEATS, 1, key="bt_repeats",
                               help=t("batch_timing.repeats_help"))
        warmup = links.slider(t("batch_timing.warmup"), *WARMUP, 1, key="bt_warmup", help=t("batch_timing.warmup_help"))
        budget = links.select(st.select_slider, t("batch_timing.budget"), BUDGETS, DEFAULT_BUDGET, key="bt_budget",
                              format_func=lambda s: f"{s} s", help=t("batch_timing.budget_help"))
        device = links.select(st.selectbox, t("batch_timing.device"), list(names), next(iter(names)), key="bt_device",
                              format_func=names.get, help=t("batch_timing.worker.device_help"))
        threads = links.number(t("batch_timing.worker.threads"), 1, timing.MAX_THREADS, timing.MAX_THREADS,
                               key="bt_threads", step=1,
                               help=t("batch_timing.worker.threads_help", n=timing.MAX_THREADS))
    try:
        batches = timing.parse_batches(text)
    except timing.BatchSizesError as exc:  # the typed text is echoed as text, never as Markdown
        st.error(t("batch_timing.bad_batches", value=quote(exc.token), hi=f"{timing.MAX_BATCH:,}",
                   n=timing.MAX_SIZES))
        return None
    return timing.TimingConfig(model=model, batches=batches, repeats=repeats, warmup=warmup,
                               epoch_budget_s=float(budget), device=device, threads=int(threads))


# ----------------------------------------------------------------- progress
def bar_text(batch: int, row, running: bool) -> str:
    b = f"{batch:,}"
    if row is None:
        return t("batch_timing.bar_waiting" if running else "batch_timing.bar_not_measured", batch=b)
    if row.ok:
        return t("batch_timing.bar_done", batch=b, median=format_seconds(row.median_s))
    return status_text("bar", row.status, batch=b)


def progress_bars(config, done: dict, running: bool) -> dict:
    """One bar per batch size: full when measured, empty while waiting; {batch: bar}."""
    bars = {}
    for i in range(0, len(config.batches), BARS_PER_ROW):
        for column, batch in zip(st.columns(BARS_PER_ROW), config.batches[i:i + BARS_PER_ROW]):
            row = done.get(batch)
            bars[batch] = column.progress(1.0 if row else 0.0, text=bar_text(batch, row, running))
    return bars


class Reporter:
    """The bar of the batch size being measured, drawn from the worker's events (progress at most every
    PROGRESS_EVERY_S; ``tick`` redraws when nothing came for a while). Each draw is also where a
    Stop click or a changed setting interrupts the script (and so ends the worker's job)."""

    def __init__(self, bar, batch: int, starting: bool):
        self.bar, self.batch, self.last = bar, f"{batch:,}", 0.0
        self.fraction = 0.0
        self.text = t("batch_timing.worker.bar_starting" if starting else "batch_timing.worker.bar_preparing",
                      batch=self.batch)
        self.tick()

    def tick(self) -> None:
        self.last = time.monotonic()
        self.bar.progress(self.fraction, text=self.text)

    def started(self, _message) -> None:
        self.text = t("batch_timing.worker.bar_preparing", batch=self.batch)
        self.tick()

    def progress(self, phase: str, done: int, total: int) -> None:
        if done < total and time.monotonic() - self.last < PROGRESS_EVERY_S:
            return
        self.fraction = min(done / max(total, 1), 1.0)
        self.text = t(f"batch_timing.phase_{phase}", batch=self.batch, done=done, total=total)
        self.tick()


def measure_next(config, key: str, batch: int, bar) -> None:
    """Measure ``batch`` in the worker (alone on this server), keep the row, rerun for the next size.

    If the script is interrupted while it waits (Stop, a changed setting), TimingWorker.run
    terminates the worker before the interruption goes on; the lock is released here either way."""
    lock = measuring_lock()
    if not lock.acquire(blocking=False):
        bar.progress(0.0, text=t("batch_timing.busy", batch=f"{batch:,}"))
        time.sleep(1.0)
        st.rerun()
    try:
        worker = measuring_worker()
        report = Reporter(bar, batch, starting=not worker.alive())
        row = worker.run(config, batch, progress=report.progress, tick=report.tick, started=report.started)
    except timing_worker.MeasurementError as exc:  # not a result: say it and stop
        st.session_state["bt_failed"] = (key, batch, str(exc))
        stop()
        row = None
    finally:
        lock.release()
    if row is not None:
        results(key)[batch] = row
    st.rerun()


def table_formats() -> dict:
    """Number formats of the results table, by (translated) column name."""
    whole = ("batch", "updates")
    times = ("median_ms", "low_ms", "high_ms", "epoch_estimate_s", "epoch_measured_s")
    return {**{t(f"batch_timing.table.{c}"): st.column_config.NumberColumn(format="localized") for c in whole},
            **{t(f"batch_timing.table.{c}"): st.column_config.NumberColumn(format="%.3f") for c in times}}


# ----------------------------------------------------------------- uploaded CSV
def uploaded_rows(upload) -> list:
    if upload is None:
        return []
    try:
        return timing_csv.read_csv(upload.getvalue().decode("utf-8-sig"))
    except UnicodeDecodeError:
        st.error(t("batch_timing.upload_not_text", name=quote(upload.name)))
    except timing_csv.CsvFormatError as exc:  # the file's name and cells are the uploader's text
        st.error(t("batch_timing.worker.upload_error", name=quote(upload.name), line=exc.line,
                   column=quote(exc.column), value=quote(exc.value), columns=", ".join(timing_csv.COLUMNS)))
    return []


def ratio_lines(sources) -> list[str]:
    """One line per series with two measured batch sizes; a name from an uploaded file is quoted."""
    lines = []
    for series in group(sources):
        name = quote(series.name(lang())) if series.source == "uploaded" else None
        text = ratio_text(series, lang(), name)
        if text:
            lines.append(text)
    return lines


# ----------------------------------------------------------------- page
st.title(t("batch_timing.title"))
st.markdown(t("batch_timing.intro"))
st.caption(t("batch_timing.synthetic_note"))

config = read_config()
key = repr(config)
done = results(key) if config else {}
pending = [b for b in config.batches if b not in done] if config else []
if st.session_state.get("bt_running") == key and not pending:
    stop()  # finished: the buttons below are drawn as idle
running = config is not None and st.session_state.get("bt_running") == key

bars = {}
if config is not None:
    label = "measure" if not done else ("resume" if pending else "again")
    left, middle, right = st.columns(3)
    left.button(t(f"batch_timing.button_{label}"), key="bt_start", type="primary", disabled=running,
                on_click=start, args=(key, not pending), width="stretch")
    middle.button(t("batch_timing.stop"), key="bt_stop", disabled=not running, on_click=stop, width="stretch")
    right.button(t("batch_timing.clear"), key="bt_clear", disabled=running or not done, on_click=clear,
                 args=(key,), width="stretch")
    measuring_on = (timing.describe_device("cpu", threads=config.threads) if config.device == "cpu"
                    else device_names()[config.device])
    st.caption(t("batch_timing.device_line", device=measuring_on))
    load = timing.cpu_load() if config.device == "cpu" else None
    if load is not None and load[0] > load[1]:
        busy = "batch_timing.worker.busy" if config.threads > 1 else "batch_timing.worker.busy_one_thread"
        st.warning(t(busy, load=f"{load[0]:.1f}", cpus=load[1]))
    failed = st.session_state.get("bt_failed")
    if failed and failed[0] == key:
        st.error(t("batch_timing.worker.failed", batch=f"{failed[1]:,}", message=failed[2]))
    bars = progress_bars(config, done, running)

chart_area = st.container()

st.subheader(t("batch_timing.upload_title"))
st.markdown(t("batch_timing.upload_text"))
uploaded = uploaded_rows(st.file_uploader(t("batch_timing.upload"), type=["csv"], key="bt_upload",
                                          help=t("batch_timing.upload_help", columns=", ".join(timing_csv.COLUMNS))))

with chart_area:
    live = [done[b] for b in sorted(done)]
    show_live = True
    if uploaded and live:
        show_live = st.checkbox(t("batch_timing.show_live"), True, key="bt_show_live")
    sources = ([("live", live)] if show_live and live else []) + ([("uploaded", uploaded)] if uploaded else [])
    if not sources:
        st.info(t("batch_timing.nothing_yet"))
    else:
        st.plotly_chart(timing_figure(sources, planned=config.batches if config else (), lang=lang()),
                        key="bt_chart", config=CHART)
        st.caption(t("batch_timing.figure_caption"))
        ratios = ratio_lines(sources)
        if ratios:  # each device's two curves in two numbers: the lecture's comparison, measured
            st.markdown("\n".join(f"- {text}" for text in ratios))
    if live:
        measured = [f"{r.batch:,}" for r in live if r.epoch_measured_s is not None]
        budget = f"{config.epoch_budget_s:g}"  # live rows exist only for a valid configuration
        st.caption(t("batch_timing.measured_sizes", sizes=", ".join(measured), budget=budget) if measured
                   else t("batch_timing.measured_none", budget=budget))
        for row in live:
            if not row.ok:
                st.warning(status_text("warning", row.status, batch=f"{row.batch:,}"))
        st.dataframe(table(live, lang()), hide_index=True, column_config=table_formats())
        st.download_button(t("batch_timing.download"), timing_csv.to_csv(live),
                           file_name=f"batch-timing-{config.model}-{config.device}.csv", mime="text/csv",
                           key="bt_download")

with st.expander(t("batch_timing.method_title")):
    st.markdown(t("batch_timing.method"))
    st.markdown(t("batch_timing.worker.method_process"))
with st.expander(t("batch_timing.cpu_title")):
    st.markdown(t("batch_timing.cpu"))

finish()  # before a measurement: measure_next reruns the script and never returns

if running:
    measure_next(config, key, pending[0], bars[pending[0]])
