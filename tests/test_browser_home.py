"""The home page in a real browser: the title, every thumbnail shown, no exception, a screenshot."""
from pathlib import Path

import pytest

import surfaces

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 30_000


def test_home_page_draws_every_surface(page, app_server):
    from playwright.sync_api import expect

    page.set_default_timeout(TIMEOUT_MS)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(app_server)

    expect(page.locator("h1", has_text="Descent Lab")).to_be_visible(timeout=TIMEOUT_MS)
    thumbnails = page.get_by_test_id("stImage").locator("img")
    expect(thumbnails).to_have_count(len(surfaces.names()), timeout=TIMEOUT_MS)
    for i, name in enumerate(surfaces.names()):
        thumbnail = thumbnails.nth(i)
        thumbnail.scroll_into_view_if_needed()
        expect(thumbnail).to_have_attribute("alt", surfaces.get(name).title)
        # loaded and drawn: the browser decoded the PNG at its size
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert page.locator(".js-plotly-plot").count() == 0  # no chart on Home
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT_MS)

    expect(page.get_by_test_id("stException")).to_have_count(0)

    # Streamlit scrolls inside its main container, not the document, so a full-page screenshot
    # would show one viewport: grow the viewport to the content's height first.
    height = page.evaluate(
        "() => Math.max(...['stMain', 'stAppViewContainer'].map("
        "id => document.querySelector(`[data-testid=${id}]`)?.scrollHeight ?? 0), document.body.scrollHeight)"
    )
    page.set_viewport_size({"width": 1400, "height": max(900, min(int(height), 10_000))})
    page.wait_for_timeout(500)  # let the page lay out again after the resize
    expect(page.get_by_test_id("stException")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)


def test_home_page_in_chinese(page, app_server):
    """The language switch in the sidebar turns the page Chinese and keeps the choice in the link."""
    from playwright.sync_api import expect

    page.set_default_timeout(TIMEOUT_MS)
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(app_server)
    expect(page.locator("h2", has_text="The surfaces")).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_text("繁體中文").click()
    expect(page.locator("h2", has_text="誤差曲面")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.get_by_text("狹長的碗")).to_be_visible()
    assert "lang=zh-TW" in page.url
    expect(page.get_by_test_id("stImage").locator("img")).to_have_count(len(surfaces.names()), timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stImage").locator("img").first).to_have_attribute("alt", "狹長的碗")
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-zh-TW.png"), full_page=False)
