"""The Schedules page under AppTest: every schedule plots η_t, sliders change it, the two demos show their story."""
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optimizers
from lab.schedules_demo import ADAGRAD_DECAY, ADAM_WARMUP, control
from tests.apptest_helpers import chart, decode, ok

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "schedules.py")


@pytest.fixture(scope="module")
def page():
    at = AppTest.from_file(PAGE, default_timeout=60)
    return at.run()


def fresh():
    return AppTest.from_file(PAGE, default_timeout=60).run()


def curve(spec):
    (trace,) = spec["data"]
    return decode(trace["x"]).astype(np.int64), decode(trace["y"])


@pytest.mark.parametrize("kind", optimizers.schedule_names())
def test_every_schedule_kind_renders_its_plot_latex_and_description(page, kind):
    ok(page)
    t, eta = curve(chart(page, f"eta_{kind}"))
    schedule = optimizers.schedule(kind)
    assert len(t) > 10 and np.isfinite(eta).all()
    np.testing.assert_allclose(eta, schedule(t, 1.0), rtol=1e-12)
    assert any(m.value.strip("$\n") == schedule.latex for m in page.latex)
    assert any(schedule.description in c.value for c in page.caption)


def test_every_parameter_has_a_widget_whose_range_holds_the_default(page):
    for kind in optimizers.schedule_names():
        for name, default in optimizers.schedule(kind).params:
            ctl = control(kind, name)
            if ctl.kind in ("int", "float"):
                assert ctl.lo <= default <= ctl.hi, (kind, name)
                assert page.slider(key=f"sched_{kind}_{name}").value == pytest.approx(default)
            elif ctl.kind == "options":
                assert default in ctl.options
            else:
                assert page.text_input(key=f"sched_{kind}_{name}").value == ", ".join(map(str, default))


def test_moving_a_slider_changes_the_plot():
    at = ok(fresh())
    before = curve(chart(at, "eta_step"))
    at.slider(key="sched_step_gamma").set_value(0.5).run()
    ok(at)
    t, eta = curve(chart(at, "eta_step"))
    assert not np.array_equal(before[1], eta)
    np.testing.assert_allclose(eta, optimizers.schedule("step", gamma=0.5)(t, 1.0), rtol=1e-12)
    at.slider(key="sched_transformer_warmup").set_value(1000).run()
    t, eta = curve(chart(at, "eta_transformer"))
    assert t[np.argmax(eta)] == 999  # the peak moves to update warmup − 1
    at.select_slider(key="sched_lr").set_value(0.1).run()
    ok(at)
    t, eta = curve(chart(at, "eta_cosine"))
    np.testing.assert_allclose(eta, optimizers.schedule("cosine")(t, 0.1), rtol=1e-12)


def test_resnet_shows_its_warm_up_zoomed(page):
    t, eta = curve(chart(page, "eta_resnet_zoom"))
    assert t.max() == 800 and eta[0] == pytest.approx(0.1) and eta[-1] == pytest.approx(1.0)


def test_bad_parameters_get_a_message_naming_the_field():
    at = fresh()
    at.slider(key="sched_warmup_linear_warmup_iters").set_value(1500).run()
    assert not at.exception
    assert any("warmup_iters = 1500" in e.value and "total_iters = 1000" in e.value for e in at.error)
    at.text_input(key="sched_multistep_milestones").set_value("600, 300").run()
    assert any("milestones = (600, 300)" in e.value for e in at.error)
    chart(at, "eta_cosine")  # the other schedules still draw


def test_warm_up_explanation_and_radam_pointer(page):
    text = " ".join(m.value for m in page.markdown)
    assert "unreliable" in text and "RAdam" in text and "radam" in text


@pytest.mark.parametrize("demo, labels", [
    (ADAGRAD_DECAY, ("oscillating", "converged")),
    (ADAM_WARMUP, ("still moving", "converged")),
])
def test_demos_draw_both_paths_and_say_what_happened(page, demo, labels):
    spec = chart(page, f"demo_{demo.key}")
    lines = [t for t in spec["data"] if t.get("mode") == "lines"]
    assert [t["name"] for t in lines] == [run.label for run in demo.runs]
    for line in lines:
        np.testing.assert_allclose([decode(line["x"])[0], decode(line["y"])[0]], demo.start)
    assert not spec.get("frames")  # no animation
    rows = next(d.value for d in page.dataframe if list(d.value["run"]) == [r.label for r in demo.runs])
    assert tuple(rows["outcome"]) == labels
    finals = rows["final loss"].astype(float)
    assert finals[0] > 0.1 and finals[1] < 1e-6  # the schedule turns a bad end into a good one


def test_the_demo_story_numbers(page):
    text = " ".join(m.value for m in page.markdown)
    assert "at step 346 one step of 0.67" in text  # Adagrad's burst
    assert "out of the window at step 1,031" in text  # Adam without warm-up
