"""The Batch timing page under AppTest, with tiny settings: measures in the worker process, draws,
keeps results, sets CPU threads in the worker only, survives out of memory and a crashed worker,
reads an uploaded CSV back to the same numbers, explains bad input, speaks Chinese.

The page keeps one worker per process (st.cache_resource), so these tests share it: it starts once
(importing torch in a child takes a few seconds) unless a test ends it."""
import math
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import batchlab.models
import torch

from batchlab import timing, timing_csv, timing_worker
from batchlab.timing_csv import TimingRow
from lab.untrusted import quote
from tests.apptest_helpers import chart, decode, downloads, link_note, ok, open_link, raw_keys
from ui.page import PRESENTATION_CSS

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "batch_timing.py")
DEVICE = timing.describe_device("cpu", threads=timing.MAX_THREADS)  # the page's default: one thread per CPU


REPEATS_DEFAULT = 5  # the page's repeats slider starts here


def fresh(batches="100, 1000", repeats=3, warmup=0, budget=0, lang=None, threads=None):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["bt_batches"] = batches
    at.session_state["bt_repeats"] = repeats
    at.session_state["bt_warmup"] = warmup
    at.session_state["bt_budget"] = budget
    at.session_state["bt_device"] = "cpu"
    if threads is not None:
        at.session_state["bt_threads"] = threads
    if lang:
        at.query_params["lang"] = lang
    return at.run()


def config_of(batches, repeats=3, warmup=0, budget=0, threads=timing.MAX_THREADS):
    return timing.TimingConfig(batches=batches, repeats=repeats, warmup=warmup, epoch_budget_s=float(budget),
                               device="cpu", threads=threads)


def jobs_seen(monkeypatch, make_model=None) -> list:
    """Record the page's jobs as (worker, pid before, batch, row or exception, pid after); with
    ``make_model``, every job builds its model with it (in the worker: it is pickled by name)."""
    run, seen = timing_worker.TimingWorker.run, []

    def recording(self, config, batch, **kw):
        before = self.pid
        try:
            result = run(self, config, batch, **({"make_model": make_model} if make_model else {}), **kw)
        except timing_worker.MeasurementError as exc:
            seen.append((self, before, batch, exc, self.pid))
            raise
        seen.append((self, before, batch, result, self.pid))
        return result

    monkeypatch.setattr(timing_worker.TimingWorker, "run", recording)
    return seen


def measured_as(at, device):
    """The chart's per-update trace of this session's measurement on ``device``: batch sizes and medians."""
    spec = chart(at, "bt_chart")
    update = next(t for t in spec["data"] if t.get("xaxis") == "x" and t["name"].endswith(device))
    return decode(update["x"]), decode(update["y"]), spec


def measured(at):
    return measured_as(at, DEVICE)


def bar_texts(at):
    return [p.proto.text for p in at.get("progress")]


def page_buttons(at) -> list:
    """The page's own buttons (the class room's sidebar panel has its own on every page)."""
    return [b for b in at.button if not (b.key or "").startswith("_room")]


def test_the_page_waits_for_measure():
    at = ok(fresh())
    assert at.title[0].value == "Batch timing: time per update and per epoch"
    assert at.number_input(key="bt_threads").value == timing.MAX_THREADS == os.cpu_count()
    assert at.number_input(key="bt_threads").min == 1 and at.number_input(key="bt_threads").max == os.cpu_count()
    assert [b.label for b in page_buttons(at)] == ["▶ Measure", "■ Stop", "Clear results"]
    assert at.button(key="bt_stop").disabled and at.button(key="bt_clear").disabled
    assert bar_texts(at) == ["batch 100: not measured", "batch 1,000: not measured"]
    assert not at.get("plotly_chart")
    assert any("Press ▶ Measure" in i.value for i in at.info)
    assert any(DEVICE in c.value for c in at.caption)  # the device is named before anything runs


def test_measure_draws_both_curves_from_the_session_results(monkeypatch):
    jobs = jobs_seen(monkeypatch)
    files = downloads(monkeypatch)
    at = ok(fresh())
    at.button(key="bt_start").click().run()
    ok(at)
    rows = at.session_state["bt_results"][repr(config_of((100, 1_000)))]
    assert sorted(rows) == [100, 1_000] and all(r.ok and r.repeats == 3 for r in rows.values())
    # measured in one worker process, not in this one, with one thread per CPU
    assert [(batch, row) for _, _, batch, row, _ in jobs] == [(100, rows[100]), (1_000, rows[1_000])]
    assert len({pid for *_, pid in jobs}) == 1 and jobs[0][-1] != os.getpid()
    assert all(r.device == DEVICE for r in rows.values())
    batches, medians, spec = measured(at)
    np.testing.assert_array_equal(batches, [100, 1_000])
    np.testing.assert_array_equal(medians, [rows[100].median_s, rows[1_000].median_s])
    epoch = next(t for t in spec["data"] if t.get("xaxis") == "x2")
    np.testing.assert_allclose(decode(epoch["y"]), [600 * rows[100].median_s, 60 * rows[1_000].median_s], rtol=1e-12)
    assert all(np.isfinite(decode(t["y"])).all() for t in spec["data"])
    assert DEVICE in spec["layout"]["title"]["text"]
    assert bar_texts(at)[0].startswith("batch 100: ") and bar_texts(at)[0].endswith(" per update")
    assert at.button(key="bt_start").label == "↻ Measure again" and at.button(key="bt_stop").disabled
    assert len(at.dataframe[0].value) == 2
    assert any("No real epoch was timed" in c.value for c in at.caption)  # budget 0 s
    # the download holds the same rows
    download = at.get("download_button")[0]
    assert download.proto.label == "Download CSV"
    data, mimetype, filename = files[download.proto.url]
    assert mimetype == "text/csv" and filename == "batch-timing-mlp-cpu.csv"
    assert timing_csv.read_csv(data.decode("utf-8") if isinstance(data, bytes) else data) == [rows[100], rows[1_000]]


def test_results_are_kept_and_measure_resumes_with_the_rest():
    at = fresh(batches="10, 100")
    kept = TimingRow(DEVICE, "mlp", 10, 60_000, 3, 0.25, 0.125, 0.5, 1_500.0, None)
    at.session_state["bt_results"] = {repr(config_of((10, 100))): {10: kept}}
    at.run()
    ok(at)
    assert at.button(key="bt_start").label == "▶ Resume"
    assert bar_texts(at) == ["batch 10: 250 ms per update", "batch 100: not measured"]
    at.button(key="bt_start").click().run()
    ok(at)
    rows = at.session_state["bt_results"][repr(config_of((10, 100)))]
    assert rows[10] is kept and rows[100].ok  # only the missing size was measured
    batches, medians, _ = measured(at)
    assert list(batches) == [10, 100] and medians[0] == 0.25
    at.button(key="bt_clear").click().run()
    ok(at)
    assert not at.get("plotly_chart") and at.button(key="bt_start").label == "▶ Measure"


class OutOfMemoryAbove(batchlab.models.nn.Module):
    """An MLP that raises CUDA's out-of-memory error from batch 50,000 on."""

    def __init__(self, name):
        super().__init__()
        self.inner = batchlab.models.mlp()

    def forward(self, x):
        if x.shape[0] >= 50_000:
            raise batchlab.models.torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 8.00 GiB")
        return self.inner(x)


class KilledAt500(OutOfMemoryAbove):
    """An MLP whose process is killed (SIGKILL, as the kernel's out-of-memory killer does) at batch 500."""

    def forward(self, x):
        if x.shape[0] == 500:
            os.kill(os.getpid(), signal.SIGKILL)
        return self.inner(x)


class BrokenAbove(OutOfMemoryAbove):
    """An MLP that fails with an error that is not out of memory from batch 50,000 on."""

    def forward(self, x):
        if x.shape[0] >= 50_000:
            raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (50000x10 and 784x256)")
        return self.inner(x)


def test_out_of_memory_is_reported_and_the_other_sizes_go_on(monkeypatch):
    jobs = jobs_seen(monkeypatch, OutOfMemoryAbove)
    at = ok(fresh(batches="100, 60000, 1000"))
    at.button(key="bt_start").click().run()
    ok(at)
    batches, medians, spec = measured(at)
    np.testing.assert_array_equal(batches, [100, 1_000])
    notes = [a["text"] for a in spec["layout"]["annotations"]]
    assert "out of memory at batch 60,000 on this device" in notes
    assert [w.value for w in at.warning if "memory" in w.value] == [
        "Out of memory at batch 60,000 on this device: that size has no time; the other sizes went on."]
    assert bar_texts(at)[2] == "batch 60,000: out of memory"
    assert list(at.dataframe[0].value["status"]) == ["ok", "ok", "out of memory"]
    assert len({pid for *_, pid in jobs}) == 1  # an error the worker catches leaves it running


def test_a_crashed_worker_is_reported_and_a_fresh_one_measures_the_rest(monkeypatch):
    jobs = jobs_seen(monkeypatch, KilledAt500)
    at = ok(fresh(batches="100, 500, 1000"))
    at.button(key="bt_start").click().run()
    ok(at)
    rows = at.session_state["bt_results"][repr(config_of((100, 500, 1_000)))]
    crashed = rows[500]
    assert crashed.status == "crashed" and crashed.device == DEVICE and crashed.median_s is None
    assert rows[100].ok and rows[1_000].ok
    # in order: 100 in one process, which died at 500 (none is left running); 1,000 in a fresh one
    (worker, _, b1, _, pid1), (_, _, b2, _, pid2), (_, before3, b3, _, pid3) = jobs
    assert (b1, b2, b3) == (100, 500, 1_000) and pid2 is None and before3 is None
    assert pid3 not in (None, pid1) and worker.alive()
    batches, medians, spec = measured(at)
    np.testing.assert_array_equal(batches, [100, 1_000])
    notes = [a["text"] for a in spec["layout"]["annotations"]]
    assert "out of memory or crashed at batch 500 on this device" in notes and notes.count("✕") == 2
    assert [w.value for w in at.warning if "process" in w.value] == [
        "The measuring process ended during batch 500 (out of memory or crashed on this device): that size has "
        "no time; the other sizes went on in a fresh process."]
    assert bar_texts(at)[1] == "batch 500: out of memory or crashed"
    assert list(at.dataframe[0].value["status"]) == ["ok", "out of memory or crashed", "ok"]


def test_an_error_that_is_not_out_of_memory_stops_the_run_with_a_message(monkeypatch):
    jobs = jobs_seen(monkeypatch, BrokenAbove)
    at = fresh(batches="100, 60000, 1000")
    at.button(key="bt_start").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Batch 60,000 could not be measured: RuntimeError: mat1 and mat2 shapes cannot be multiplied (50000x10 and "
        "784x256). The run stopped; ▶ Resume tries again."]
    assert sorted(at.session_state["bt_results"][repr(config_of((100, 1_000, 60_000)))]) == [100, 1_000]
    assert at.button(key="bt_start").label == "▶ Resume" and at.button(key="bt_stop").disabled
    assert jobs[-1][-1] == jobs[0][-1]  # the worker said so and stayed


def test_cpu_threads_are_set_in_the_worker_only(monkeypatch):
    jobs = jobs_seen(monkeypatch)
    before = torch.get_num_threads()
    at = ok(fresh(batches="100", threads=1))
    assert any("CPU: " in c.value and ", 1 thread**" in c.value for c in at.caption)
    at.button(key="bt_start").click().run()
    ok(at)
    (row,) = at.session_state["bt_results"][repr(config_of((100,), threads=1))].values()
    assert row.ok and row.device == timing.describe_device("cpu", threads=1) and row.device.endswith(", 1 thread")
    assert torch.get_num_threads() == before  # this process (the server) is not touched
    assert jobs[0][-1] != os.getpid()
    _, _, spec = measured_as(at, row.device)
    assert row.device in spec["layout"]["title"]["text"]


def test_an_uploaded_csv_is_drawn_with_the_same_numbers():
    at = ok(fresh(batches="100"))
    at.button(key="bt_start").click().run()
    ok(at)
    live = list(at.session_state["bt_results"][repr(config_of((100,)))].values())
    gpu = [TimingRow("GPU: Test GPU", "mlp", b, 60_000, 5, m, 0.9 * m, 1.1 * m, math.ceil(60_000 / b) * m,
                     0.5 if b == 1_000 else None) for b, m in ((1, 1e-4), (1_000, 1.5e-4), (60_000, 2.5e-3))]
    text = timing_csv.to_csv(live + gpu)
    at.file_uploader(key="bt_upload").set_value(("gpu.csv", text.encode(), "text/csv")).run()
    ok(at)
    spec = chart(at, "bt_chart")
    uploaded = {t["name"]: t for t in spec["data"] if "(uploaded)" in t.get("name", "") and t.get("xaxis") == "x"}
    gpu_update = uploaded["MLP · GPU: Test GPU (uploaded)"]
    np.testing.assert_array_equal(decode(gpu_update["x"]), [1, 1_000, 60_000])
    np.testing.assert_array_equal(decode(gpu_update["y"]), [1e-4, 1.5e-4, 2.5e-3])  # exactly what was written
    mine = uploaded[f"MLP · {DEVICE} (uploaded)"]
    assert decode(mine["y"])[0] == live[0].median_s
    real = next(t for t in spec["data"] if t.get("name") == "MLP · GPU: Test GPU (uploaded): real epoch")
    np.testing.assert_array_equal(decode(real["x"]), [1_000])
    # instead of the live one
    at.checkbox(key="bt_show_live").uncheck().run()
    ok(at)
    names = {t.get("name") for t in chart(at, "bt_chart")["data"]}
    assert f"MLP · {DEVICE}" not in names and "MLP · GPU: Test GPU (uploaded)" in names


def test_a_bad_upload_is_explained():
    at = ok(fresh())
    bad = ",".join(timing_csv.COLUMNS) + "\ncpu,mlp,10,60000,5,fast,0.1,0.1,600,,ok\n"
    at.file_uploader(key="bt_upload").set_value(("bad.csv", bad.encode(), "text/csv")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        f"The uploaded file {quote('bad.csv')} was not read: line 2, column {quote('median_s')} holds {quote('fast')}, "
        "which is not valid. The format: "
        f"a header line with {', '.join(timing_csv.COLUMNS)}; times in seconds > 0; batch, examples and repeats whole "
        "numbers ≥ 1; status ok, out_of_memory, memory_guard or crashed."]


@pytest.mark.parametrize("text, token", [("1,000", "000"), ("100, 70000", "70000"), ("ten", "ten")])
def test_bad_batch_sizes_are_explained(text, token):
    at = fresh(batches=text)
    assert not at.exception
    assert [e.value for e in at.error] == [
        f"Nothing is measured: batch sizes = {quote(token)} is not valid; allowed whole numbers 1 ≤ batch size ≤ 60,000, "
        "up to 12 of them, separated by commas (write 1000, not 1,000)."]
    assert not page_buttons(at) and not at.get("progress")
    at.text_input(key="bt_batches").set_value("100").run()
    ok(at)
    assert bar_texts(at) == ["batch 100: not measured"]


BUSY = ("This machine is busy: over the last minute it averaged 6.0 programs' worth of work for 2 CPUs (a running "
        "measurement included). ")


@pytest.mark.parametrize("load, threads, warning", [
    ((6.0, 2), None, BUSY + "Times measured now come out too long and scattered: when another program holds a core, "
                            "torch's threads wait for each other at every operation. Set CPU threads to 1 in the "
                            "sidebar, or measure when it is quieter (on the command line: --threads 1)."),
    ((6.0, 2), 1, BUSY + "Even with 1 thread, times measured now may come out too long and scattered: measure when "
                         "it is quieter, and look at the spread."),
    ((1.5, 2), None, None),
    (None, None, None),
])
def test_a_busy_machine_is_said(monkeypatch, load, threads, warning):
    monkeypatch.setattr(timing, "cpu_load", lambda: load)
    at = ok(fresh(threads=threads))
    busy = [w.value.replace("**", "") for w in at.warning if w.value.startswith("This machine is busy")]
    assert busy == ([warning] if warning else [])


def test_the_page_speaks_chinese():
    at = ok(fresh(batches="100", lang="zh-TW"))
    assert at.title[0].value == "批次計時：每次更新與每個 epoch 要花多少時間"
    assert at.button(key="bt_start").label == "▶ 開始量測"
    assert at.number_input(key="bt_threads").label == "CPU 執行緒數"
    at.button(key="bt_start").click().run()
    ok(at)
    spec = chart(at, "bt_chart")
    assert spec["layout"]["xaxis"]["title"]["text"] == "批次大小 B"
    assert bar_texts(at)[0].startswith("批次 100：每次更新 ")


# ----------------------------------------------------------------- the shared page set-up: links, language, projector
@pytest.fixture
def quiet_machine(monkeypatch):
    """No busy-machine warning (it depends on the load of the machine the tests run on)."""
    monkeypatch.setattr(timing, "cpu_load", lambda: None)


def test_a_link_reopens_the_same_settings(quiet_machine):
    at = ok(fresh(batches="10, 100", repeats=7, warmup=1, budget=2, threads=1))
    at.radio(key="bt_model").set_value("cnn").run()
    at.toggle(key="present").set_value(True).run()
    ok(at)
    link = dict(at.query_params)
    expected = {"bt_model": "cnn", "bt_batches": "10, 100", "bt_repeats": "7", "bt_warmup": "1", "bt_budget": "2",
                "present": "1"}
    if timing.MAX_THREADS > 1:  # a setting at its default stays out of a link
        expected["bt_threads"] = "1"
    if next(iter(timing.available_devices())) != "cpu":
        expected["bt_device"] = "cpu"
    assert link == expected
    other = ok(open_link(PAGE, link))
    assert not other.warning
    for kind, key in (("radio", "bt_model"), ("text_input", "bt_batches"), ("slider", "bt_repeats"),
                      ("slider", "bt_warmup"), ("select_slider", "bt_budget"), ("selectbox", "bt_device"),
                      ("number_input", "bt_threads"), ("toggle", "present")):
        assert getattr(other, kind)(key=key).value == getattr(at, kind)(key=key).value, key
    assert bar_texts(other) == ["batch 10: not measured", "batch 100: not measured"]
    assert dict(other.query_params) == link  # the URL still says the same


def test_a_bad_link_is_reported_and_the_defaults_apply(quiet_machine):
    at = ok(open_link(PAGE, {"bt_repeats": "99", "bt_model": "transformer", "bt_device": "tpu", "bt_threads": "0",
                             "bt_warmup": "2", "colour": "red"}))
    (note,) = [w.value for w in at.warning]
    for part in (link_note("bt_repeats", "99") + " is not an integer from 3 to 30",
                 link_note("bt_model", "transformer") + " is not one of the choices",
                 link_note("bt_device", "tpu") + " is not one of the choices",
                 link_note("bt_threads", "0") + f" is not an integer from 1 to {timing.MAX_THREADS}",
                 link_note("colour", "red") + " is not a setting of this page"):
        assert part in note
    assert at.slider(key="bt_repeats").value == REPEATS_DEFAULT and at.radio(key="bt_model").value == "mlp"
    assert at.number_input(key="bt_threads").value == timing.MAX_THREADS
    assert at.slider(key="bt_warmup").value == 2  # the good value is kept


def test_a_link_with_a_language_and_presentation_mode():
    at = ok(open_link(PAGE, {"lang": "zh-TW", "present": "1", "bt_batches": "100"}))
    assert at.title[0].value == "批次計時：每次更新與每個 epoch 要花多少時間" and not raw_keys(at, "zh-TW")
    assert at.radio(key="lang").value == "zh-TW" and at.toggle(key="present").value is True
    assert any(PRESENTATION_CSS.strip() in m.value for m in at.markdown)
    assert dict(at.query_params) == {"lang": "zh-TW", "present": "1", "bt_batches": "100"}
