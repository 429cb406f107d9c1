"""The learning-rate sweep in a real browser: chart and map drawn, a setting redraws, a click adds a path;
a link keeps the view and the language."""
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser_helpers import ARTIFACTS, nudge, open_page, settle, the_map

pytestmark = pytest.mark.browser


def sweep_chart(page):
    return page.locator(".js-plotly-plot", has_text="final loss above the lowest minimum").first


def curve_d(chart):
    return chart.locator("g.scatterlayer g.trace path.js-line").first.get_attribute("d")


def test_sweep_main_path(page, app_server):
    from playwright.sync_api import expect

    open_page(page, f"{app_server}/sweep")
    expect(page.locator("h1", has_text="Learning-rate sweep")).to_be_visible()
    chart = sweep_chart(page)
    expect(chart).to_be_visible()
    expect(chart.locator("g.scatterlayer g.trace path.point").first).to_be_attached()
    game_map = the_map(page)
    expect(game_map.locator("g.imagelayer image")).to_have_count(1)
    # GD 1e-2, GD 1e-7, Adagrad: each path over its dark casing
    expect(game_map.locator("g.scatterlayer g.trace path.js-line")).to_have_count(6)
    settle(page)
    assert page.get_by_test_id("stException").count() == 0
    before = curve_d(chart)

    # fewer steps: every run changes, and so does the curve
    slider = page.get_by_role("slider", name="Steps per run")
    nudge(page, slider)
    chart = sweep_chart(page)
    expect(chart.locator("g.scatterlayer g.trace path.js-line").first).not_to_have_attribute("d", before)
    assert page.get_by_test_id("stException").count() == 0

    # a click on a point of the sweep chart adds that run to the map (GD's largest rate, 1: beyond 2/c = 0.2,
    # the straight walls' far curvature, it flies off)
    chart.scroll_into_view_if_needed()
    point = chart.locator("g.scatterlayer g.trace").first.locator("path.point").last
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    settle(page)
    game_map = the_map(page)
    expect(game_map.locator("g.scatterlayer g.trace path.js-line")).to_have_count(8)  # 4 paths, each on a casing
    expect(page.get_by_text("GD · η = 1 · diverged")).to_be_visible()
    assert page.get_by_test_id("stException").count() == 0

    # The page scrolls inside Streamlit's main container, not the document: a tall viewport shows it all.
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(5, 5)  # off the chart: no modebar, no hover label
    page.set_viewport_size({"width": 1400, "height": 2700})
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "sweep.png"), full_page=True)


def test_sweep_link_and_chinese(page, app_server):
    """A changed setting is written into the address bar; that link, opened in Chinese, shows the same view."""
    from playwright.sync_api import expect

    open_page(page, f"{app_server}/sweep?steps=1000&n_rates=9")
    expect(sweep_chart(page)).to_be_visible()
    settle(page)
    slider = page.get_by_role("slider", name="Number of rates (n_rates)")
    slider.focus()
    slider.press("ArrowLeft")
    page.wait_for_function("() => new URLSearchParams(location.search).get('n_rates') === '8'")
    settle(page)
    link = parse_qs(urlparse(page.url).query)
    assert link["n_rates"] == ["8"] and link["steps"] == ["1000"]

    page.goto(page.url + "&lang=zh-TW")
    expect(page.locator("h1", has_text="學習率掃描")).to_be_visible()
    chart = page.locator(".js-plotly-plot", has_text="最終 loss 比最低的最小值高出多少").first
    expect(chart).to_be_visible()
    expect(chart.locator("g.scatterlayer g.trace").first.locator("path.point")).to_have_count(8)
    expect(page.get_by_role("slider", name="學習率個數（n_rates）")).to_have_attribute("aria-valuetext", "8")
    settle(page)
    assert page.get_by_test_id("stException").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(5, 5)
    page.screenshot(path=str(ARTIFACTS / "sweep-zh-TW.png"), full_page=False)
