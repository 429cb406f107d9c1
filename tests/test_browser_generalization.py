"""The generalization page in a real browser: the digits charts and the flat/sharp picture drawn, a
setting of the picture redraws it, and no error anywhere."""
import pytest

from tests.browser_helpers import ARTIFACTS, no_error, nudge, open_page, settle

pytestmark = pytest.mark.browser

# Few epochs, a small network and a high target loss keep the training to a few seconds.
LINK = "/generalization?gen_epochs=4&gen_hidden=16&gen_target=0.5&gen_toy_runs=200&gen_toy_steps=200"



def test_generalization_main_path(page, app_server):
    from playwright.sync_api import expect

    open_page(page, f"{app_server}{LINK}")
    expect(page.locator("h1", has_text="Generalization: small and large batches")).to_be_visible()
    charts = page.locator(".js-plotly-plot")
    expect(charts).to_have_count(7)
    settle(page)
    no_error(page)
    expect(page.get_by_test_id("stAlertContainer")).to_have_count(0)  # every link setting was used

    accuracy = page.locator(".js-plotly-plot", has_text="Accuracy against batch size")
    expect(accuracy.locator("g.scatterlayer g.trace").first.locator("path.point")).to_have_count(5)
    expect(accuracy.locator("g.xtick text").last).to_contain_text("(full)")
    sharpness = page.locator(".js-plotly-plot", has_text="Sharpness of the minima reached")
    expect(sharpness.locator("g.scatterlayer g.trace path.point").first).to_be_attached()
    expect(page.get_by_test_id("stDataFrame")).to_have_count(2)
    # the second comparison: every batch size trained to training loss ≤ 0.5
    equal = page.locator(".js-plotly-plot", has_text="Accuracy at equal training loss")
    expect(equal.locator("g.scatterlayer g.trace").first.locator("path.point")).to_have_count(5)
    expect(page.get_by_text("Every batch size reached a training loss of at most 0.5")).to_be_visible()

    # the flat/sharp picture: batch 4 ends in the flat minimum; a larger small batch redraws it
    toy = page.locator(".js-plotly-plot", has_text="Where the runs ended")
    expect(toy.locator("g.legend")).to_contain_text("B = 4:")
    expect(toy.locator("g.barlayer path").first).to_be_attached()
    slider = page.get_by_role("slider", name="Small batch")
    nudge(page, slider, "ArrowRight")  # 4 → 8
    toy = page.locator(".js-plotly-plot", has_text="Where the runs ended")
    expect(toy.locator("g.legend")).to_contain_text("B = 8:")
    expect(page.get_by_text("Batch size 8", exact=False).first).to_be_visible()
    assert "gen_toy_small=8" in page.url
    no_error(page)

    # The page scrolls inside Streamlit's main container, not the document: a tall viewport shows it all.
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(5, 5)  # off the charts: no modebar, no hover label
    page.set_viewport_size({"width": 1400, "height": 3600})
    page.locator("h1").first.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / "generalization.png"), full_page=True)
