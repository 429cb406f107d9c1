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
