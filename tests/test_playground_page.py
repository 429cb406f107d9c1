"""The Playground under AppTest: every surface and optimizer runs; sliders change the paths; divergence is shown;
what the browser is handed is what the engine computed."""
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optimizers
import surfaces
from figures.diagnostics import series
from lab import controls
from lab.playground import View, run_view
from lab.untrusted import quote
from tests.apptest_helpers import browser_charts, decode, media, ok
from tests.lecture_reference import lecture_adagrad, lecture_momentum, lecture_rmsprop, naive

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "playground.py")


def fresh(steps=1_000):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["steps"] = steps
    return at.run()


def the_map(at):
    return browser_charts(at)["map"]


def path_of(chart, label_start):
    for trace in chart["data"]:
        if str(trace.get("name", "")).startswith(label_start) and trace.get("mode") == "lines":
            return np.stack([decode(trace["x"]), decode(trace["y"])], -1)
    raise AssertionError(f"no path named {label_start!r}")


def test_default_view_runs_and_draws_both_runs():
    at = ok(fresh())
    chart = the_map(at)
    p1, p2 = path_of(chart, "Run 1"), path_of(chart, "Run 2")
    bowl = surfaces.get("bowl")
    np.testing.assert_allclose(p2[0], bowl.start)
    np.testing.assert_allclose(p1[0], bowl.start)
    ref = optimizers.simulate(bowl, optimizers.get("gd", lr=1e-2), steps=1_000, record=("path",))
    np.testing.assert_allclose(p1[-1], ref.path[0, -1], rtol=1e-6, atol=1e-9)
    assert set(browser_charts(at)) == {"map", "diagnostics"}
    assert not at.dataframe and not at.latex  # closed panels are not built
    assert not at.get("plotly_chart")  # and nothing is a Plotly chart: every chart is drawn from arrays
    assert all(s.key != "run0_noise" for s in at.slider)  # nor the run panels' closed settings


def test_the_map_handed_to_the_browser_is_the_engines_paths():
    """Every point of each path is the engine's θ at the step it names, and the loss there (float32)."""
    at = ok(fresh())
    chart = the_map(at)
    runs = run_view(View(steps=1_000))
    for run in runs:
        (trace,) = [t for t in chart["data"] if t.get("name") == run.label and t.get("mode") == "lines"]
        steps, loss = np.asarray(trace["customdata"]).T
        steps = steps.astype(int)
        assert steps[0] == 0 and steps[-1] == 1_000 and (np.diff(steps) > 0).all()
        drawn = np.column_stack([trace["x"], trace["y"]])
        np.testing.assert_allclose(drawn, run.path[steps], rtol=2e-7, atol=1e-6)
        np.testing.assert_allclose(loss, run.trajectory.loss[0, steps], rtol=2e-7)
    anim = chart["opts"]["map"]
    assert anim["total"] == 1_000 and anim["click"] is True
    assert [chart["data"][r["now"]]["name"] for r in anim["runs"]] == [f"{run.label} · now" for run in runs]
    (image,) = chart["layout"]["images"]
    assert "/media/" in image["source"] and image["source"].endswith(".png")  # served by URL, not in the message


def test_the_diagnostics_handed_to_the_browser_are_the_engines_curves():
    at = ok(fresh())
    chart = browser_charts(at)["diagnostics"]
    bowl = surfaces.get("bowl")
    for run in run_view(View(steps=1_000)):
        s = series(bowl, run)
        (loss,) = [t for t in chart["data"] if t.get("name") == run.label and t.get("yaxis") == "y"]
        steps = np.asarray(loss["x"], dtype=np.int64) - 1  # log step axis: drawn at t + 1
        np.testing.assert_allclose(loss["y"], s["loss"][steps], rtol=2e-7)


def test_a_learning_rate_move_changes_only_that_runs_arrays():
    at = ok(fresh())
    before = {key: chart["blobs"] for key, chart in browser_charts(at).items()}
    at.select_slider(key="run0_gd_lr").set_value(1e-3).run()
    after = {key: chart["blobs"] for key, chart in browser_charts(at).items()}
    for key in ("map", "diagnostics"):  # one blob each per run: run 1's is new, run 2's the same URL
        assert len(before[key]) == len(after[key]) == 2
        assert len(set(before[key].values()) & set(after[key].values())) == 1, key
    (image,) = browser_charts(at)["map"]["images"]
    assert media(image).startswith(b"\x89PNG")


def test_closed_panels_are_built_when_opened():
    at = ok(fresh())
    for key in ("open_inspector", "open_ended", "open_export", "open_rules", "open_run0_schedule", "open_run0_more"):
        at.session_state[key] = True
    at.run()
    ok(at)
    assert "inspector" in browser_charts(at)  # the step inspector's zoomed map
    assert "eta_0" in browser_charts(at) and at.slider(key="run0_noise") and at.number_input(key="run0_seed")
    assert any("Run 1" in str(r) for r in at.dataframe[-1].value["run"])
    assert any("\\theta" in m.value for m in at.latex)
    assert at.get("download_button")


@pytest.mark.parametrize("name", surfaces.names())
def test_every_surface_runs(name):
    at = fresh()
    at.selectbox(key="surface").set_value(name).run()
    ok(at)
    chart = the_map(at)
    np.testing.assert_allclose(path_of(chart, "Run 1")[0], surfaces.get(name).start)


LECTURE_FORMS = {  # the optimizers whose lecture form differs, and that form as a naive loop
    "momentum": lambda h: lecture_momentum(h["momentum"], lambda t: h["lr"]),
    "adagrad": lambda h: lecture_adagrad(lambda t: h["lr"], h["eps"]),
    "rmsprop": lambda h: lecture_rmsprop(h["alpha"], lambda t: h["lr"], h["eps"]),
}


def shown_hyperparameters(at, run: int, name: str) -> dict:
    """{control key: value} of run ``run``'s hyperparameter widgets for optimizer ``name``."""
    return {k: at.session_state[f"run{run}_{name}_{k}"] for k in controls.hyperparameters(name)}


def off_path(drawn, path) -> float:
    """How far the drawn point farthest from ``path`` (the recorded points of a run) lies from it."""
    return float(np.sqrt(((drawn[:, None, :] - path[None, :, :]) ** 2).sum(-1)).min(axis=1).max())


@pytest.mark.parametrize("name", optimizers.names())
@pytest.mark.parametrize("variant", ["torch", "lecture"])
def test_every_optimizer_and_convention_draws_its_own_path(name, variant):
    """Run 1's drawn path is the engine's for the chosen optimizer, convention and the hyperparameters on
    its widgets; in the lecture's convention, where the forms differ, it is the lecture's naive loop and
    not the torch form's path."""
    at = fresh()
    at.radio(key="variant").set_value(variant).run()
    at.selectbox(key="run0_optimizer").set_value(name).run()
    at.session_state["open_rules"] = True
    at.session_state["open_run0_more"] = True  # every hyperparameter's widget drawn
    at.run()
    ok(at)
    hyper = shown_hyperparameters(at, 0, name)
    bowl = surfaces.get("bowl")
    path = lambda v: optimizers.simulate(bowl, optimizers.get(name, variant=v, **controls.to_torch_names(hyper)),
                                         steps=1_000, record=("path",)).path[0]
    drawn = path_of(the_map(at), f"Run 1 · {name}")
    drawn_to = bowl.span * 1e-6  # the map's arrays are float32: well within a millionth of its window
    np.testing.assert_allclose(drawn[[0, -1]], path(variant)[[0, -1]], rtol=0, atol=drawn_to)
    assert off_path(drawn, path(variant)) <= drawn_to
    if variant == "lecture" and name in LECTURE_FORMS:
        assert off_path(drawn, naive(bowl, bowl.start, 1_000, LECTURE_FORMS[name](hyper))) <= drawn_to
        if name != "momentum":  # the two momentum forms agree while η is constant (the torch form rescales
            assert off_path(drawn, path("torch")) > 100 * drawn_to  # its buffer when η changes)
    assert any("\\theta" in m.value for m in at.latex)  # the update rule is rendered as LaTeX below


def test_moving_the_learning_rate_slider_changes_the_path():
    at = ok(fresh())
    before = path_of(the_map(at), "Run 1")
    at.select_slider(key="run0_gd_lr").set_value(1e-3).run()
    ok(at)
    after = path_of(the_map(at), "Run 1")
    assert not np.array_equal(before, after)
    ref = optimizers.simulate("bowl", optimizers.get("gd", lr=1e-3), steps=1_000, record=("path",))
    np.testing.assert_allclose(after[-1], ref.path[0, -1], rtol=0, atol=5e-7)  # the map rounds to 1e-6


def test_a_diverging_setting_shows_the_divergence_message():
    at = fresh(steps=500)
    at.selectbox(key="surface").set_value("rosenbrock").run()
    at.select_slider(key="run0_gd_lr").set_value(0.05).run()
    ok(at)
    warnings = " ".join(w.value for w in at.warning)
    assert "diverged at step" in warnings and "step size too large" in warnings
    chart = the_map(at)
    assert any("diverged at step" in str(t.get("name", "")) for t in chart["data"])


def test_up_to_four_runs_and_typed_start():
    at = fresh()
    at.number_input(key="n_runs").set_value(4).run()
    at.number_input(key="start_x_bowl").set_value(1.0).run()
    at.number_input(key="start_y_bowl").set_value(-0.5).run()
    ok(at)
    chart = the_map(at)
    for k in range(1, 5):
        np.testing.assert_allclose(path_of(chart, f"Run {k}")[0], [1.0, -0.5])


def test_a_closed_panel_keeps_its_settings_in_the_runs_and_the_link():
    at = ok(fresh())
    at.session_state["open_run0_schedule"] = True
    at.run()
    at.selectbox(key="run0_schedule").set_value("step").run()
    at.slider(key="run0_noise").set_value(0.3).run()
    noisy = path_of(the_map(at), "Run 1")
    at.session_state["open_run0_schedule"] = False
    at.run()
    ok(at)
    assert all(s.key != "run0_noise" for s in at.slider)  # closed: not drawn
    np.testing.assert_array_equal(path_of(the_map(at), "Run 1"), noisy)  # the same run
    assert at.query_params["run0_schedule"] == "step" and at.query_params["run0_noise"] == "0.3"
    at.session_state["open_run0_schedule"] = True
    at.run()
    assert at.selectbox(key="run0_schedule").value == "step" and at.slider(key="run0_noise").value == 0.3


def test_a_link_that_sets_a_closed_panels_settings_opens_it():
    from tests.apptest_helpers import open_link

    at = ok(open_link(PAGE, {"steps": "1000", "run1_noise": "0.25", "run1_seed": "3"}))
    assert at.slider(key="run1_noise").value == 0.25 and at.number_input(key="run1_seed").value == 3
    assert all(s.key != "run0_noise" for s in at.slider)  # run 1's panel stays closed
    assert not at.warning


def test_bad_schedule_parameters_get_a_message_naming_the_field():
    at = fresh()
    at.session_state["open_run0_schedule"] = True
    at.run()
    at.selectbox(key="run0_schedule").set_value("step").run()
    at.number_input(key="run0_step_step_size").set_value(0).run()
    assert not at.exception
    assert any("step_size = 0" in e.value for e in at.error)
    assert len(path_of(the_map(at), "Run 2")) > 1  # the other run still draws


def test_typed_markup_in_a_step_list_is_shown_as_text():
    at = fresh()
    at.session_state["open_run0_schedule"] = True
    at.run()
    at.selectbox(key="run0_schedule").set_value("multistep").run()
    typed = "<b>x</b> [click](javascript:alert(1))"
    at.text_input(key="run0_multistep_milestones").set_value(typed).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors and all(quote(typed) in e and e.count(typed) == 1 for e in errors), errors
    assert len(path_of(the_map(at), "Run 2")) > 1  # the other run still draws
