"""The learning-rate sweep page under AppTest: draws, reacts to its settings, explains bad input."""
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import i18n
import surfaces
from lab import sweep as S
from tests.apptest_helpers import chart_specs, decode, link_note, map_lines, ok, open_link, raw_keys, shown_strings
from tests.lecture_reference import lecture_adagrad, naive

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "sweep.py")


def fresh(steps=1_000, n_rates=20):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["steps"] = steps
    at.session_state["n_rates"] = n_rates
    return at.run()


def sweep_chart(at):
    for chart in chart_specs(at):
        if any(t.get("mode") == "lines+markers" for t in chart["data"]):
            return chart
    raise AssertionError("no sweep chart")


def the_map(at):
    for chart in chart_specs(at):
        if chart["layout"].get("images"):
            return chart
    raise AssertionError("no map")


def curves(chart):
    """{optimizer name: (rates, loss − L*)} of the top row."""
    out = {}
    for t in chart["data"]:
        if t.get("mode") == "lines+markers" and t.get("showlegend", True) is not False:
            out[t["name"]] = (decode(t["x"]), decode(t["y"]))
    return out


def map_paths(chart):
    return {t["name"]: np.stack([decode(t["x"]), decode(t["y"])], -1)
            for t in map_lines(chart)}


def test_default_view_draws_the_sweep_the_map_and_the_table():
    at = ok(fresh())
    data = curves(sweep_chart(at))
    assert set(data) == {"GD", "Adagrad"}
    rates, loss = data["GD"]
    assert len(rates) == 20 and rates[0] == 1e-8 and rates[-1] == 1.0
    assert np.all(np.isfinite(loss))
    picks = at.multiselect(key="picks").value
    assert [S.parse_pick(k)[0] for k in picks] == ["gd", "gd", "adagrad"]
    paths = map_paths(the_map(at))
    assert len(paths) == 3 and all(len(p) > 2 for p in paths.values())
    assert any("What the labels mean" in e.label for e in at.expander)
    table = at.dataframe[0].value
    assert len(table) == 2 * 20 and set(table["label"]) <= set(S.LABEL_TEXT.values())
    assert at.get("download_button")


def test_changing_the_optimizers_changes_the_chart():
    at = ok(fresh())
    before = curves(sweep_chart(at))
    at.multiselect(key="optimizers").set_value(["gd", "adam", "rmsprop"]).run()
    ok(at)
    after = curves(sweep_chart(at))
    assert set(after) == {"GD", "Adam", "RMSProp"}
    np.testing.assert_array_equal(after["GD"][1], before["GD"][1])  # the same GD runs
    # the chosen rates follow the new set: the lecture's GD rates stay, the others' best runs join
    assert [S.parse_pick(k)[0] for k in at.multiselect(key="picks").value] == ["gd", "gd", "adam", "rmsprop"]


def test_changing_a_setting_changes_the_data():
    at = ok(fresh())
    before = curves(sweep_chart(at))["GD"][1]
    at.select_slider(key="steps").set_value(5_000).run()
    ok(at)
    after = curves(sweep_chart(at))["GD"][1]
    assert not np.array_equal(before, after)
    at.slider(key="n_rates").set_value(7).run()
    ok(at)
    assert len(curves(sweep_chart(at))["GD"][0]) == 7
    gd = curves(sweep_chart(at))["GD"][1]
    at.radio(key="variant").set_value("lecture").run()
    ok(at)
    np.testing.assert_array_equal(curves(sweep_chart(at))["GD"][1], gd)  # GD has one form
    # Adagrad now divides by the root mean square: the table's final losses are the lecture's naive loop's
    table = at.dataframe[0].value
    adagrad = table[table["optimizer"] == "Adagrad"]
    assert len(adagrad) == 7
    bowl = surfaces.get("bowl")
    for rate, shown in zip(adagrad["learning rate"], adagrad["final loss"]):
        end = naive(bowl, bowl.start, 5_000, lecture_adagrad(lambda t: rate, 1e-10))[-1]
        np.testing.assert_allclose(shown, bowl.loss(end), rtol=1e-9)


def test_picking_a_rate_draws_its_path():
    at = ok(fresh())
    options = at.multiselect(key="picks").options
    assert len(options) == 2 * 20
    pick = S.pick_key("adagrad", np.geomspace(1e-8, 1.0, 20)[-1])
    at.multiselect(key="picks").set_value([pick]).run()
    ok(at)
    paths = map_paths(the_map(at))
    assert len(paths) == 1 and next(iter(paths)).startswith("Adagrad η=1 · ")
    at.multiselect(key="picks").set_value([]).run()
    ok(at)
    assert any("Pick a rate" in i.value for i in at.info)


def test_another_surface_gets_its_own_picks():
    at = ok(fresh())
    at.selectbox(key="surface").set_value("rosenbrock").run()
    ok(at)
    picks = at.multiselect(key="picks").value
    assert [S.parse_pick(k)[0] for k in picks] == ["gd", "adagrad"]  # each optimizer's best run
    assert "diverged" in " ".join(at.dataframe[0].value["label"])


def test_a_bad_range_is_explained_not_raised():
    at = ok(fresh())
    at.select_slider(key="lr_min").set_value(1.0).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The sweep is not run: lr_min = 1 is out of range; allowed 1e-8 <= lr_min < lr_max = 1"]
    assert not at.get("plotly_chart")
    at.select_slider(key="lr_min").set_value(1e-3).run()
    ok(at)  # fixed: the sweep is back
    assert curves(sweep_chart(at))["GD"][0][0] == 1e-3


def test_no_optimizer_is_explained():
    at = ok(fresh())
    at.multiselect(key="optimizers").set_value([]).run()
    assert not at.exception
    assert any("optimizers = [] is out of range" in e.value for e in at.error)


# ----------------------------------------------------------------- links and languages
def reopen(query, **extra):
    return open_link(PAGE, query, **extra)


def test_a_link_reopens_the_same_view():
    at = ok(fresh(steps=500, n_rates=9))
    at.multiselect(key="optimizers").set_value(["gd", "adam"])
    at.select_slider(key="lr_min").set_value(1e-5)
    at.radio(key="variant").set_value("lecture").run()
    pick = S.pick_key("adam", np.geomspace(1e-5, 1.0, 9)[4])
    at.multiselect(key="picks").set_value([pick]).run()
    ok(at)
    link = dict(at.query_params)
    assert link == {"optimizers": "gd,adam", "lr_min": "1e-05", "n_rates": "9", "steps": "500",
                    "variant": "lecture", "picks": pick}
    other = ok(reopen(link))
    assert not other.warning
    for kind, key in (("multiselect", "optimizers"), ("select_slider", "lr_min"), ("slider", "n_rates"),
                      ("select_slider", "steps"), ("radio", "variant"), ("multiselect", "picks")):
        assert getattr(other, kind)(key=key).value == getattr(at, kind)(key=key).value, key
    assert curves(sweep_chart(other)).keys() == curves(sweep_chart(at)).keys() == {"GD", "Adam"}
    for name, (rates, loss) in curves(sweep_chart(at)).items():
        np.testing.assert_array_equal(curves(sweep_chart(other))[name][0], rates)
        np.testing.assert_array_equal(curves(sweep_chart(other))[name][1], loss)
    assert map_paths(the_map(other)).keys() == map_paths(the_map(at)).keys()
    assert dict(other.query_params) == link  # the URL still says the same


def test_a_bad_link_is_reported_and_the_defaults_apply():
    at = reopen({"steps": "500", "n_rates": "999", "surface": "moon", "optimizers": "gd,sgd", "colour": "red"})
    ok(at)
    (note,) = [w.value for w in at.warning]
    for part in (link_note("n_rates", "999") + " is not an integer from 2 to 200",
                 link_note("surface", "moon") + " is not one of the choices",
                 link_note("optimizers", "sgd") + " is not one of the choices",
                 link_note("colour", "red") + " is not a setting of this page"):
        assert part in note
    assert at.slider(key="n_rates").value == 50 and at.selectbox(key="surface").value == "bowl"
    assert at.multiselect(key="optimizers").value == ["gd", "adagrad"]
    assert at.select_slider(key="steps").value == 500  # the good value is kept
    assert set(curves(sweep_chart(at))) == {"GD", "Adagrad"}


def test_the_page_in_chinese():
    at = ok(reopen({"steps": "500", "n_rates": "5"}, lang="zh-TW"))
    assert [t.value for t in at.title] == ["學習率掃描"]
    assert not raw_keys(at, "zh-TW")
    chart = sweep_chart(at)
    assert chart["layout"]["legend2"]["title"]["text"] == "軌跡的結果："
    assert "學習率 η" in chart["layout"]["xaxis2"]["title"]["text"]
    assert list(at.dataframe[0].value.columns)[:2] == ["最佳化器", "學習率"]
    assert at.radio(key="variant").options == ["PyTorch", "課程"]
    assert "最小值" in [t.get("name") for t in the_map(at)["data"]]  # the map's own words too
    assert all("lang=zh-TW" not in s for s in shown_strings(at))
    assert at.query_params["lang"] == "zh-TW"  # kept in the link


def test_no_raw_keys_in_english_and_the_update_rules_are_shown():
    at = ok(fresh(steps=500, n_rates=5))
    assert not raw_keys(at)
    latex = [m.value for m in at.latex]
    assert len(latex) == 2 and all(r"\theta^{t+1}" in body for body in latex)
    assert r"\eta^{t} &= \eta = (10^{-8} \ldots 1)" in latex[0]
    assert all(r"\text" not in body for body in latex)  # the page words the swept range itself
    assert any("The first of the swept rates" in w.help for w in at.select_slider)


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
@pytest.mark.parametrize("names", [("nadam", "adamax", "adadelta"), ("rprop", "lion")])
def test_the_newer_optimizers_are_swept_with_their_descriptions_and_rules(names, lang):
    at = ok(reopen({"steps": "300", "n_rates": "5", "optimizers": ",".join(names)}, lang=lang))
    assert not raw_keys(at, lang)
    data = curves(sweep_chart(at))
    assert set(data) == {i18n.text(f"optimizer.{n}.title", lang) for n in names}
    assert all(len(rates) == 5 for rates, _ in data.values())
    latex = [m.value for m in at.latex]
    assert len(latex) == len(names) and all(r"\theta^{t+1}" in body for body in latex)
    shown = " ".join(shown_strings(at))
    assert all(i18n.text(f"optimizer.{n}.description", lang) in shown for n in names)
