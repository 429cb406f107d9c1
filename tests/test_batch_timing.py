"""The batch timing core on the CPU: statistics from injected timings, the timers, out of memory, the
memory guard, devices, settings, models, synthetic data, the CSV format, the figure and the CLI."""
from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import i18n
from batchlab import models, synthetic, timing, timing_csv
from batchlab.timing_csv import TimingRow
from benchmarks import batch_timing as cli
from figures.batch_timing import Series, format_ratio, format_seconds, ratio, ratio_text, table, timing_figure
from tests.apptest_helpers import decode

ROOT = Path(__file__).resolve().parents[1]
DEVICE = "CPU: Test Processor, 2 threads"


def naive_percentile(values, p):
    """The p-th percentile by hand: rank p/100·(n − 1) in the sorted values, linear between neighbours."""
    s = sorted(values)
    rank = p / 100 * (len(s) - 1)
    below = math.floor(rank)
    above = min(below + 1, len(s) - 1)
    return s[below] + (rank - below) * (s[above] - s[below])


class SpanClock:
    """A fake clock: the k-th pair of readings is (t, t + spans[k]), then t moves on by 1 s."""

    def __init__(self, spans):
        self.spans, self.reads, self.t = list(spans), 0, 100.0

    def __call__(self):
        k, end = divmod(self.reads, 2)
        self.reads += 1
        if not end:
            return self.t
        value = self.t + self.spans[k]
        self.t = value + 1.0
        return value


# ----------------------------------------------------------------- statistics and timers
@pytest.mark.parametrize("durations", [[5.0, 1.0, 4.0, 2.0, 3.0], [0.3, 0.1, 7.0, 0.2, 0.25, 0.4], [2.5], [1.0, 3.0]])
def test_summarize_is_the_median_and_the_interquartile_range(durations):
    spread = timing.summarize(durations)
    assert spread.median == pytest.approx(naive_percentile(durations, 50), rel=1e-15)
    assert spread.low == pytest.approx(naive_percentile(durations, 25), rel=1e-15)
    assert spread.high == pytest.approx(naive_percentile(durations, 75), rel=1e-15)
    assert spread.n == len(durations)


def test_summarize_by_hand():
    assert timing.summarize([5, 1, 4, 2, 3]) == timing.Spread(median=3.0, low=2.0, high=4.0, n=5)
    # an outlier moves neither the median nor the middle half much
    assert timing.summarize([1, 2, 3, 4, 500]) == timing.Spread(median=3.0, low=2.0, high=4.0, n=5)


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")], [[1.0, 2.0]]])
def test_summarize_refuses_what_is_not_timings(bad):
    with pytest.raises(ValueError, match="durations"):
        timing.summarize(bad)


def test_time_updates_reads_the_clock_after_waiting_for_the_device():
    log = []
    clock = SpanClock([0.5, 0.25, 0.125])

    def read():
        log.append("clock")
        return clock()

    durations = timing.time_updates(lambda i: log.append(f"step {i}"), 3, first=4, clock=read,
                                    wait=lambda: log.append("wait"), after=lambda k: log.append(f"after {k}"))
    assert durations == [0.5, 0.25, 0.125]
    assert log[:6] == ["wait", "clock", "step 4", "wait", "clock", "after 1"]
    assert [e for e in log if e.startswith("step")] == ["step 4", "step 5", "step 6"]


def test_time_epoch_runs_every_update_between_two_clock_readings():
    steps, reports = [], []
    seconds = timing.time_epoch(steps.append, 500, clock=SpanClock([12.5]), after=reports.append)
    assert seconds == 12.5
    assert steps == list(range(500))
    assert len(reports) == timing.EPOCH_PROGRESS_CALLS and reports[-1] == 500


def test_epoch_estimate_is_updates_per_epoch_times_the_median():
    assert timing.updates_per_epoch(60_000, 1) == 60_000
    assert timing.updates_per_epoch(60_000, 7) == 8_572  # the last batch holds 60,000 − 8,571·7 = 3 examples
    assert timing.updates_per_epoch(60_000, 60_000) == 1
    assert timing.epoch_estimate(0.002, 60_000, 7) == pytest.approx(8_572 * 0.002)


# ----------------------------------------------------------------- one batch size, on the CPU
class Recorder(nn.Module):
    """A linear model that logs the batch size of every forward pass."""

    def __init__(self, log, fail_from=None, error=None):
        super().__init__()
        self.linear = nn.Linear(784, 10)
        self.log, self.fail_from, self.error = log, fail_from, error

    def forward(self, x):
        if self.fail_from is not None and x.shape[0] >= self.fail_from:
            raise self.error
        self.log.append(x.shape[0])
        return self.linear(x.flatten(1))


def test_measure_batch_summarizes_the_injected_timings():
    # warm-up (dropped), timed updates, real epoch; binary fractions, so the clock's differences are exact
    spans = [9.0, 9.0] + [0.375, 0.125, 0.25, 0.625, 0.5] + [7.0]
    config = timing.TimingConfig(batches=(30,), repeats=5, warmup=2, epoch_budget_s=10.0, examples=100)
    row = timing.measure_batch(config, 30, describe=DEVICE, clock=SpanClock(spans))
    assert row == TimingRow(device=DEVICE, model="mlp", batch=30, examples=100, repeats=5, median_s=0.375,
                            low_s=0.25, high_s=0.5, epoch_estimate_s=4 * 0.375, epoch_measured_s=7.0)


def test_a_real_epoch_only_within_the_budget():
    spans = [0.3, 0.3, 0.3, 5.0]
    config = timing.TimingConfig(batches=(30,), repeats=3, warmup=0, epoch_budget_s=1.0, examples=100)
    row = timing.measure_batch(config, 30, describe=DEVICE, clock=SpanClock(spans))
    assert row.epoch_estimate_s == pytest.approx(1.2) and row.epoch_measured_s is None


def test_timed_updates_cycle_through_the_set_and_the_epoch_covers_it_once():
    log = []
    config = timing.TimingConfig(batches=(30,), repeats=4, warmup=1, epoch_budget_s=600.0, examples=100)
    row = timing.measure_batch(config, 30, describe=DEVICE, make_model=lambda name: Recorder(log),
                               free_memory=None)
    assert log == [30] * 5 + [30, 30, 30, 10]  # 5 updates on whole batches, then ⌈100/30⌉ = 4 for the epoch
    assert row.ok and row.epoch_measured_s > 0
    assert 0 < row.low_s <= row.median_s <= row.high_s


def test_the_real_models_time_on_the_cpu():
    for name in models.MODELS:
        config = timing.TimingConfig(model=name, batches=(1, 64), repeats=3, warmup=1, epoch_budget_s=0.0)
        for batch in config.batches:
            row = timing.measure_batch(config, batch)
            assert row.ok and row.device.startswith("CPU: ") and row.model == name and row.examples == 60_000
            assert 0 < row.low_s <= row.median_s <= row.high_s
            assert row.epoch_estimate_s == pytest.approx(math.ceil(60_000 / batch) * row.median_s)


OOM_ERRORS = [
    torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
    RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: "
                 "you tried to allocate 1073741824 bytes. Error code 12 (Cannot allocate memory)"),
    RuntimeError("MPS backend out of memory (MPS allocated: 17.00 GB)"),
    MemoryError(),
]


@pytest.mark.parametrize("error", OOM_ERRORS, ids=["cuda", "cpu", "mps", "memoryerror"])
def test_out_of_memory_is_a_row_and_the_other_sizes_go_on(error):
    log = []
    config = timing.TimingConfig(batches=(10, 50, 20), repeats=2, warmup=1, epoch_budget_s=0.0, examples=100)
    rows = [timing.measure_batch(config, b, describe=DEVICE, make_model=lambda name: Recorder(log, 50, error),
                                 free_memory=None)
            for b in config.batches]
    assert [r.status for r in rows] == ["ok", "out_of_memory", "ok"]
    oom = rows[1]
    assert (oom.median_s, oom.low_s, oom.high_s, oom.epoch_estimate_s, oom.epoch_measured_s) == (None,) * 5
    assert log == [10] * 3 + [20] * 3


def test_other_errors_are_not_taken_for_out_of_memory():
    assert timing.is_out_of_memory(RuntimeError("CUDA error: out of memory"))
    assert not timing.is_out_of_memory(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
    assert not timing.is_out_of_memory(ValueError("out of memory"))
    config = timing.TimingConfig(batches=(10,), repeats=1, warmup=0, examples=100)
    with pytest.raises(RuntimeError, match="shapes"):
        timing.measure_batch(config, 10, describe=DEVICE,
                             make_model=lambda name: Recorder([], 1, RuntimeError("shapes do not match")))


def test_memory_guard_skips_a_size_that_does_not_fit():
    model = models.make_model("mlp")
    example = torch.zeros(1, 1, 28, 28)
    # outputs per example: flatten 784, then 256, 256 (ReLU), 256, 256 (ReLU), 10
    assert timing.activation_floats(model, example) == 784 + 4 * 256 + 10
    assert timing.memory_needed(model, example, 1_000) == int(timing.MEMORY_FACTOR * 1_000 * 1_818 * 4)
    config = timing.TimingConfig(batches=(1_000,), repeats=1, warmup=0, epoch_budget_s=0.0)
    row = timing.measure_batch(config, 1_000, describe=DEVICE, free_memory=lambda: 1_000_000)
    assert row.status == "memory_guard" and row.median_s is None
    assert timing.measure_batch(config, 1_000, describe=DEVICE, free_memory=lambda: 10**12).ok


def test_memory_free_reads_meminfo(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       24683656 kB\nMemFree:        23685552 kB\nMemAvailable:   24260096 kB\n")
    assert timing.memory_free(str(meminfo)) == 24260096 * 1024
    assert timing.memory_free(str(tmp_path / "missing")) is None


# ----------------------------------------------------------------- devices and settings
def test_the_device_is_named(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n\nprocessor\t: 1\n")
    assert timing.describe_device("cpu", threads=2, cpuinfo=str(cpuinfo)) == "CPU: AMD EPYC 7B13, 2 threads"
    cpuinfo.write_text("model name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n")
    assert timing.describe_device("cpu", threads=1, cpuinfo=str(cpuinfo)) == "CPU: Intel Xeon CPU @ 2.20GHz, 1 thread"
    n = torch.get_num_threads()
    assert timing.describe_device("cpu") == f"CPU: {timing.cpu_model()}, {n} thread{'s' if n != 1 else ''}"


def test_cpu_load_is_read_where_the_system_says(monkeypatch):
    load, cpus = timing.cpu_load()
    assert load >= 0 and cpus >= 1

    def unknown():
        raise OSError("no load average")

    monkeypatch.setattr(timing.os, "getloadavg", unknown)
    assert timing.cpu_load() is None


def test_devices_resolve_to_what_is_here():
    assert timing.available_devices()[-1] == "cpu"
    assert timing.resolve_device("auto") == timing.available_devices()[0]
    assert timing.resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="device = 'tpu' is not valid"):
        timing.resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device = 'cuda' is not available here; allowed: auto, "):
            timing.resolve_device("cuda")


def test_batch_sizes_are_parsed_and_checked():
    assert timing.parse_batches("1, 10,100 ;1000  10000\t60000") == (1, 10, 100, 1_000, 10_000, 60_000)
    assert timing.parse_batches("100, 10, 100, 6_000") == (10, 100, 6_000)
    for text, token in (("1,000", "000"), ("0", "0"), ("60001", "60001"), ("ten", "ten"), ("1.5", "1.5"), ("2²", "2²"),
                        ("-4", "-4"), ("", "")):
        with pytest.raises(timing.BatchSizesError) as caught:
            timing.parse_batches(text)
        assert caught.value.token == token
        assert "allowed whole numbers 1 <= batch <= 60,000" in str(caught.value)
    with pytest.raises(timing.BatchSizesError):
        timing.parse_batches(",".join(str(b) for b in range(1, 14)))


@pytest.mark.parametrize("field, value, message", [
    ("repeats", 0, "repeats = 0 is out of range; allowed integers 1 <= repeats <= 100"),
    ("warmup", 21, "warmup = 21 is out of range; allowed integers 0 <= warmup <= 20"),
    ("epoch_budget_s", -1.0, "epoch_budget_s = -1 is out of range; allowed 0 <= epoch_budget_s <= 600"),
    ("model", "resnet", "model = 'resnet' is not valid; allowed: mlp, cnn"),
    ("device", "auto", "device = 'auto' is not valid; allowed: cpu, cuda, mps"),
    ("batches", (10, 60_001), "batch = 60001 is out of range; allowed integers 1 <= batch <= 60,000"),
    ("threads", 0, f"threads = 0 is out of range; allowed integers 1 <= threads <= {timing.MAX_THREADS}"),
    ("threads", timing.MAX_THREADS + 1,
     f"threads = {timing.MAX_THREADS + 1} is out of range; allowed integers 1 <= threads <= {timing.MAX_THREADS}"),
])
def test_settings_are_checked_with_a_message_naming_the_field(field, value, message):
    with pytest.raises(ValueError) as caught:
        timing.TimingConfig(**{field: value})
    assert str(caught.value) == f"batch timing: {message}"


# ----------------------------------------------------------------- models and data
def test_models_take_mnist_shaped_batches():
    x = torch.rand(5, 1, 28, 28)
    expected = {"mlp": 784 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10,
                "cnn": (9 * 8 + 8) + (9 * 8 * 16 + 16) + (784 * 10 + 10)}
    for name in models.MODELS:
        model = models.make_model(name)
        assert model(x).shape == (5, 10)
        assert models.parameter_count(model) == expected[name]
    assert expected == {"mlp": 269_322, "cnn": 9_098}  # the numbers the page's help quotes


def test_models_are_seeded_without_touching_the_global_generator():
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    a, b = models.make_model("cnn"), models.make_model("cnn")
    assert torch.equal(torch.random.get_rng_state(), before)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    with pytest.raises(ValueError, match="model = 'vgg' is not valid; allowed: mlp, cnn"):
        models.make_model("vgg")


def test_synthetic_data_is_mnist_shaped_seeded_and_made_once():
    images, labels = synthetic.generate(1_000)
    assert images.shape == (1_000, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (1_000,) and labels.dtype == torch.int64
    assert 0 <= images.min() and images.max() < 1 and set(labels.tolist()) == set(range(10))
    again, _ = synthetic.generate(1_000)
    assert torch.equal(images, again)
    first = synthetic.dataset("cpu", 1_000)
    assert synthetic.dataset("cpu", 1_000)[0] is first[0] and torch.equal(first[0], images)
    full, _ = synthetic.dataset("cpu")
    assert full.shape == (60_000, 1, 28, 28) and full.numel() * full.element_size() == 188_160_000


# ----------------------------------------------------------------- CSV
ROWS = [
    TimingRow(DEVICE, "mlp", 1, 60_000, 5, 0.00041234567890123, 0.0004, 0.00043, 24.7407407, None),
    TimingRow(DEVICE, "mlp", 1_000, 60_000, 5, 0.0061, 0.006, 0.0065, 0.366, 0.3712345678901234),
    TimingRow(DEVICE, "mlp", 60_000, 60_000, 5, status="out_of_memory"),
    TimingRow("GPU: Test GPU", "cnn", 7, 1_000, 3, 1e-5, 9e-6, 2e-5, 143 * 1e-5, 1.5e-3),
    TimingRow("GPU: Test GPU", "cnn", 60_000, 60_000, 3, status="memory_guard"),
    TimingRow(DEVICE, "mlp", 30_000, 60_000, 5, status="crashed"),
]


def test_csv_round_trip_gives_the_same_numbers():
    text = timing_csv.to_csv(ROWS)
    assert text.splitlines()[0] == ",".join(timing_csv.COLUMNS)
    assert timing_csv.read_csv(text) == ROWS
    # a spreadsheet's byte-order mark, CRLF line ends, blank lines and a column order of its own
    shuffled = ["status", *timing_csv.COLUMNS[:-1]]
    lines = ["\ufeff" + ",".join(shuffled)]
    for line in text.splitlines()[1:]:
        cells = next(csv.reader([line]))
        lines.append(",".join(f'"{c}"' for c in [cells[-1], *cells[:-1]]))
    assert timing_csv.read_csv("\r\n".join(lines[:2] + [""] + lines[2:]) + "\r\n") == ROWS


@pytest.mark.parametrize("text, line, column", [
    ("", 1, "header"),
    ("device,model,batch\n", 1, "examples"),
    (",".join(timing_csv.COLUMNS) + "\n", 2, "(row)"),
    (",".join(timing_csv.COLUMNS) + "\ncpu,mlp,10,60000,5,0.1,0.1,0.1,600,,ok,extra\n", 2, "(row)"),
    (",".join(timing_csv.COLUMNS) + "\ncpu,mlp,ten,60000,5,0.1,0.1,0.1,600,,ok\n", 2, "batch"),
    (",".join(timing_csv.COLUMNS) + "\ncpu,mlp,10,60000,5,-0.1,0.1,0.1,600,,ok\n", 2, "median_s"),
    (",".join(timing_csv.COLUMNS) + "\ncpu,mlp,10,60000,5,nan,0.1,0.1,600,,ok\n", 2, "median_s"),
    (",".join(timing_csv.COLUMNS) + "\ncpu,mlp,10,60000,5,,0.1,0.1,600,,ok\n", 2, "median_s"),
    (",".join(timing_csv.COLUMNS) + "\ncpu,mlp,10,60000,5,0.1,0.1,0.1,600,,fine\n", 2, "status"),
    (",".join(timing_csv.COLUMNS) + "\n ,mlp,10,60000,5,0.1,0.1,0.1,600,,ok\n", 2, "device"),
])
def test_csv_errors_name_the_line_and_the_column(text, line, column):
    with pytest.raises(timing_csv.CsvFormatError) as caught:
        timing_csv.read_csv(text)
    assert (caught.value.line, caught.value.column) == (line, column)


# ----------------------------------------------------------------- figure
def traces(fig, name=None):
    return [t for t in fig.to_plotly_json()["data"] if name is None or t.get("name") == name]


def test_the_figure_draws_the_rows():
    live = ROWS[:3]
    fig = timing_figure([("live", live)], planned=(1, 1_000, 60_000))
    update, epoch, measured = [t for t in traces(fig) if t.get("xaxis", "x") != "x3"]
    ok = [r for r in live if r.ok]
    np.testing.assert_array_equal(decode(update["x"]), [r.batch for r in ok])
    np.testing.assert_array_equal(decode(update["y"]), [r.median_s for r in ok])
    np.testing.assert_allclose(decode(update["error_y"]["array"]), [r.high_s - r.median_s for r in ok])
    np.testing.assert_allclose(decode(update["error_y"]["arrayminus"]), [r.median_s - r.low_s for r in ok])
    np.testing.assert_array_equal(decode(epoch["y"]), [r.epoch_estimate_s for r in ok])
    np.testing.assert_array_equal(decode(measured["x"]), [1_000])
    np.testing.assert_array_equal(decode(measured["y"]), [ROWS[1].epoch_measured_s])
    assert update["name"] == f"MLP · {DEVICE}" and update["xaxis"] == "x" and epoch["xaxis"] == "x2"
    layout = fig.to_plotly_json()["layout"]
    assert DEVICE in layout["title"]["text"]
    assert layout["xaxis"]["type"] == "log" and layout["yaxis2"]["type"] == "log"
    assert layout["xaxis"]["range"][1] > math.log10(60_000)  # the out-of-memory size is on the axis
    texts = [a["text"] for a in layout["annotations"]]
    assert "out of memory at batch 60,000 on this device" in texts
    assert texts.count("✕") == 2  # marked on both panels


def test_a_crashed_size_is_marked_like_out_of_memory():
    fig = timing_figure([("live", ROWS[:2] + ROWS[5:])])
    update = traces(fig, f"MLP · {DEVICE}")[0]
    np.testing.assert_array_equal(decode(update["x"]), [1, 1_000])  # no time, no point
    texts = [a["text"] for a in fig.to_plotly_json()["layout"]["annotations"]]
    assert "out of memory or crashed at batch 30,000 on this device" in texts and texts.count("✕") == 2
    assert table(ROWS[5:])["status"] == ["out of memory or crashed"]
    assert table(ROWS[5:], "zh-TW")["狀態"] == ["記憶體不足或當掉"]
    zh = timing_figure([("live", ROWS[5:])], lang="zh-TW").to_plotly_json()["layout"]["annotations"]
    assert "在這個裝置上，批次 30,000 記憶體不足或當掉" in [a["text"] for a in zh]


def test_the_figure_tells_sources_apart_and_speaks_chinese():
    fig = timing_figure([("live", ROWS[:2]), ("uploaded", ROWS[3:])], lang="zh-TW")
    names = {t["name"] for t in traces(fig)}
    assert f"MLP · {DEVICE}" in names and "小型 CNN · GPU: Test GPU（上傳）" in names
    layout = fig.to_plotly_json()["layout"]
    texts = [a["text"] for a in layout["annotations"]]
    assert i18n.text("batch_timing.figure.per_update", "zh-TW") in texts
    assert "小型 CNN · GPU: Test GPU（上傳）：批次 60,000 未執行：需要的記憶體超過這個裝置可用的記憶體" in texts
    assert layout["xaxis"]["title"]["text"] == "批次大小 B"


def test_the_ratio_takes_the_lectures_pair_where_measured_else_the_ends():
    gpu = [TimingRow("GPU: Test", "mlp", b, 60_000, 5, m, m, m, math.ceil(60_000 / b) * m) for b, m in
           ((1, 1e-4), (10, 1e-4), (1_000, 1.5e-4), (60_000, 2.5e-3))]
    r = ratio(gpu)
    assert (r.small.batch, r.large.batch) == (1, 1_000)
    assert r.update == pytest.approx(1.5) and r.epoch == pytest.approx(1.5 * 60 / 60_000) and r.examples == 1_000
    ends = ratio([row for row in gpu if row.batch != 1_000])
    assert (ends.small.batch, ends.large.batch) == (1, 60_000) and ends.update == pytest.approx(25.0)
    assert ratio(gpu[:1]) is None and ratio(ROWS[2:3]) is None  # fewer than two measured
    series = Series("uploaded", "GPU: Test", "mlp", tuple(gpu))
    assert ratio_text(series) == ("MLP · GPU: Test (uploaded): one update at B = 1,000 takes 1.5× as long as at "
                                  "B = 1; one epoch 0.0015× as long, with 1,000× the examples per update.")
    assert "1,000" in ratio_text(series, "zh-TW")


def test_the_table_and_the_durations_read_well():
    columns = table(ROWS[:3])
    assert columns["updates per epoch"] == [60_000, 60, 1]
    median = columns["median per update (ms)"]
    assert median[:2] == pytest.approx([0.41234567890123, 6.1]) and median[2] is None
    assert columns["status"] == ["ok", "ok", "out of memory"]
    assert [format_seconds(s) for s in (1.234e-7, 1.234e-5, 0.00619, 0.999, 1.23, 99.94, 123.4, 1_470.4)] == [
        "0.123 µs", "12.3 µs", "6.19 ms", "999 ms", "1.23 s", "99.9 s", "123 s", "1,470 s"]
    # at a unit's edge the rounded value picks the unit
    assert [format_seconds(s) for s in (0.00099964, 0.99996, 99.996)] == ["1 ms", "1 s", "100 s"]


# ----------------------------------------------------------------- command line
def test_the_command_line_prints_a_table_and_writes_the_csv(tmp_path):
    out = tmp_path / "timing.csv"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.batch_timing", "--model", "mlp", "--batches", "1000,100", "--repeats", "3",
         "--warmup", "1", "--device", "cpu", "--epoch-budget", "0", "--threads", "1", "--csv", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    rows = timing_csv.read_csv(out.read_text())
    assert [r.batch for r in rows] == [100, 1_000] and all(r.ok and r.repeats == 3 for r in rows)
    assert lines[0] == f"device: {rows[0].device} (torch {torch.__version__})"
    assert rows[0].device == timing.describe_device("cpu", threads=1)  # --threads 1 was set in that process
    assert "269,322 parameters" in lines[1]
    header = lines.index(cli.line(cli.HEADERS))
    printed = [line.split() for line in lines[header + 2:header + 4]]
    for cells, row in zip(printed, rows):
        assert cells[0] == f"{row.batch:,}" and cells[1] == f"{60_000 // row.batch:,}"
        assert " ".join(cells[2:4]) == format_seconds(row.median_s)  # the table shows the CSV's median
        assert cells[-1] == "ok" and cells[-2] == "-"  # budget 0: no real epoch
    times = format_ratio(rows[1].median_s / rows[0].median_s)
    assert f"batch 1,000 against batch 100: one update takes {times}× as long" in done.stdout
    assert [format_ratio(x) for x in (0.06281, 3.7712, 3771.4)] == ["0.0628", "3.77", "3,771"]


def test_the_command_line_explains_bad_input(capsys):
    assert cli.main(["--batches", "1,000", "--device", "cpu"]) == 2
    assert "batches: '000' is not valid; allowed whole numbers 1 <= batch <= 60,000" in capsys.readouterr().err
    assert cli.main(["--repeats", "0", "--device", "cpu"]) == 2
    assert "repeats = 0 is out of range" in capsys.readouterr().err
    before = torch.get_num_threads()
    for threads in (0, timing.MAX_THREADS + 1):
        assert cli.main(["--threads", str(threads), "--device", "cpu"]) == 2
        assert (f"threads = {threads} is out of range; allowed integers 1 <= threads <= {timing.MAX_THREADS}"
                in capsys.readouterr().err)
    assert torch.get_num_threads() == before  # refused before anything was set
