"""The Playground's map as a student's browser sees it: first visit, slider to picture, Play, bytes.

    python benchmarks/browser_map.py                           # about a minute
    python benchmarks/browser_map.py --peer /path/to/checkout  # the same, also for another checkout

Starts a fresh app process and Debian's headless Chromium on this machine (playwright), opens the
Playground as a new student would and measures:

- first visit (a new browser, the server already running and its once-only background warm-up over): from navigation to the map drawn with
  its paths (the page usable), and the bytes
  the browser transferred for plotly.js on that visit and on a second one in the same browser
  (0 when it came from the browser's cache);
- slider to picture: from the key press on Run 1's learning-rate slider (ArrowLeft, one stop down
  each time: a new simulation) to the moment the map's path for Run 1 changes (its SVG path, read
  every animation frame), and the bytes the browser received for the move (websocket frames and
  the media it fetched, as transferred: compressed where the server compressed them);
- Play: distinct positions per second of each run's "now" marker as drawn on screen (its SVG
  transform, sampled every animation frame for 3 s).

Prints medians; with ``--peer``, the same for the peer and the ratios.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import load_line  # noqa: E402
from lab.surface_choice import WARM_UP_AFTER_S  # noqa: E402
from serving.capacity import open_playground, served, wait_quiet  # noqa: E402
from serving.loadtest import run_coroutine  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
MAP = ".js-plotly-plot:has(g.imagelayer image)"
RUN1 = """() => {  // Run 1's path as drawn: [its data, its SVG path] (a casing, if any, is named "casing")
    const gd = document.querySelector('%s');
    const k = gd.data.findIndex(t => t.mode === 'lines' && String(t.name).startsWith('Run 1'));
    return [gd.data[k].x, gd.calcdata[k][0].node3.node().querySelector('path.js-line').getAttribute('d')];
}""" % MAP

WATCH = """(finder) => { window.__descentWatch = new Promise(resolve => {
    // time from the next key press to the first frame that shows Run 1's new path: new data drawn (a rate so
    // small that the path looks the same is still a new picture) or a new SVG path; -1 after 30 s without one
    let pressed = null;
    document.addEventListener('keydown', () => { pressed = performance.now(); }, {capture: true, once: true});
    const find = eval(finder);
    const [x0, d0] = find();
    const t0 = performance.now();
    function poll() {
        let now = null;
        try { now = find(); } catch (e) {}
        if (pressed !== null && now !== null && (now[0] !== x0 || now[1] !== d0)) resolve(performance.now() - pressed);
        else if (performance.now() - t0 > 30000) resolve(-1);
        else requestAnimationFrame(poll);
    }
    requestAnimationFrame(poll);
}); }"""

MARKERS = """(ms) => new Promise(done => {
    const gd = document.querySelector('%s');
    const now = gd.data.map((t, i) => String(t.name).endsWith(' · now') ? i : -1).filter(i => i >= 0);
    const seen = now.map(() => new Set());
    const t0 = performance.now();
    function frame() {
        now.forEach((i, k) => {
            const point = gd.calcdata[i][0].node3.node().querySelector('path.point');
            if (point) seen[k].add(point.getAttribute('transform'));
        });
        if (performance.now() - t0 < ms) requestAnimationFrame(frame);
        else done(seen.map(s => s.size));
    }
    requestAnimationFrame(frame);
})""" % MAP


PLOTLY_TRANSFERS = """() => performance.getEntriesByType('resource')
    .filter(e => /plotly[^/]*\\.js/.test(e.name)).map(e => e.transferSize)"""


def first_visit(browser, url: str) -> tuple[float, int, int]:
    """(seconds from navigation to the map drawn; bytes transferred for plotly.js on the first visit and on a
    second visit in the same browser: 0 when it came from the browser's cache)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f"{url}/playground")
    page.locator(f"{MAP} g.scatterlayer path.js-line").first.wait_for(state="attached", timeout=120_000)
    seconds = time.perf_counter() - started
    first = sum(page.evaluate(PLOTLY_TRANSFERS))
    page.wait_for_timeout(1000)
    second = context.new_page()
    second.goto(f"{url}/playground")
    second.locator(f"{MAP} g.scatterlayer path.js-line").first.wait_for(state="attached", timeout=120_000)
    again = sum(second.evaluate(PLOTLY_TRANSFERS))
    context.close()
    return seconds, first, again


MEDIA_BYTES = """() => {  // bytes of the media fetched since the last call (the charts' arrays)
    const entries = performance.getEntriesByType('resource').filter(e => e.name.includes('/media/'));
    const fresh = entries.slice(window.__descentMediaSeen || 0);
    window.__descentMediaSeen = entries.length;
    return fresh.reduce((n, e) => n + e.transferSize, 0);
}"""


def moves(browser, url: str, count: int) -> tuple[list[float], list[int]]:
    """Milliseconds from key press to Run 1's new path, and bytes received, for ``count`` moves."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    received = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: received.append(len(payload))))
    page.goto(f"{url}/playground")
    page.locator(f"{MAP} g.scatterlayer path.js-line").first.wait_for(state="attached", timeout=120_000)
    page.wait_for_timeout(2000)
    page.evaluate(MEDIA_BYTES)  # what the first visit fetched
    slider = page.get_by_role("slider", name="η (lr)").first
    latencies, sizes = [], []
    for k in range(count):
        slider.focus()
        received.clear()
        page.evaluate(WATCH, RUN1)  # armed: it resolves on the path's change after the next key press
        slider.press("ArrowLeft")  # always a rate this page has not shown yet: every move computes
        latency = float(page.evaluate("() => window.__descentWatch"))
        if latency < 0:
            raise RuntimeError(f"move {k + 1}: Run 1's path did not change within 30 s of the key press")
        latencies.append(latency)
        page.wait_for_timeout(800)  # the rest of the rerun's messages, and the arrays fetched
        sizes.append(sum(received) + page.evaluate(MEDIA_BYTES))
    context.close()
    return latencies, sizes


def play(browser, url: str, legacy: bool) -> list[float]:
    """Distinct marker positions per second, per run, over 3 s of Play."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(f"{url}/playground")
    page.locator(f"{MAP} g.scatterlayer path.js-line").first.wait_for(state="attached", timeout=120_000)
    page.wait_for_timeout(2000)
    chart = page.locator(MAP).first
    chart.scroll_into_view_if_needed()
    if legacy:
        chart.get_by_text("▶ Play").click()  # Plotly's own Play menu (SVG)
    else:
        page.get_by_role("button", name="▶ Play").first.click()
    counts = page.evaluate(MARKERS, 3000)
    context.close()
    return [c / 3.0 for c in counts]


def measure(root: Path, count: int, legacy: bool) -> dict:
    from playwright.sync_api import sync_playwright

    with served(1, root) as (url, pids, _), sync_playwright() as p:
        run_coroutine(open_playground(url))  # the process's own first run (imports, the engine): start-up, not a visit
        wait_quiet(pids, time.monotonic(), WARM_UP_AFTER_S + 1.0)  # and the once-only warm-up that run started
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            visit, first, again = first_visit(browser, url)
            latencies, sizes = moves(browser, url, count)
            rates = play(browser, url, legacy)
        finally:
            browser.close()
    return {"visit": visit, "plotly_first": first, "plotly_again": again, "latency": statistics.median(latencies),
            "latency_max": max(latencies), "bytes": statistics.median(sizes), "play": min(rates)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moves", type=int, default=12)
    ap.add_argument("--peer", default=None, help="another checkout (e.g. the main branch before a change)")
    ap.add_argument("--peer-legacy", action="store_true",
                    help="the peer draws the map with st.plotly_chart (its Play button is Plotly's own)")
    args = ap.parse_args()
    print(f"before, {load_line()} on {os.cpu_count()} cores")
    results = {"this checkout": measure(ROOT, args.moves, legacy=False)}
    if args.peer:
        results["peer"] = measure(Path(args.peer), args.moves, legacy=args.peer_legacy)
    print("| checkout | first visit to the map drawn s | plotly.js bytes: first visit, second visit | key press to new "
          "paths median ms | max ms | bytes per move median kB | Play: marker positions per second (slowest run) |")
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['visit']:.2f} | {r['plotly_first'] / 1e6:.1f} MB, {r['plotly_again'] / 1e3:.0f} kB | "
              f"{r['latency']:.0f} | {r['latency_max']:.0f} | "
              f"{r['bytes'] / 1e3:.1f} | {r['play']:.0f} |")
    if "peer" in results:
        mine, peer = results["this checkout"], results["peer"]
        print(f"\nthis checkout / peer: key press to new paths {mine['latency'] / peer['latency']:.2f}, bytes per move "
              f"{mine['bytes'] / peer['bytes']:.3f}, Play positions {mine['play'] / max(peer['play'], 1e-9):.1f}×")
    print(f"after, {load_line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
