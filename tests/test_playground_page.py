"""The Playground under AppTest: every surface and optimizer runs; sliders change the paths; divergence is shown."""
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optimizers
import surfaces
from lab import controls
from lab.untrusted import quote
from tests.apptest_helpers import chart_specs, decode, ok
from tests.lecture_reference import lecture_adagrad, lecture_momentum, lecture_rmsprop, naive

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "playground.py")


def fresh(steps=1_000):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["steps"] = steps
    return at.run()


def the_map(at):
    for chart in chart_specs(at):
        names = [t.get("name", "") for t in chart["data"]]
        if "click-grid" in names:
            return chart
    raise AssertionError("no map chart")


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
    assert len(at.get("plotly_chart")) >= 5
    assert any("Run 1" in str(r) for r in at.dataframe[-1].value["run"])


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
    ok(at)
    hyper = shown_hyperparameters(at, 0, name)
    bowl = surfaces.get("bowl")
    path = lambda v: optimizers.simulate(bowl, optimizers.get(name, variant=v, **controls.to_torch_names(hyper)),
                                         steps=1_000, record=("path",)).path[0]
    drawn = path_of(the_map(at), f"Run 1 · {name}")
    drawn_to = bowl.span * 1e-6  # the map writes coordinates to a millionth of its window
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


def test_bad_schedule_parameters_get_a_message_naming_the_field():
    at = fresh()
    at.selectbox(key="run0_schedule").set_value("step").run()
    at.number_input(key="run0_step_step_size").set_value(0).run()
    assert not at.exception
    assert any("step_size = 0" in e.value for e in at.error)
    assert len(path_of(the_map(at), "Run 2")) > 1  # the other run still draws


def test_typed_markup_in_a_step_list_is_shown_as_text():
    at = fresh()
    at.selectbox(key="run0_schedule").set_value("multistep").run()
    typed = "<b>x</b> [click](javascript:alert(1))"
    at.text_input(key="run0_multistep_milestones").set_value(typed).run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert errors and all(quote(typed) in e and e.count(typed) == 1 for e in errors), errors
    assert len(path_of(the_map(at), "Run 2")) > 1  # the other run still draws
