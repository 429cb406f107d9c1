"""The Basins page under AppTest: two maps side by side, settings change them, a picked start draws both paths."""
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import i18n
import optimizers
import surfaces
from figures.basins import CELLS_NAME
from lab.basins import BasinConfig, run_basins
from tests.apptest_helpers import chart, decode, link_note, map_lines, ok, open_link, raw_keys, shown_strings

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "basins.py")


def fresh(n=20, steps=200, **state):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["basin_n"] = n
    at.session_state["basin_steps"] = steps
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def heat(spec, index=0):
    t = spec["data"][index]
    assert t["type"] == "heatmap"
    return decode(t["z"])


def test_default_view_draws_gd_and_momentum_on_the_bumpy_valley():
    at = ok(fresh())
    left, right = chart(at, "basin_map0"), chart(at, "basin_map1")
    for spec in (left, right):
        assert any(t.get("name", "").startswith(CELLS_NAME) for t in spec["data"])
        assert heat(spec).size == 20 * 20
    # the left map is GD's, the right momentum's (same η), and they differ
    gd = assert_map_is(at, "basin_map0", "gd", (("lr", 1e-2),))
    assert not np.array_equal(gd, assert_map_is(at, "basin_map1", "momentum", (("lr", 1e-2),)))
    labels = " ".join(m.value for m in at.markdown)
    assert "gd η=0.01" in labels and "momentum λ=0.9 η=0.01" in labels
    assert any("400 starts × 200 steps" in c.value for c in at.caption)
    # below: both paths from the surface's default start
    paths = chart(at, "basin_paths")
    lines = map_lines(paths)
    assert len(lines) == 2
    for line in lines:
        np.testing.assert_allclose([decode(line["x"])[0], decode(line["y"])[0]], surfaces.get("bumpy_valley").start)
    rows = at.dataframe[0].value
    assert list(rows["run"]) == ["gd η=0.01", "momentum λ=0.9 η=0.01"]


def shown_codes(at, key, codes_present):
    """The category codes a map shows (its heatmap holds indices into the codes present, in order)."""
    return np.asarray(codes_present)[heat(chart(at, key)).astype(int)]


def assert_map_is(at, key, optimizer, hyper):
    """Map ``key`` shows the 20 × 20, 200-step grid of ``optimizer`` with ``hyper`` on the bumpy valley."""
    expected = run_basins(BasinConfig("bumpy_valley", optimizer, hyper, n=20, steps=200)).codes
    np.testing.assert_array_equal(shown_codes(at, key, np.unique(expected)).reshape(20, 20), expected)
    return expected


def test_changing_the_learning_rate_changes_both_maps():
    at = ok(fresh())
    before = [assert_map_is(at, "basin_map0", "gd", (("lr", 1e-2),)),
              assert_map_is(at, "basin_map1", "momentum", (("lr", 1e-2),))]
    at.select_slider(key="basin_lr").set_value(1e-3).run()
    ok(at)
    after = [assert_map_is(at, "basin_map0", "gd", (("lr", 1e-3),)),
             assert_map_is(at, "basin_map1", "momentum", (("lr", 1e-3),))]
    assert not np.array_equal(before[0], after[0]) and not np.array_equal(before[1], after[1])
    assert any("still moving" in t.get("name", "") for t in chart(at, "basin_map0")["data"])


def test_changing_an_optimizer_and_its_hyperparameter_redraws_that_map():
    at = ok(fresh())
    before = assert_map_is(at, "basin_map1", "momentum", (("lr", 1e-2),))
    at.slider(key="basin1_momentum_momentum").set_value(0.5).run()
    ok(at)
    after = assert_map_is(at, "basin_map1", "momentum", (("lr", 1e-2), ("momentum", 0.5)))
    assert not np.array_equal(before, after)
    at.selectbox(key="basin0_optimizer").set_value("adam").run()
    ok(at)
    assert not np.array_equal(assert_map_is(at, "basin_map0", "adam", (("lr", 1e-2),)),
                              run_basins(BasinConfig("bumpy_valley", "gd", (("lr", 1e-2),), n=20, steps=200)).codes)
    assert any("adam" in m.value for m in at.markdown)


def test_colour_by_steps_adds_a_log_scale():
    at = ok(fresh())
    at.radio(key="basin_by").set_value("steps").run()
    ok(at)
    spec = chart(at, "basin_map0")
    steps = spec["data"][1]
    assert steps["type"] == "heatmap" and steps["name"] == "steps needed"
    assert steps["colorbar"]["ticktext"]


@pytest.mark.parametrize("name", ["himmelblau", "six_hump_camel", "rastrigin", "bowl"])
def test_other_surfaces(name):
    at = fresh(n=10, steps=100)
    at.selectbox(key="basin_surface").set_value(name).run()
    ok(at)
    assert heat(chart(at, "basin_map0")).size == 100


def picked(x, y, surface="bumpy_valley"):
    """Session state as a click on a cell at (x, y) leaves it: the start inputs of that surface."""
    return {f"basin_x_{surface}": x, f"basin_y_{surface}": y}


def test_a_picked_start_draws_both_paths_from_it():
    valley = surfaces.get("bumpy_valley")
    at = ok(fresh(**picked(3.25, 0.45)))
    lines = map_lines(chart(at, "basin_paths"))
    for line in lines:
        np.testing.assert_allclose([decode(line["x"])[0], decode(line["y"])[0]], [3.25, 0.45])
    ball = optimizers.simulate(valley, optimizers.get("momentum", lr=1e-2), (3.25, 0.45), 200, record=())
    rows = at.dataframe[0].value
    assert rows["end θ"][1] == f"({ball.final[0, 0]:.6g}, {ball.final[0, 1]:.6g})"
    assert any("chosen start (3.25, 0.45)" in c.value for c in at.caption)
    assert at.query_params["basin_x_bumpy_valley"] == "3.25"  # the start is in the link
    # another surface has its own start
    at.selectbox(key="basin_surface").set_value("himmelblau").run()
    ok(at)
    lines = map_lines(chart(at, "basin_paths"))
    np.testing.assert_allclose([decode(lines[0]["x"])[0], decode(lines[0]["y"])[0]], surfaces.get("himmelblau").start)
    assert any("default start" in c.value for c in at.caption)


def test_typing_a_start_moves_both_paths():
    at = ok(fresh())
    at.number_input(key="basin_x_bumpy_valley").set_value(-4.0).run()
    ok(at)
    lines = map_lines(chart(at, "basin_paths"))
    for line in lines:
        np.testing.assert_allclose([decode(line["x"])[0], decode(line["y"])[0]],
                                   [-4.0, surfaces.get("bumpy_valley").start[1]])


def test_the_picked_start_is_marked_on_both_maps_and_default_start_resets_it():
    at = ok(fresh(**picked(3.25, 0.45)))
    for key in ("basin_map0", "basin_map1"):
        (ring,) = [t for t in chart(at, key)["data"] if t.get("name") == "picked start"]
        assert ring["x"] == [3.25] and ring["y"] == [0.45]
    at.button(key="basin_reset_pick").click().run()
    ok(at)
    start = surfaces.get("bumpy_valley").start
    (ring,) = [t for t in chart(at, "basin_map0")["data"] if t.get("name") == "picked start"]
    np.testing.assert_allclose([ring["x"][0], ring["y"][0]], start)
    assert at.number_input(key="basin_x_bumpy_valley").value == start[0]
    assert "basin_x_bumpy_valley" not in at.query_params


# ----------------------------------------------------------------- links and languages
def reopen(query, **extra):
    return open_link(PAGE, query, **extra)


def test_a_link_reopens_the_same_view():
    at = ok(fresh(n=10, steps=100))
    at.selectbox(key="basin_surface").set_value("himmelblau")
    at.select_slider(key="basin_lr").set_value(2e-3)
    at.radio(key="basin_by").set_value("steps")
    at.selectbox(key="basin1_optimizer").set_value("adam").run()
    at.slider(key="basin1_adam_beta1").set_value(0.5)
    at.number_input(key="basin_x_himmelblau").set_value(1.5).run()
    ok(at)
    link = dict(at.query_params)
    assert link == {"basin_surface": "himmelblau", "basin_n": "10", "basin_steps": "100", "basin_lr": "0.002",
                    "basin_by": "steps", "basin1_optimizer": "adam", "basin1_adam_beta1": "0.5",
                    "basin_x_himmelblau": "1.5"}
    other = ok(reopen(link))
    assert not other.warning
    assert other.slider(key="basin1_adam_beta1").value == 0.5
    assert other.number_input(key="basin_x_himmelblau").value == 1.5
    for key in ("basin_map0", "basin_map1", "basin_paths"):
        mine, theirs = chart(at, key), chart(other, key)
        assert [t.get("name") for t in mine["data"]] == [t.get("name") for t in theirs["data"]]
    for key in ("basin_map0", "basin_map1"):
        np.testing.assert_array_equal(heat(chart(other, key)), heat(chart(at, key)))
        np.testing.assert_array_equal(heat(chart(other, key), 1), heat(chart(at, key), 1))  # steps needed
    assert list(other.dataframe[0].value["end θ"]) == list(at.dataframe[0].value["end θ"])


def test_a_bad_link_is_reported_and_the_defaults_apply():
    at = ok(reopen({"basin_n": "7", "basin_steps": "100", "basin_lr": "abc", "basin0_optimizer": "sgd",
                    "basin_x_bumpy_valley": "1e9", "zoom": "2"}))
    (note,) = [w.value for w in at.warning]
    for part in (link_note("basin_n", "7") + " is not one of the choices", link_note("basin_lr", "abc"),
                 link_note("basin0_optimizer", "sgd"), link_note("basin_x_bumpy_valley", "1e9") + " is not a number from",
                 link_note("zoom", "2") + " is not a setting of this page"):
        assert part in note
    assert at.select_slider(key="basin_n").value == 100 and at.select_slider(key="basin_lr").value == 1e-2
    assert at.selectbox(key="basin0_optimizer").value == "gd"
    assert at.number_input(key="basin_x_bumpy_valley").value == surfaces.get("bumpy_valley").start[0]


def test_the_page_in_chinese():
    at = ok(fresh(n=10, steps=100, basin_variant="lecture"))
    at.query_params["lang"] = "zh-TW"
    at = ok(reopen(dict(at.query_params)))
    assert [t.value for t in at.title] == ["吸引盆地"]
    assert not raw_keys(at, "zh-TW")
    labels = " ".join(m.value for m in at.markdown)
    assert "momentum（課程版） λ=0.9 η=0.01" in labels
    spec = chart(at, "basin_map0")
    assert spec["layout"]["xaxis"]["title"]["text"] == "起點 θ₁ (x)"
    assert any(t.get("name", "").startswith("最小值 ") for t in spec["data"])
    assert list(at.dataframe[0].value.columns) == ["軌跡", "終點 θ", "結果", "最終 loss", "所需步數"]
    assert "最小值" in [t.get("name") for t in chart(at, "basin_paths")["data"]]  # the map's own words too


def test_no_raw_keys_in_english_and_each_panel_shows_its_rule():
    at = ok(fresh(n=10, steps=100))
    assert not raw_keys(at)
    latex = [m.value for m in at.latex]
    assert len(latex) == 2  # the rule each panel runs, with its values
    assert r"m^{t} &= g^{t}" in latex[0] and r"\eta^{t} &= \eta = 0.01" in latex[0]
    assert r"m^{t} &= 0.9\, m^{t-1} + g^{t}" in latex[1]
    assert any("Gradient descent" in s for s in shown_strings(at))  # the optimizer's title, not its code name


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
@pytest.mark.parametrize("left,right", [("nadam", "adamax"), ("adadelta", "rprop"), ("lion", "nadam")])
def test_the_newer_optimizers_draw_their_basins_with_descriptions_and_rules(left, right, lang):
    at = ok(reopen({"basin_n": "10", "basin_steps": "100", "basin0_optimizer": left, "basin1_optimizer": right},
                   lang=lang))
    assert not raw_keys(at, lang)
    for key, name in (("basin_map0", left), ("basin_map1", right)):
        expected = run_basins(BasinConfig("bumpy_valley", name, (("lr", 1e-2),), n=10, steps=100)).codes
        np.testing.assert_array_equal(shown_codes(at, key, np.unique(expected)).reshape(10, 10), expected)
    latex = [m.value for m in at.latex]
    assert len(latex) == 2 and all(r"\theta^{t+1}" in body for body in latex)
    shown = " ".join(shown_strings(at))
    assert all(i18n.text(f"optimizer.{n}.description", lang) in shown for n in (left, right))
