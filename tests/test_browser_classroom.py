"""Classroom features in a real browser: a shared link, the language switch, the tour, presentation mode."""
from urllib.parse import parse_qs, urlparse

import pytest

import i18n
from tests.browser_helpers import ARTIFACTS, open_page, settle, the_map

pytestmark = pytest.mark.browser


def query(page) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def open_settled(page, url):
    open_page(page, url)
    settle(page)


def test_a_shared_link_opens_the_same_view_and_the_language_switches(page, app_server):
    from playwright.sync_api import expect

    zh = i18n.catalog("zh-TW")
    open_settled(page, f"{app_server}/playground?lang=zh-TW&steps=1000&run0_optimizer=adam&run0_adam_lr=0.1")
    expect(page.locator("h1", has_text=zh["playground.title"])).to_be_visible()
    expect(page.get_by_text(zh["optimizer.adam.description"])).to_be_visible()
    expect(the_map(page)).to_be_visible()
    assert query(page)["run0_adam_lr"] == "0.1" and query(page)["lang"] == "zh-TW"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "shared-link-zh.png"))

    page.get_by_test_id("stSidebar").get_by_text("English", exact=True).click()
    page.wait_for_url(lambda url: "lang=" not in url)
    settle(page)
    expect(page.locator("h1", has_text="Playground")).to_be_visible()
    expect(page.get_by_text(i18n.text("optimizer.adam.description"))).to_be_visible()
    assert "lang" not in query(page)
    assert query(page)["run0_optimizer"] == "adam" and query(page)["steps"] == "1000"  # the view is kept
    assert page.get_by_test_id("stException").count() == 0


def test_the_tour_opens_a_scene_in_the_playground(page, app_server):
    from playwright.sync_api import expect

    open_settled(page, f"{app_server}/tour")
    expect(page.locator("h1", has_text=i18n.text("tour.title"))).to_be_visible()
    page.get_by_role("button", name=i18n.text("tour.next")).click()
    page.wait_for_url("**scene=1**")
    page.screenshot(path=str(ARTIFACTS / "tour.png"))
    page.get_by_role("button", name=i18n.text("tour.open", page=i18n.text("nav.playground"))).click()
    page.wait_for_url("**/playground?**")
    settle(page)
    expect(page.locator("h1", has_text="Playground")).to_be_visible()
    assert query(page)["steps"] == "100000" and query(page)["n_runs"] == "1"
    assert page.get_by_test_id("stException").count() == 0


def test_presentation_mode_folds_the_sidebar_and_enlarges_text(page, app_server):
    open_settled(page, f"{app_server}/playground?present=1&steps=1000")
    page.wait_for_function("getComputedStyle(document.documentElement).fontSize === '20px'")
    assert page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "true"
    open_settled(page, f"{app_server}/playground?steps=1000")  # and without it, the usual page
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "16px"
    assert page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "false"
    open_settled(page, f"{app_server}/playground?present=1&steps=1000")
    page.wait_for_function("getComputedStyle(document.documentElement).fontSize === '20px'")
    page.screenshot(path=str(ARTIFACTS / "presentation.png"))
