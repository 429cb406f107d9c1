"""Shared steps of the browser tests."""
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TIMEOUT_MS = 60_000


def settle(page):
    """Wait until Streamlit has finished the rerun a change started."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT_MS)


def the_map(page):
    """The first map chart: the one that carries the surface raster."""
    return page.locator(".js-plotly-plot", has=page.locator("g.imagelayer image")).first


def open_page(page, url, height: int = 1000):
    """Go to ``url`` in a 1400-pixel-wide window, with the tests' timeouts on every wait."""
    from playwright.sync_api import expect

    page.set_default_timeout(TIMEOUT_MS)
    page.set_viewport_size({"width": 1400, "height": height})
    expect.set_options(timeout=TIMEOUT_MS)
    page.goto(url)


def nudge(page, slider, key: str = "ArrowLeft"):
    """Move ``slider`` (a locator) one stop with the keyboard and wait for the rerun it starts."""
    slider.focus()
    slider.press(key)
    settle(page)


def no_error(page):
    """No exception box and no error message anywhere on the page."""
    assert page.get_by_test_id("stException").count() == 0
    assert page.get_by_test_id("stAlertContentError").count() == 0
