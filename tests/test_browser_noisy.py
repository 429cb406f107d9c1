"""The Noisy gradients page in a real browser: surfaces drawn, the batch animation plays, a preset redraws."""
import pytest

from tests.browser_helpers import ARTIFACTS, no_error, open_page, settle

pytestmark = pytest.mark.browser



def outline(contour):
    """Every band and line of a drawn contour, as one string."""
    return contour.evaluate("g => [...g.querySelectorAll('path')].map(p => p.getAttribute('d')).join('|')")


def test_noisy_gradients_main_path(page, app_server):
    from playwright.sync_api import expect

    open_page(page, f"{app_server}/noisy_gradients")
    expect(page.locator("h1", has_text="Noisy gradients")).to_be_visible()
    charts = page.locator(".js-plotly-plot")
    expect(charts).to_have_count(4)
    settle(page)
    no_error(page)

    # The batch surfaces: two filled contour panels, the right one titled by the batch it shows.
    batches = charts.nth(0)
    expect(batches.locator("g.contourlayer g.contour")).to_have_count(2)
    title = batches.locator("g.annotation-text-g", has_text="of 16")
    expect(title).to_contain_text("Batch 1 of 16")
    right = batches.locator("g.contourlayer g.contour").nth(1)
    before = outline(right)

    # Play: the frames step through the epoch's batches, each with its own surface.
    batches.locator("g.updatemenu-button").first.click()
    expect(title).not_to_contain_text("Batch 1 of 16", timeout=10_000)
    batches.locator("g.updatemenu-button").nth(1).click()  # pause
    page.wait_for_timeout(500)
    assert outline(right) != before
    expect(page.get_by_text("Full-batch gradient descent is stuck")).to_be_visible()
    no_error(page)

    # The page scrolls inside Streamlit's main container, not the document: a tall viewport shows it all.
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(5, 5)  # off the charts: no modebar, no hover label
    page.set_viewport_size({"width": 1400, "height": 3000})
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / "noisy_gradients.png"), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})

    # Another preset: every run starts elsewhere and full-batch gradient descent is no longer stuck.
    paths = charts.nth(1)
    line = paths.locator("g.scatterlayer g.trace path.js-line").first
    old = line.get_attribute("d")
    page.get_by_text("Ordinary start").click()
    settle(page)
    expect(line).not_to_have_attribute("d", old)
    expect(page.get_by_text("Full-batch gradient descent is stuck")).to_have_count(0)
    no_error(page)
