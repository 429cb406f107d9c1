"""The Playground in a real browser: the map drawn by plotly.js from the arrays the server sends, a slider
moving the paths without resending the surface, Play moving the markers along the paths, clicks setting the
start before, during and after Play, and the scrubber driving the step inspector."""

import numpy as np
import pytest

import i18n

from tests.browser_helpers import ARTIFACTS, TIMEOUT_MS, no_error, nudge, open_page, settle, the_map

pytestmark = pytest.mark.browser

PATH = "g.scatterlayer g.trace path.js-line"


def open_playground(page, app_server, query="", title="Playground"):
    from playwright.sync_api import expect

    open_page(page, f"{app_server}/playground{query}")  # a deep link, as a shared link would be
    expect(page.locator("h1", has_text=title)).to_be_visible()
    chart = the_map(page)
    expect(chart.locator("g.imagelayer image")).to_have_count(1)
    expect(chart.locator(PATH).first).to_be_attached()
    settle(page)
    return chart


def path_d(chart, i=1):
    """The SVG path of trace i (trace 0 is run 1's dark casing, trace 1 its path)."""
    return chart.locator(PATH).nth(i).get_attribute("d")


def start_x(page) -> float:
    return float(page.get_by_role("spinbutton", name="start θ₁").input_value())


def click_sets_start(page, chart, fx: float, fy: float) -> float:
    """Click the map and wait for the start θ₁ it sets; returns it."""
    from playwright.sync_api import expect

    before = page.get_by_role("spinbutton", name="start θ₁").input_value()
    click_map(page, chart, fx, fy)
    expect(page.get_by_role("spinbutton", name="start θ₁")).not_to_have_value(before)
    settle(page)
    return start_x(page)


def click_map(page, chart, fx: float, fy: float):
    """Click at a share (fx, fy) of the map's window, from its top-left corner."""
    box = chart.locator("g.imagelayer image").bounding_box()
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])


def markers(page, ms: int) -> list:
    """Each animation frame for ``ms`` milliseconds: [step, [x, y] per run, [SVG x, y] of the marker drawn]."""
    return page.evaluate("""(ms) => new Promise(done => {
        const gd = document.querySelector('.dl-chart:has(g.imagelayer image)');
        const view = gd._descent, out = [], t0 = performance.now();
        function frame() {
            const a = view.anim, xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
            const drawn = a.runs.map(r => gd.calcdata[r.now][0].node3.node().querySelector('path.point')
                .getAttribute('transform').match(/translate\\(([^,]+),([^)]+)\\)/).slice(1).map(Number));
            const expected = a.positions.map(p => [xa.c2p(p[0]), ya.c2p(p[1])]);
            out.push([view.controls.step.textContent, a.positions, drawn, expected]);
            if (performance.now() - t0 < ms) requestAnimationFrame(frame); else done(out);
        }
        requestAnimationFrame(frame);
    })""", ms)


def kept_paths(page) -> list:
    """Each run's drawn path as the animation follows it: (steps, x, y)."""
    return page.evaluate("""() => {
        const gd = document.querySelector('.dl-chart:has(g.imagelayer image)');
        return gd._descent.anim.runs.map(r => [Array.from(r.steps), Array.from(r.x), Array.from(r.y)]);
    }""")


def distance_to_path(path: np.ndarray, point: np.ndarray) -> float:
    """The distance from ``point`` to the polyline through ``path`` (n, 2)."""
    a, b = path[:-1], path[1:]
    ab = b - a
    u = np.clip(np.einsum("ij,ij->i", point - a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-300), 0, 1)
    return float(np.hypot(*(a + u[:, None] * ab - point).T).min())


def test_a_slider_move_redraws_the_paths_without_resending_the_surface(page, app_server):
    from playwright.sync_api import expect

    frames, media = [], []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(payload)))
    page.on("request", lambda request: request.url.endswith(".png") and "/media/" in request.url
            and media.append(request.url))
    chart = open_playground(page, app_server)
    assert len(media) == 1  # the surface, fetched once by URL
    image = chart.locator("g.imagelayer image").get_attribute("href")
    before = path_d(chart)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "playground.png"), full_page=False)

    frames.clear()
    nudge(page, page.get_by_role("slider", name="η (lr)").first)  # run 1's learning rate, one stop down
    chart = the_map(page)
    expect(chart.locator(PATH).nth(1)).not_to_have_attribute("d", before)
    no_error(page)
    received = sum(len(f) for f in frames)
    assert media == media[:1] and chart.locator("g.imagelayer image").get_attribute("href") == image
    assert not any(b"\x89PNG" in (f if isinstance(f, bytes) else f.encode()) for f in frames)
    assert received < 60_000, f"{received} bytes for one move"  # run 1's arrays and the templates, not the figure


def test_play_moves_the_markers_along_the_drawn_paths_and_pause_holds_them(page, app_server):
    chart = open_playground(page, app_server)
    paths = kept_paths(page)
    page.locator(".dl-controls").first.get_by_role("button", name="▶ Play").click()
    seen = markers(page, 1500)
    page.locator(".dl-controls").first.get_by_role("button", name="❚❚ Pause").click()
    page.wait_for_timeout(100)
    held = markers(page, 500)  # Pause holds every marker where it is
    assert all(p == held[0][1:] for _, *p in held), held[:2]
    steps = [int(s.split("/")[0].replace("step", "").replace(",", "")) for s, *_ in seen]
    assert steps[-1] > steps[0] and all(b >= a for a, b in zip(steps, steps[1:]))
    moved = {tuple(np.round(np.ravel(p), 9)) for _, p, _, _ in seen}
    assert len(moved) > 10
    for _, positions, drawn, expected in seen:
        np.testing.assert_allclose(drawn, expected, atol=0.01)  # the marker on screen is at its position
        for (_, x, y), point in zip(paths, positions):
            assert distance_to_path(np.column_stack([x, y]), np.asarray(point)) < 1e-6, point


def test_a_click_sets_the_start_before_during_and_after_play(page, app_server):
    chart = open_playground(page, app_server)
    assert 1.1 < click_sets_start(page, chart, 0.8, 0.3) < 1.3  # 80 % across the window [-2, 2]

    chart = the_map(page)
    page.locator(".dl-controls").first.get_by_role("button", name="▶ Play").click()
    page.wait_for_timeout(300)
    assert -0.9 < click_sets_start(page, chart, 0.3, 0.7) < -0.7  # while playing
    chart = the_map(page)
    assert chart.evaluate("gd => gd._descent.anim.playing")  # the new paths play on

    page.locator(".dl-controls").first.get_by_role("button", name="❚❚ Pause").click()
    assert 0.3 < click_sets_start(page, chart, 0.6, 0.6) < 0.5  # after playing
    no_error(page)


def test_the_scrubber_drives_the_step_inspector(page, app_server):
    from playwright.sync_api import expect

    open_playground(page, app_server)
    page.get_by_text("Step inspector").click()
    settle(page)
    inspector_step = page.get_by_role("slider", name="Step t")
    expect(inspector_step).to_have_value("1")
    chart = the_map(page)
    wanted = chart.evaluate("""gd => {
        const scrub = gd.parentElement.querySelector('.dl-scrub');
        scrub.value = '700';
        scrub.dispatchEvent(new Event('input', {bubbles: true}));
        scrub.dispatchEvent(new Event('change', {bubbles: true}));
        return gd._descent.anim.timeline[700];
    }""")
    settle(page)
    assert wanted > 1
    expect(page.get_by_role("slider", name="Step t")).to_have_value(str(int(wanted)))
    no_error(page)


TITLES_OUTSIDE = """gd => {  // the subplot titles drawn past the chart's left or right edge: [text, left, right, width]
    const box = gd.getBoundingClientRect();
    return [...gd.querySelectorAll('g.annotation text')].map(t => [t.textContent, t.getBoundingClientRect()])
        .filter(([, r]) => r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1))
        .map(([text, r]) => [text, r.left - box.left, r.right - box.left, box.width]);
}"""


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_the_map_and_the_diagnostics_titles_fit_a_phone(page, app_server, lang):
    """At a phone's width the map fits the screen, and every title of the diagnostics' four panels lies inside
    the chart (their long titles ran past its right edge before they were fitted)."""
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{app_server}/playground?lang={lang}")
    chart = the_map(page)
    chart.locator(PATH).first.wait_for(state="attached", timeout=TIMEOUT_MS)
    settle(page)
    chart.scroll_into_view_if_needed()
    assert chart.bounding_box()["width"] <= 390
    diagnostics = page.locator(".dl-chart").filter(has=page.locator("g.annotation")).first
    expect(diagnostics.locator("g.annotation text")).to_have_count(4)
    diagnostics.scroll_into_view_if_needed()
    page.wait_for_timeout(500)  # the titles are fitted once the panels' places are known
    assert diagnostics.evaluate(TITLES_OUTSIDE) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"playground-phone-{lang}.png"))
    no_error(page)


def test_the_map_in_chinese_presentation_mode_and_the_dark_theme(page, app_server):
    """The map's controls speak the page's language; presentation mode thickens its paths; on the dark theme
    its tick labels are light."""
    from playwright.sync_api import expect

    def drawn(query, title):
        chart = open_playground(page, app_server, query, title)
        width = float(chart.locator(PATH).nth(1).evaluate("p => parseFloat(getComputedStyle(p).strokeWidth)"))
        tick = chart.locator("g.xtick text").first.evaluate("t => getComputedStyle(t).fill")
        return chart, width, tick

    _, plain_width, light_tick = drawn("?steps=1000", "Playground")
    page.emulate_media(color_scheme="dark")  # Streamlit follows the system's theme by default
    chart, width, dark_tick = drawn("?steps=1000&lang=zh-TW&present=1", i18n.text("playground.title", "zh-TW"))
    expect(chart.locator("xpath=..").locator(".dl-controls").get_by_role("button", name="▶ 播放")).to_be_visible()
    expect(chart.locator("xpath=..").locator(".dl-controls")).to_contain_text("步")
    assert width > 1.5 * plain_width, (width, plain_width)

    def brightness(rgb: str) -> float:
        return sum(float(v) for v in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]) / 3

    assert brightness(dark_tick) > 200 > 100 > brightness(light_tick), (dark_tick, light_tick)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "playground-zh-present-dark.png"))
    no_error(page)
