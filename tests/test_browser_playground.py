"""The Playground in a real browser: paths drawn, a slider moves them, Play animates over a visible surface."""

import pytest

from tests.browser_helpers import ARTIFACTS, TIMEOUT_MS, nudge, settle, the_map

pytestmark = pytest.mark.browser


def path_d(chart, i=0):
    return chart.locator("g.scatterlayer g.trace path.js-line").nth(i).get_attribute("d")


def now_marker(chart, run: str = "Run 1") -> str:
    """Where the map draws ``run``'s moving marker (its SVG transform)."""
    return chart.evaluate("""(gd, run) => {
        const i = gd.data.findIndex(t => (t.name || "").startsWith(run) && (t.name || "").endsWith(" · now"));
        return gd.calcdata[i][0].node3.node().querySelector(".point").getAttribute("transform"); }""", run)


def test_playground_main_path(page, app_server):
    from playwright.sync_api import expect

    page.set_default_timeout(TIMEOUT_MS)
    page.set_viewport_size({"width": 1400, "height": 1000})
    expect.set_options(timeout=TIMEOUT_MS)
    page.goto(f"{app_server}/playground")  # a deep link, as a shared link would be
    expect(page.locator("h1", has_text="Playground")).to_be_visible()
    chart = the_map(page)
    expect(chart).to_be_visible()
    expect(chart.locator("g.imagelayer image")).to_have_count(1)
    expect(chart.locator("g.scatterlayer g.trace path.js-line").first).to_be_attached()
    settle(page)
    before = path_d(chart)
    ARTIFACTS.mkdir(exist_ok=True)

    # move run 1's learning rate one stop down with the keyboard
    slider = page.get_by_role("slider", name="η (lr)").first
    nudge(page, slider)
    chart = the_map(page)
    expect(chart.locator("g.scatterlayer g.trace path.js-line").first).not_to_have_attribute("d", before)
    assert page.get_by_test_id("stException").count() == 0

    # play: Run 1's moving marker goes on changing place while it plays, stops on Pause; the surface stays
    chart.scroll_into_view_if_needed()
    start = now_marker(chart)
    chart.get_by_text("▶ Play").click()
    playing = []
    for _ in range(6):
        page.wait_for_timeout(250)
        playing.append(now_marker(chart))
    expect(chart.locator("g.imagelayer image")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "playground.png"), full_page=False)
    chart.get_by_text("❚❚ Pause").click()
    page.wait_for_timeout(300)
    paused = now_marker(chart)
    page.wait_for_timeout(500)
    assert playing[0] != start and len(set(playing)) >= 3, (start, playing)
    assert now_marker(chart) == paused  # Pause holds it
    label_text = chart.locator("g.slider-container .slider-label").first.text_content()
    assert label_text.strip() not in ("", "step 0", "0"), label_text

    # after playing, a click on the map still sets the start point
    start_x = page.get_by_role("spinbutton", name="start θ₁")
    before_x = start_x.input_value()
    box = chart.locator("g.imagelayer image").bounding_box()
    page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + 0.3 * box["height"])
    settle(page)
    expect(page.get_by_role("spinbutton", name="start θ₁")).not_to_have_value(before_x)
    assert float(page.get_by_role("spinbutton", name="start θ₁").input_value()) > 0.5  # 80% across the window [-2, 2]
