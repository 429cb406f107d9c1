"""Playground links: a set-up survives set-up → query string → a new session; bad links get a note."""
from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

import i18n
import numpy as np

from tests.apptest_helpers import chart, decode, link_note, ok, open_link

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "playground.py")
RAW_KEY = re.compile(r"^[a-z_]+(\.[a-z_0-9]+)+$")


def session(query: dict | None = None) -> AppTest:
    return open_link(PAGE, query or {})


def widget_values(at) -> dict:
    return {w.key: w.value for kind in ("selectbox", "select_slider", "slider", "number_input", "toggle", "radio",
                                        "checkbox", "text_input") for w in at.get(kind) if w.key}


def test_defaults_make_an_empty_query_string():
    at = ok(session())
    assert dict(at.query_params) == {}


def test_a_set_up_round_trips_through_its_link():
    at = session({"steps": "1000"})
    at.selectbox(key="run0_optimizer").set_value("adam").run()
    at.select_slider(key="run0_adam_lr").set_value(0.1).run()
    at.number_input(key="n_runs").set_value(3).run()
    at.radio(key="variant").set_value("lecture").run()
    at.toggle(key="animate").set_value(False).run()
    at.number_input(key="start_x_bowl").set_value(-1.25).run()
    at.session_state["open_run1_schedule"] = True  # the panel that holds it
    at.run()
    at.selectbox(key="run1_schedule").set_value("step").run()
    ok(at)
    link = {k: at.query_params[k] for k in at.query_params}
    assert link["run0_optimizer"] == "adam" and link["run0_adam_lr"] == "0.1" and link["n_runs"] == "3"
    assert link["start_x_bowl"] == "-1.25" and link["run1_schedule"] == "step" and link["animate"] == "0"

    again = ok(session(link))
    assert widget_values(again) == widget_values(at)
    assert chart(again, "map")["data"] == chart(at, "map")["data"]  # the same runs, to the last digit
    assert not again.warning


def test_a_bad_link_falls_back_to_defaults_and_names_what_it_ignored():
    at = ok(session({"steps": "7", "run0_optimizer": "sgd", "n_runs": "9", "bogus": "1", "start_x_bowl": "1e9",
                     "run0_gd_lr": "0.01", "lang": "fr"}))
    note = " ".join(w.value for w in at.warning)
    for name in (link_note("steps", "7"), link_note("run0_optimizer", "sgd"), link_note("n_runs", "9"),
                 link_note("bogus", "1"), link_note("start_x_bowl", "1e9"), link_note("lang", "fr")):
        assert name in note
    assert at.select_slider(key="steps").value == 10_000 and at.number_input(key="n_runs").value == 2
    assert at.selectbox(key="run0_optimizer").value == "gd" and at.number_input(key="start_x_bowl").value == -1.8


def test_chinese_link_shows_chinese_and_no_raw_keys():
    at = ok(session({"lang": "zh-TW", "steps": "1000"}))
    zh = i18n.catalog("zh-TW")
    assert at.title[0].value == zh["playground.title"]
    assert zh["playground.surface"] in [w.label for w in at.selectbox]
    texts = [e.value for kind in ("markdown", "caption", "title", "subheader", "warning") for e in at.get(kind)]
    texts += [w.label for kind in ("selectbox", "select_slider", "slider", "number_input", "toggle", "radio")
              for w in at.get(kind)]
    assert [s for s in texts if isinstance(s, str) and RAW_KEY.match(s.strip())] == []
    assert at.query_params["lang"] == "zh-TW"


def test_the_view_a_link_opens_is_the_view_the_page_draws():
    """lab.playground.view_from_link (the tour's previews) reads a link as the page does."""
    from figures.map import map_split
    from figures.packed import join
    from lab.playground import run_view, view_from_link

    link = {"surface": "bumpy_valley", "steps": "2000", "n_runs": "3", "run1_optimizer": "momentum",
            "run1_momentum_lr": "0.01", "run2_adam_beta1": "0.5", "run0_schedule": "step", "run0_step_gamma": "0.5",
            "run2_noise": "0.3", "run2_seed": "7", "start_x_bumpy_valley": "-3.95"}
    at = ok(session(link))
    view = view_from_link(link)
    expected = join(map_split(view.build_surface(), run_view(view), height=560)[0])
    drawn = chart(at, "map")
    assert [t.get("name") for t in drawn["data"]] == [t.get("name") for t in expected["data"]]
    for got, want in zip(drawn["data"], expected["data"]):
        if "x" in want:
            assert np.array_equal(decode(got["x"]), decode(want["x"])), want.get("name")


def test_a_bowl_link_with_quadratic_walls_draws_what_the_tour_previews():
    """The bowl's wall shape is a linked setting; the tour's scenes open it, and the page draws that surface."""
    from lab.playground import run_view, view_from_link

    link = {"steps": "1000", "n_runs": "1", "bowl_walls": "quadratic", "start_y_bowl": "0.4",
            "run0_optimizer": "adagrad", "variant": "lecture"}
    at = ok(session(link))
    assert at.radio(key="bowl_walls").value == "quadratic" and not at.warning
    view = view_from_link(link)
    assert dict(view.surface_params)["walls"] == "quadratic"
    (run,) = run_view(view)
    drawn = [t for t in chart(at, "map")["data"] if t.get("mode") == "lines"][0]
    np.testing.assert_allclose(decode(drawn["y"])[-1], run.path[-1, 1], rtol=0, atol=5e-7)
    bad = ok(session({"bowl_walls": "round"}))
    assert link_note("bowl_walls", "round") in " ".join(w.value for w in bad.warning)
    assert bad.radio(key="bowl_walls").value == "straight"
