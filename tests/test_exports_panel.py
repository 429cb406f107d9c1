"""The export panel in a tiny app: download buttons, rendering under a progress bar, no re-render on rerun."""
from __future__ import annotations

import io

from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import ok


def _app():
    from figures.map import path_map
    from lab.playground import View, run_view
    from ui.exports import export_panel

    view = View(steps=200)
    surface = view.build_surface()
    runs = run_view(view)
    export_panel(surface, runs, {"Map": path_map(surface, runs)}, key="exp")


def _labels(at) -> list[str]:
    return [button.proto.label for button in at.get("download_button")]


def _start():
    at = AppTest.from_function(_app, default_timeout=60)
    at.run()
    return ok(at)


def test_panel_offers_csv_and_html_and_no_animation_yet():
    at = _start()
    assert _labels(at) == ["Trajectories (CSV)", "Map (HTML)"]
    assert [b.label for b in at.button] == ["Render GIF"]
    assert "exp_rendered" not in at.session_state


def test_rendering_a_gif_offers_it_and_a_rerun_keeps_it():
    at = _start()
    at.number_input(key="exp_frames").set_value(3)
    at.number_input(key="exp_fps").set_value(5)
    at.button(key="exp_render").click().run()
    ok(at)
    labels = _labels(at)
    assert len(labels) == 3 and labels[2].startswith("Download GIF")
    done = at.session_state["exp_rendered"]
    gif = Image.open(io.BytesIO(done["data"]))
    assert gif.n_frames == 3 and gif.size == (640, 480)
    at.run()  # an ordinary rerun (another widget moved): the same file, not rendered again
    ok(at)
    assert at.session_state["exp_rendered"] is not None
    assert at.session_state["exp_rendered"]["data"] is done["data"]
    assert _labels(at)[2].startswith("Download GIF")


def test_changing_the_settings_hides_the_old_file_until_rendered_again():
    at = _start()
    at.number_input(key="exp_frames").set_value(2)
    at.button(key="exp_render").click().run()
    assert len(_labels(at)) == 3
    at.radio(key="exp_fmt").set_value("mp4").run()
    ok(at)
    assert len(_labels(at)) == 2  # the GIF no longer matches the settings
    at.button(key="exp_render").click().run()
    ok(at)
    assert _labels(at)[2].startswith("Download MP4")
    assert at.session_state["exp_rendered"]["data"][4:8] == b"ftyp"
