"""The Batch timing page in a real browser: Measure (in the server's measuring process), Stop in the
middle of a size (which ends that process), Resume to the end, both curves drawn, an uploaded CSV
drawn beside them, no exception; a screenshot."""
import time

import psutil
import pytest

from batchlab import timing_csv
from batchlab.timing_csv import TimingRow
from tests.browser_helpers import ARTIFACTS, no_error, open_page, settle

pytestmark = pytest.mark.browser

# Test data for the upload, plainly labelled as such (not a measurement of any real device).
UPLOAD = [TimingRow("GPU: test data", "mlp", b, 60_000, 5, m, 0.9 * m, 1.2 * m, -(-60_000 // b) * m)
          for b, m in ((100, 2e-4), (1_000, 3e-4), (60_000, 4e-3))]


def _cmdline(process) -> str:
    """The command line of a running process; "" once it has ended. (A process this test may not read
    raises: it must not pass for an ended one.)"""
    try:
        return "" if process.status() == psutil.STATUS_ZOMBIE else " ".join(process.cmdline())
    except psutil.NoSuchProcess:  # ended meanwhile
        return ""


def ended(process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def measuring_processes() -> list:
    """The measuring processes of the app server this test started (not those of this test process)."""
    servers = [p for p in psutil.Process().children() if "streamlit run app.py" in _cmdline(p)]
    assert len(servers) == 1
    return [p for p in servers[0].children(recursive=True) if "spawn_main" in _cmdline(p)]


def eventually(condition, within_s=30.0) -> bool:
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True



def test_batch_timing_main_path(page, app_server, tmp_path):
    from playwright.sync_api import expect

    open_page(page, f"{app_server}/batch_timing")
    expect(page.locator("h1", has_text="Batch timing")).to_be_visible()
    settle(page)
    no_error(page)

    # three sizes; the largest takes long enough (8 updates on 60,000 examples) to stop it midway;
    # 1 CPU thread in the measuring process (steady on a busy machine)
    sizes = page.get_by_role("textbox", name="Batch sizes")
    sizes.fill("100, 1000, 60000")
    sizes.press("Enter")
    settle(page)
    threads = page.get_by_role("spinbutton", name="CPU threads")
    threads.fill("1")
    threads.press("Enter")
    settle(page)
    expect(page.get_by_text("batch 60,000: not measured")).to_be_visible()
    expect(page.get_by_text("Measuring on CPU: ")).to_contain_text(", 1 thread.")

    page.get_by_role("button", name="▶ Measure").click()
    expect(page.get_by_text("batch 1,000:").filter(has_text="per update")).to_be_visible()
    assert eventually(lambda: len(measuring_processes()) == 1)  # measuring 60,000 in the worker
    (worker,) = measuring_processes()
    page.get_by_role("button", name="■ Stop").click()
    settle(page)
    assert eventually(lambda: ended(worker)), "Stop left the measuring process running"
    assert not measuring_processes()
    expect(page.get_by_role("button", name="▶ Resume")).to_be_visible()
    expect(page.get_by_text("batch 60,000: not measured")).to_be_visible()
    chart = page.locator(".js-plotly-plot").first
    expect(chart.locator("g.scatterlayer g.trace path.point")).not_to_have_count(0)
    no_error(page)

    page.get_by_role("button", name="▶ Resume").click()
    expect(page.get_by_role("button", name="↻ Measure again")).to_be_visible()
    settle(page)
    expect(page.get_by_text("batch 60,000:").filter(has_text="per update")).to_be_visible()
    # per update: 3 points with error bars; per epoch: 3 estimates
    chart = page.locator(".js-plotly-plot").first
    expect(chart.locator("g.scatterlayer g.trace").nth(0).locator("path.point")).to_have_count(3)
    expect(chart.locator("g.scatterlayer g.trace").nth(1).locator("path.point")).to_have_count(3)
    expect(chart.locator("g.errorbar")).to_have_count(3)
    no_error(page)

    # an uploaded CSV is drawn beside the live curves
    csv_file = tmp_path / "gpu.csv"
    csv_file.write_text(timing_csv.to_csv(UPLOAD))
    page.locator("input[type=file]").set_input_files(str(csv_file))
    settle(page)
    chart = page.locator(".js-plotly-plot").first
    expect(chart.locator("g.legend")).to_contain_text("GPU: test data (uploaded)")
    expect(chart.locator("g.legend")).to_contain_text(", 1 thread")
    expect(page.get_by_role("checkbox", name="Show this session's measurement")).to_be_checked()
    no_error(page)

    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(5, 5)  # off the chart: no hover label
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stAppViewContainer'].map("
        "id => document.querySelector(`[data-testid=${id}]`)?.scrollHeight ?? 0), document.body.scrollHeight)")
    page.set_viewport_size({"width": 1400, "height": max(1000, min(int(height), 4_000))})
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "batch_timing.png"), full_page=True)
