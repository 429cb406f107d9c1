"""The load test: its statistics, its protocol messages, and a short real run against the app."""
import asyncio
import json
import math
import subprocess
import sys
import time

import numpy as np
import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Checkbox_pb2 import Checkbox
from streamlit.proto.NumberInput_pb2 import NumberInput
from streamlit.proto.Selectbox_pb2 import Selectbox
from streamlit.proto.Slider_pb2 import Slider

from serving.deploy import ROOT
from serving.loadtest import Arrivals, Plan, run_coroutine, slider_values
from serving.metrics import cache_lookups, fetch_cache_lookups
from serving.protocol import browser_value, local_url, parse_cookies, rerun_request, slider_state, widget_key
from serving.stats import percentile, summarize
from tests.serving_helpers import app_server


# ----------------------------------------------------------------- statistics
@pytest.mark.parametrize("n", [1, 2, 3, 10, 101])
def test_percentile_agrees_with_numpy(n):
    values = np.random.default_rng(n).exponential(size=n)
    for q in (0, 1, 25, 50, 90, 95, 99, 100):
        assert percentile(values, q) == pytest.approx(np.percentile(values, q), rel=1e-12)


def test_percentile_by_hand():
    assert percentile([3, 1, 2], 50) == 2
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10, 20], 95) == pytest.approx(19.5)
    assert percentile([7], 99) == 7
    assert math.isnan(percentile([], 50))


@pytest.mark.parametrize("q", [-1, 100.5])
def test_percentile_out_of_range_raises(q):
    with pytest.raises(ValueError, match="q = "):
        percentile([1.0], q)


def test_summary_counts_rates_errors_and_backends():
    s = summarize(4, 5.0, 10.0, latencies=[0.1, 0.2, 0.3, 0.4], errors=["timeout", "timeout", "open: OSError"],
                  loads=[1.0, 3.0], backends=["app0", "app1", "app1", ""])
    assert s.moves == 4 and s.reruns_per_s == pytest.approx(0.4)
    assert s.p50 == pytest.approx(0.25) and s.max == 0.4
    assert s.errors == 3 and s.error_kinds == {"timeout": 2, "open: OSError": 1}
    assert s.load_p50 == 2.0 and s.backends == {"app0": 1, "app1": 2}
    assert s.row().startswith("| 4 | 0.40 | 0.250 |") and s.row().endswith("| 3 |")


def test_summary_of_nothing_and_a_bad_duration():
    s = summarize(1, 5.0, 1.0, latencies=[], errors=[])
    assert s.moves == 0 and math.isnan(s.p95) and s.errors == 0
    with pytest.raises(ValueError, match="duration"):
        summarize(1, 5.0, 0.0, latencies=[], errors=[])


# ----------------------------------------------------------------- protocol messages
def test_widget_key_from_widget_id():
    assert widget_key("$$ID-33635acaca12cd3e96df19fe02b1646c-run0_gd_lr") == "run0_gd_lr"
    assert widget_key("$$ID-33635acaca12cd3e96df19fe02b1646c-None") is None
    assert widget_key("plain") is None


def test_select_slider_sends_the_option_text_and_a_slider_its_number():
    select = Slider(id="$$ID-ab-run0_gd_lr", options=["0.001", "0.01"])
    assert list(slider_state(select, "0.01").string_array_value.data) == ["0.01"]
    with pytest.raises(ValueError, match="not one of its options"):
        slider_state(select, "0.5")
    plain = Slider(id="$$ID-ab-run0_noise", min=0.0, max=2.0)
    assert list(slider_state(plain, 0.5).double_array_value.data) == [0.5]
    with pytest.raises(ValueError, match="outside"):
        slider_state(plain, 3.0)


def test_slider_values_within_a_range():
    select = Slider(id="x", options=["1e-06", "1e-05", "0.0001", "0.001", "0.01", "0.1"])
    assert slider_values(select, (1e-5, 1e-2)) == ["1e-05", "0.0001", "0.001", "0.01"]
    plain = Slider(id="x", min=0.0, max=2.0)
    assert slider_values(plain, (0.5, 10.0)) == pytest.approx(np.linspace(0.5, 2.0, 10))
    with pytest.raises(ValueError, match="fewer than two"):
        slider_values(select, (0.5, 0.6))


def test_a_browser_holds_the_servers_value_or_the_default():
    lr = Slider(id="a", options=["0.001", "0.01", "0.1"], default=[1])
    assert list(browser_value("slider", lr).string_array_value.data) == ["0.01"]
    lr.set_value, lr.raw_value[:] = True, ["0.1"]
    assert list(browser_value("slider", lr).string_array_value.data) == ["0.1"]
    noise = Slider(id="b", min=0.0, max=2.0, default=[0.5])
    assert list(browser_value("slider", noise).double_array_value.data) == [0.5]
    surface = Selectbox(id="c", options=["Bowl", "Rosenbrock"], default=0)
    assert browser_value("selectbox", surface).string_value == "Bowl"
    surface.set_value, surface.raw_value = True, "Rosenbrock"
    assert browser_value("selectbox", surface).string_value == "Rosenbrock"
    assert browser_value("selectbox", Selectbox(id="d", options=["x"])) is None  # no default: starts empty
    start = NumberInput(id="e", default=-2.0, value=-1.8, set_value=True)
    assert browser_value("number_input", start).double_value == -1.8
    assert browser_value("checkbox", Checkbox(id="f", default=True)).bool_value is True
    assert browser_value("plotly_chart", Checkbox(id="g")) is None


def test_cache_lookups_from_the_metrics_text():
    text = """# TYPE cache_lookups counter
cache_lookups_total{cache="__main__.simulate_view",cache_type="st_cache_resource",result="hit"} 13
cache_lookups_total{cache="__main__.simulate_view",cache_type="st_cache_resource",result="miss"} 3
cache_lookups_total{cache="__main__.eta_figure",cache_type="st_cache_resource",result="miss"} 5
cache_memory_bytes{cache_type="st_cache_resource",cache="__main__.eta_figure"} 5"""
    assert cache_lookups(text) == {"simulate_view": {"hit": 13, "miss": 3}, "eta_figure": {"hit": 0, "miss": 5}}


def test_rerun_request_round_trips():
    state = slider_state(Slider(id="$$ID-ab-k", min=0.0, max=1.0), 0.25)
    msg = BackMsg()
    msg.ParseFromString(rerun_request("playground", [state], {"h2", "h1"}, "lr=0.1"))
    rerun = msg.rerun_script
    assert rerun.page_name == "playground" and rerun.query_string == "lr=0.1"
    assert list(rerun.cached_message_hashes) == ["h1", "h2"]
    assert [w.id for w in rerun.widget_states.widgets] == ["$$ID-ab-k"]
    assert list(rerun.widget_states.widgets[0].double_array_value.data) == [0.25]


def test_the_media_a_chart_names_are_found_in_its_payload():
    from serving.protocol import MEDIA_URL

    payload = b'{"blobs":{"ab":"/media/0f3a9c.bin"},"images":["/app/media/77aa.png"],"spec":{"x":"/media/no"}}'
    assert MEDIA_URL.findall(payload) == [b"/media/0f3a9c.bin", b"/app/media/77aa.png"]


def test_cookies_and_local_urls():
    assert parse_cookies(["descent_lab_backend=app1; Path=/; HttpOnly", "_streamlit_xsrf=2|x|y; Path=/"]) == {
        "descent_lab_backend": "app1", "_streamlit_xsrf": "2|x|y"}
    assert local_url("http://127.0.0.1:8501/") == "http://127.0.0.1:8501"
    with pytest.raises(ValueError, match="not local"):
        local_url("http://example.com:8501")


def test_a_plan_must_be_bounded():
    with pytest.raises(ValueError, match="duration"):
        Plan("http://127.0.0.1:1", duration=0)
    plan = Plan("http://127.0.0.1:1", sessions=2, interval=1.0, duration=5.0, ramp=2.0, timeout=10.0)
    # arrivals, the openings' longest wait, one interval, the moves, the last run's longest wait
    assert plan.deadline_seconds == 2.0 + 10.0 + 1.0 + 5.0 + 10.0


def test_moves_fall_due_only_once_every_session_has_opened_its_page():
    async def scenario():
        arrivals = Arrivals(2, window_start=time.perf_counter())  # planned start: now
        arrivals.arrived()
        waiting = asyncio.create_task(arrivals.window())
        await asyncio.sleep(0.05)
        assert not waiting.done()  # one session still opening: no move is due
        last = time.perf_counter()
        arrivals.arrived()
        return last, await waiting

    last_arrival, window_start = run_coroutine(scenario())  # not asyncio.run: a browser test may hold a loop
    assert window_start >= last_arrival


def test_the_planned_window_start_holds_when_the_class_opens_early():
    async def scenario():
        later = time.perf_counter() + 60.0
        arrivals = Arrivals(1, window_start=later)
        arrivals.arrived()
        return later, await arrivals.window()

    planned, window_start = run_coroutine(scenario())
    assert window_start == planned


# ----------------------------------------------------------------- a real run
@pytest.mark.slow
def test_three_students_move_a_slider_and_every_rerun_finishes():
    """scripts/loadtest against a fresh app: 3 sessions, a move a second for 5 s (5 moves each)."""
    with app_server() as (url, _):
        out = subprocess.run(
            [sys.executable, "scripts/loadtest", "--url", url, "--sessions", "3", "--interval", "1", "--duration", "5",
             "--ramp", "1", "--timeout", "60", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=180)
        computed = fetch_cache_lookups(url)["simulate_view"]["miss"]
    assert out.returncode == 0, out.stdout + out.stderr
    summary = json.loads(out.stdout)
    assert summary["errors"] == 0, summary["error_examples"]
    assert summary["moves"] == 15  # due at phase + k for k = 0 … 4 in each session, none lost
    assert 0 < summary["p50"] <= summary["p95"] <= summary["p99"] <= summary["max"]
    assert summary["load_p50"] > 0
    # A move sends the changed run's arrays and small templates, not whole figures (60 kB is the target).
    assert 10_000 < summary["bytes_p50"] < 60_000
    # Every move computed: the first page (1), each session's own view (3) and its 5 moves (15).
    assert computed >= 1 + 3 + 15
