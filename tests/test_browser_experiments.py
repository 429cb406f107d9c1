"""The Basins and Schedules pages in a real browser: charts drawn, hover and click work, a setting changes them."""
import re
from urllib.parse import parse_qs, urlparse

import pytest

import optimizers

from tests.browser_helpers import ARTIFACTS, no_error, nudge, open_page, settle

pytestmark = pytest.mark.browser


def test_basins_page(page, app_server):
    from playwright.sync_api import expect

    open_page(page, f"{app_server}/basins", height=1900)
    expect(page.locator("h1", has_text="Basins of attraction")).to_be_visible()
    maps = page.locator(".js-plotly-plot", has=page.locator("g.heatmaplayer image"))
    expect(maps).to_have_count(2)  # GD and momentum, each drawn as a heatmap image
    paths = page.locator(".js-plotly-plot", has=page.locator("g.imagelayer image"))
    expect(paths).to_have_count(1)  # the surface map with both paths from one start
    expect(paths.locator("g.scatterlayer g.trace path.js-line")).to_have_count(4)  # each path over its casing
    settle(page)
    no_error(page)

    # hover a cell of the left map: its start, end and final loss. At θ₁ ≈ −4 GD stops in the nearest dip
    # (−2.75, 0) while the heavy ball rolls on to (−1.39, 0): the paths below show both.
    left = maps.nth(0)
    box = left.locator("rect.nsewdrag").first.bounding_box()
    x, y = box["x"] + 0.1 * box["width"], box["y"] + 0.3 * box["height"]
    page.mouse.move(x, y)
    hover = left.locator("g.hoverlayer")
    expect(hover).to_contain_text("start (")
    expect(hover).to_contain_text("end (")
    expect(hover).to_contain_text("L = ")
    expect(hover).to_contain_text("minimum 4 (-2.75, 0)")
    started = hover.text_content().split("start (")[1].split(")")[0]

    # click it: both paths now start there
    before_path = paths.locator("g.scatterlayer g.trace path.js-line").first.get_attribute("d")
    page.mouse.click(x, y)
    settle(page)
    expect(page.get_by_text("from the chosen start")).to_be_visible()
    expect(paths.locator("g.scatterlayer g.trace path.js-line").first).not_to_have_attribute("d", before_path)
    caption = page.get_by_text("from the chosen start").text_content()
    sx, sy = (float(v) for v in started.split(","))
    cx, cy = (float(v) for v in caption.split("start (")[1].split(")")[0].split(","))
    assert abs(sx - cx) < 1e-3 * max(1, abs(sx)) and abs(sy - cy) < 1e-3 * max(1, abs(sy)), (started, caption)
    ended = page.get_by_test_id("stDataFrame")
    expect(ended).to_be_visible()
    link = parse_qs(urlparse(page.url).query)  # the clicked start is in the link
    assert float(link["basin_x_bumpy_valley"][0]) == pytest.approx(cx, rel=1e-3)
    assert float(link["basin_y_bumpy_valley"][0]) == pytest.approx(cy, rel=1e-3, abs=1e-3)

    # change one setting: the learning rate one stop up changes where momentum's starts end
    right_image = maps.nth(1).locator("g.heatmaplayer image").first
    before = right_image.get_attribute("href")
    slider = page.get_by_role("slider", name="η (lr)").first
    nudge(page, slider, "ArrowRight")
    expect(page.get_by_text("momentum λ=0.9 η=0.02")).to_be_visible()
    expect(maps.nth(1).locator("g.heatmaplayer image").first).not_to_have_attribute("href", before)
    no_error(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "basins.png"), full_page=False)


def test_schedules_page(page, app_server):
    from playwright.sync_api import expect

    open_page(page, f"{app_server}/schedules", height=2400)
    expect(page.locator("h1", has_text="Learning-rate schedules")).to_be_visible()
    kinds = optimizers.schedule_names()
    charts = page.locator(".js-plotly-plot")
    expect(charts).to_have_count(len(kinds) + 1 + 2)  # one per kind, ResNet's warm-up zoom, two demo maps
    for k in range(len(kinds) + 1):
        expect(charts.nth(k).locator("g.scatterlayer path.js-line")).to_have_count(1)
    demos = page.locator(".js-plotly-plot", has=page.locator("g.imagelayer image"))
    expect(demos).to_have_count(2)
    for k in range(2):
        expect(demos.nth(k).locator("g.scatterlayer g.trace path.js-line")).to_have_count(4)  # paths over casings
    settle(page)
    no_error(page)

    # change one setting: the step schedule's step_size one stop up moves its drops (γ would not move the
    # line: on the log axis every γ draws the same staircase, only the tick labels change)
    heading = page.locator("h4", has_text=re.compile(r"^Step decay"))  # not "Multi-step decay"
    expect(heading).to_have_count(1)
    card = page.get_by_test_id("stVerticalBlock").filter(has=heading).last  # the innermost block: the card
    line = card.locator(".js-plotly-plot g.scatterlayer path.js-line").first
    before = line.get_attribute("d")
    step_size = card.get_by_role("slider", name="step_size")
    nudge(page, step_size, "ArrowRight")
    expect(card.locator(".js-plotly-plot g.scatterlayer path.js-line").first).not_to_have_attribute("d", before)
    expect(card.get_by_test_id("stSliderThumbValue").filter(has_text="310")).to_have_count(1)
    no_error(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "schedules.png"), full_page=False)
