"""A typed formula in a real browser: typing it draws its map and a path; a refused one is named."""

import pytest

from tests.browser_helpers import ARTIFACTS, TIMEOUT_MS, no_error, open_page, settle, the_map

pytestmark = pytest.mark.browser


def raster(chart):
    return chart.locator("g.imagelayer image").first.get_attribute("href")


def path_d(chart):
    return chart.locator("g.scatterlayer g.trace path.js-line").first.get_attribute("d")


def test_typing_a_formula_draws_its_map_and_a_path(page, app_server):
    from playwright.sync_api import expect

    open_page(page, f"{app_server}/playground?surface=formula&steps=1000")
    chart = the_map(page)
    expect(chart.locator("g.scatterlayer g.trace path.js-line").first).to_be_attached(timeout=TIMEOUT_MS)
    settle(page)
    before_map, before_path = raster(chart), path_d(chart)

    box = page.get_by_role("textbox", name="L(x, y) =")
    box.fill("x^2/2 + (y^2 - 1)^2/4 + sin(2*x)/5")
    box.press("Enter")
    settle(page)
    chart = the_map(page)
    expect(chart.locator("g.imagelayer image")).to_have_count(1)
    expect(chart.locator("g.imagelayer image").first).not_to_have_attribute("href", before_map)  # the new surface
    line = chart.locator("g.scatterlayer g.trace path.js-line").first
    expect(line).not_to_have_attribute("d", before_path)  # a path over it
    assert path_d(chart).count("L") > 10
    expect(page.get_by_test_id("stSidebar").locator(".katex").first).to_be_visible()  # how it was read
    no_error(page)
    assert "formula=x%5E2" in page.url or "formula=x^2" in page.url  # the link carries it
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "formula-playground.png"), full_page=False)

    box.fill("x^2 + sin(y")
    box.press("Enter")
    settle(page)
    error = page.get_by_test_id("stAlertContentError").first
    expect(error).to_contain_text("At character 10")
    expect(error).to_contain_text("never closed")
    assert page.get_by_test_id("stException").count() == 0


def test_formula_picker_at_phone_size(page, app_server):
    from playwright.sync_api import expect

    page.set_default_timeout(TIMEOUT_MS)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{app_server}/sweep?surface=formula&n_rates=4&steps=1000")
    expect(page.locator("h1").first).to_be_visible()
    settle(page)
    page.get_by_test_id("stExpandSidebarButton").click()  # a phone starts with the sidebar folded
    box = page.get_by_role("textbox", name="L(x, y) =")
    box.scroll_into_view_if_needed()
    expect(box).to_be_in_viewport()
    box_width = box.bounding_box()["width"]
    assert box_width > 200, box_width  # the box uses the sidebar's width, not a cramped column
    no_error(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "formula-sweep-phone.png"), full_page=False)
