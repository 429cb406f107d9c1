"""A typed formula on the Playground, the sweep and Basins (AppTest): it draws, it travels in the link,
the gallery loads into the box, and refusals are named in the page's language with the text quoted."""
import re
from pathlib import Path

import numpy as np
import pytest

import optimizers
import surfaces
from lab.untrusted import quote
from surfaces.formula import from_formula, prepare
from surfaces.formula.examples import EXAMPLES
from tests.apptest_helpers import browser_charts, chart, decode, ok, open_link

PAGES = Path(__file__).resolve().parents[1] / "pages"
# page file, its settings' prefix, a link that keeps its run small, the chart whose paths start at the start
SETUPS = {
    "playground": ("playground.py", "", {"steps": "1000"}, "map"),
    "sweep": ("sweep.py", "", {"steps": "1000", "n_rates": "4"}, "sweep_map"),
    "basins": ("basins.py", "basin_", {"basin_n": "10", "basin_steps": "200"}, "basin_paths"),
}
TEXT = "x^2/2 + (y^2 - 1)^2/4 + sin(2*x)/5"
BOUNDS = {"x0": "-2.5", "x1": "2.0", "y0": "-1.5", "y1": "1.5"}


def formula_link(prefix: str, text: str = TEXT, **extra) -> dict:
    link = {f"{prefix}surface": "formula", f"{prefix}formula": text}
    link.update({f"{prefix}formula_{k}": v for k, v in BOUNDS.items()})
    return {**link, **extra}


def window():
    return ((float(BOUNDS["x0"]), float(BOUNDS["x1"])), (float(BOUNDS["y0"]), float(BOUNDS["y1"])))


def first_path_start(spec) -> np.ndarray:
    for trace in spec["data"]:
        if trace.get("mode") == "lines" and "x" in trace:
            return np.array([decode(trace["x"])[0], decode(trace["y"])[0]])
    raise AssertionError("no path drawn")


def sidebar_markdown(at) -> str:
    return " ".join(element.value for element in at.sidebar.get("markdown"))


@pytest.mark.parametrize("page", SETUPS)
def test_a_formula_draws_its_map_and_paths_on_each_page(page):
    file, prefix, small, chart_key = SETUPS[page]
    at = ok(open_link(str(PAGES / file), formula_link(prefix, **small)))
    surface = from_formula(TEXT, window())
    assert f"${prepare(TEXT).latex}$" in sidebar_markdown(at)  # the page shows how it read the text
    spec = chart(at, chart_key)
    np.testing.assert_allclose(first_path_start(spec), surface.start, rtol=1e-7)  # float32 on the way to the browser
    (x0, x1), (y0, y1) = surface.bounds
    assert spec["layout"]["xaxis"]["range"] == [x0, x1] and spec["layout"]["yaxis"]["range"] == [y0, y1]


def test_the_playground_draws_the_engines_path_on_the_formula():
    at = ok(open_link(str(PAGES / "playground.py"), formula_link("", steps="1000")))
    surface = from_formula(TEXT, window())
    ref = optimizers.simulate(surface, optimizers.get("gd", lr=1e-2), steps=1_000, record=("path",))
    for trace in chart(at, "map")["data"]:
        if str(trace.get("name", "")).startswith("Run 1") and trace.get("mode") == "lines":
            path = np.stack([decode(trace["x"]), decode(trace["y"])], -1)
            np.testing.assert_allclose(path[-1], ref.path[0, -1], rtol=1e-6, atol=1e-9)
            return
    raise AssertionError("no path of Run 1")


@pytest.mark.parametrize("page", SETUPS)
def test_a_typed_formula_round_trips_through_the_link(page):
    file, prefix, small, chart_key = SETUPS[page]
    at = open_link(str(PAGES / file), {f"{prefix}surface": "formula", **small})
    at.text_input(key=f"{prefix}formula").input(TEXT).run()
    for name, value in BOUNDS.items():
        at.number_input(key=f"{prefix}formula_{name}").set_value(float(value)).run()
    name = from_formula(TEXT, window()).name
    start_key = {"basins": "basin_x_"}.get(page, "start_x_") + name
    at.number_input(key=start_key).set_value(-1.25).run()
    ok(at)
    link = {k: at.query_params[k] for k in at.query_params}
    assert link[f"{prefix}formula"] == TEXT and link[start_key] == "-1.25"
    again = ok(open_link(str(PAGES / file), link))
    assert again.text_input(key=f"{prefix}formula").value == TEXT
    assert again.number_input(key=start_key).value == -1.25
    assert chart(again, chart_key)["data"] == chart(at, chart_key)["data"]
    assert not again.warning


@pytest.mark.parametrize("page", SETUPS)
def test_the_gallery_loads_himmelblau_typed_as_text(page):
    file, prefix, small, _ = SETUPS[page]
    at = ok(open_link(str(PAGES / file), {f"{prefix}surface": "formula", **small}))
    at.text_input(key=f"{prefix}formula").input("x^2 + y^2").run()
    at.selectbox(key=f"{prefix}formula_example").select("himmelblau").run()
    ok(at)
    himmelblau = EXAMPLES[0]
    assert at.text_input(key=f"{prefix}formula").value == himmelblau.text == "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"
    assert [at.number_input(key=f"{prefix}formula_{k}").value for k in ("x0", "x1", "y0", "y1")] == [-5, 5, -5, 5]
    assert at.selectbox(key=f"{prefix}formula_example").value is None  # ready to load another
    typed = from_formula(himmelblau.text, himmelblau.bounds, himmelblau.start)
    np.testing.assert_allclose(typed.minima, surfaces.get("himmelblau").minima, atol=1e-9)
    start = {"basins": "basin_{}_"}.get(page, "start_{}_") + typed.name
    assert [at.number_input(key=start.format(axis)).value for axis in "xy"] == [0.0, 0.0]  # the example's start


@pytest.mark.parametrize("lang, words", [("en", ("At character 5", "not a name")), ("zh-TW", ("第 5 個字元", "不是"))])
@pytest.mark.parametrize("page", SETUPS)
def test_a_refused_formula_is_named_with_its_position_in_the_page_language(page, lang, words):
    file, prefix, small, chart_key = SETUPS[page]
    at = open_link(str(PAGES / file), formula_link(prefix, "x + foo(y)", lang=lang, **small))
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert all(w in message for w in words), message
    assert quote("foo") in message
    assert at.info  # what to do instead of a drawing
    drawn = browser_charts(at)
    assert not [key for key in ("map", "sweep_map", "basin_map0", "basin_paths") if key in drawn or any(
        element.proto.id.endswith(f"-{key}") for element in at.get("plotly_chart"))]


CODE_SPAN = re.compile(r"(`+) .*? \1")


@pytest.mark.parametrize("text, pieces", [
    ("x + **bold** [link](http://example.com) $x$", ("**bold**", "[link]", "http", "$x$")),
    ("x + y\u202e + 1", ("\u202e",)),
    ("x + <img src=x onerror=alert(1)>", ("<img", "onerror")),
])
def test_hostile_text_is_echoed_only_inside_code_spans(text, pieces):
    at = open_link(str(PAGES / "sweep.py"), {"surface": "formula", "n_rates": "4", "steps": "1000"})
    at.text_input(key="formula").input(text).run()
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert CODE_SPAN.search(message), message
    outside = CODE_SPAN.sub("", message)
    assert not [p for p in pieces if p in outside], message


def test_too_long_a_formula_is_refused_with_its_length_and_the_limit():
    at = open_link(str(PAGES / "sweep.py"), {"surface": "formula", "n_rates": "4", "steps": "1000"})
    at.text_input(key="formula").input("x" * 600).run()
    message = " ".join(e.value for e in at.error)
    assert "600" in message and "500" in message and "At character 501" in message


def test_a_link_with_too_long_a_formula_is_named_and_the_default_used():
    at = ok(open_link(str(PAGES / "basins.py"), {"basin_surface": "formula", "basin_formula": "x+" * 300 + "y",
                                                 "basin_n": "10", "basin_steps": "200"}))
    assert "basin_formula" in " ".join(w.value for w in at.warning)
    assert at.text_input(key="basin_formula").value == EXAMPLES[0].text


def test_a_formula_that_diverges_is_shown_as_divergence_without_nan():
    # a step of η = 1 from the start jumps to x ≈ −26, where exp(x²) is beyond float64
    at = ok(open_link(str(PAGES / "playground.py"), formula_link("", "exp(x^2) + y^2", steps="1000",
                                                              run0_gd_lr="1.0")))
    assert any("Run 1" in w.value for w in at.warning)  # the divergence note
    for trace in chart(at, "map")["data"]:
        for axis in ("x", "y"):
            if axis in trace and isinstance(trace[axis], (dict, list)):
                assert np.isfinite(decode(trace[axis])).all()


def test_a_playground_link_with_a_formula_is_read_without_streamlit():
    from lab.playground import view_from_link

    surface = from_formula(TEXT, window())
    view = view_from_link({**formula_link(""), f"start_x_{surface.name}": "-1.25", "steps": "1000"})
    assert view.build_surface() == surface
    assert view.start == (-1.25, float(surface.start[1])) and view.steps == 1000


@pytest.mark.parametrize("page", SETUPS)
def test_a_formula_without_a_minimum_in_its_window_runs_and_says_so(page):
    file, prefix, small, chart_key = SETUPS[page]
    at = ok(open_link(str(PAGES / file), formula_link(prefix, "x + y^3", **small)))
    assert not len(from_formula("x + y^3", window()).minima)
    assert any("no minimum" in c.value for c in at.sidebar.caption)
    if page == "sweep":
        distance = at.dataframe[0].value.iloc[:, 4]
        assert distance.isna().all()  # no known minimum: no distance, rather than a number


def test_lowest_loss_and_nearest_minimum_without_a_known_minimum():
    from figures.diagnostics import lowest_loss
    from optimizers import outcomes

    surface = from_formula("x + y^3", window())
    (x0, _), (y0, _) = surface.bounds
    assert lowest_loss(surface) == pytest.approx(x0 + y0 ** 3)  # the window's lowest corner
    index, distance = outcomes.nearest_minimum(surface, [[0.0, 0.0], [1.0, 1.0]])
    assert index.tolist() == [-1, -1] and np.isinf(distance).all()
