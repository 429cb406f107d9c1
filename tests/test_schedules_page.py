"""The Schedules page under AppTest: every schedule plots η_t, sliders change it, the two demos show their story."""
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import i18n
import optimizers
from figures.schedule_plot import MAX_POINTS
from lab.schedules_demo import ADAGRAD_DECAY, ADAM_WARMUP, control, param_help, title
from lab.untrusted import quote
from tests.apptest_helpers import chart, decode, link_note, map_lines, ok, open_link, raw_keys

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "schedules.py")


@pytest.fixture(scope="module")
def page():
    at = AppTest.from_file(PAGE, default_timeout=60)
    return at.run()


def fresh():
    return AppTest.from_file(PAGE, default_timeout=60).run()


# The browser's charts carry values as float32 (figures.packed: 7 digits, more than a hover's 4): each drawn η_t
# is the exact one rounded to the nearest float32, within half a unit in the last place.
F4_RTOL = 2.0 ** -24


def curve(spec):
    (trace,) = spec["data"]
    return decode(trace["x"]).astype(np.int64), decode(trace["y"])


@pytest.mark.parametrize("kind", optimizers.schedule_names())
def test_every_schedule_kind_renders_its_plot_latex_and_description(page, kind):
    ok(page)
    spec = chart(page, f"eta_{kind}")
    t, eta = curve(spec)
    schedule = optimizers.schedule(kind)
    assert len(t) >= 2 and np.isfinite(eta).all()
    np.testing.assert_allclose(eta, schedule(t, 1.0), rtol=F4_RTOL)
    if t[-1] + 1 <= MAX_POINTS:  # every step drawn: the line passes through η_t at each (straight stretches by their ends)
        every = np.arange(t[-1] + 1)
        log = spec["layout"]["yaxis"].get("type") == "log"
        drawn = np.interp(every, t, np.log10(eta) if log else eta)
        np.testing.assert_allclose(10 ** drawn if log else drawn, schedule(every, 1.0), rtol=1e-7, atol=1e-12)
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
    np.testing.assert_allclose(eta, optimizers.schedule("step", gamma=0.5)(t, 1.0), rtol=F4_RTOL)
    at.slider(key="sched_transformer_warmup").set_value(1000).run()
    t, eta = curve(chart(at, "eta_transformer"))
    assert t[np.argmax(eta)] == 999  # the peak moves to update warmup − 1
    at.select_slider(key="sched_lr").set_value(0.1).run()
    ok(at)
    t, eta = curve(chart(at, "eta_cosine"))
    np.testing.assert_allclose(eta, optimizers.schedule("cosine")(t, 0.1), rtol=F4_RTOL)


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


def test_typed_markup_is_shown_as_text():
    at = fresh()
    typed = "**Exam answers:** [click](http://evil.example/x) ![t](http://evil.example/p.png)"
    at.text_input(key="sched_multistep_milestones").set_value(typed).run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert f"milestones = {quote(typed)} is not whole numbers separated by commas" in error
    assert error.count(typed) == 1  # only inside the code span


def test_warm_up_explanation_and_radam_pointer(page):
    text = " ".join(m.value for m in page.markdown)
    assert "unreliable" in text and "RAdam" in text and "radam" in text


@pytest.mark.parametrize("demo, labels", [
    (ADAGRAD_DECAY, ("converged", "converged")),
    (ADAM_WARMUP, ("still moving", "converged")),
])
def test_demos_draw_both_paths_and_say_what_happened(page, demo, labels):
    spec = chart(page, f"demo_{demo.key}")
    lines = map_lines(spec)
    assert [t["name"] for t in lines] == [run.label() for run in demo.runs]
    for line in lines:
        np.testing.assert_allclose([decode(line["x"])[0], decode(line["y"])[0]], demo.start)
    assert not spec.get("frames")  # no animation
    rows = next(d.value for d in page.dataframe if list(d.value["run"]) == [r.label() for r in demo.runs])
    assert tuple(rows["outcome"]) == labels  # the end-point verdict, which the Adagrad demo's text explains
    finals = rows["final loss"].astype(float)
    if demo.counts_bursts:  # the schedule turns repeated bursts into a calm stay at the minimum
        assert tuple(rows["bursts up the wall"]) == (3, 0)
    else:  # the schedule turns a bad end into a good one
        assert finals[0] > 0.1 and finals[1] < 1e-6


def floor_excursions(y, floor=1e-3, height=0.1):
    """(start, peak) of each climb above ``height`` after the run was on the floor (|θ₂| < ``floor``): a plain loop."""
    out, was_on_floor, climbing = [], False, False
    for t, a in enumerate(np.abs(y)):
        if climbing:
            out[-1][1] = max(out[-1][1], a)
            climbing = a >= floor
        elif a < floor:
            was_on_floor = True
        elif was_on_floor and a > height:
            out.append([t, a])
            climbing = True
    return out


def test_the_demo_story_numbers(page):
    from lab.schedules_demo import demo_runs

    text = " ".join(m.value for m in page.markdown)
    constant, decayed = demo_runs(ADAGRAD_DECAY)
    climbs = floor_excursions(constant.path[:, 1])
    assert len(climbs) == 3 and floor_excursions(decayed.path[:, 1]) == []
    (first, peak) = climbs[0]
    assert f"at step {first:,} the run leaps up the wall to |θ₂| = {peak:.2f}" in text  # Adagrad's burst
    assert "at step 379 the run leaps up the wall to |θ₂| = 0.71" in text and "3 bursts in 2,000 steps" in text
    for run in (constant, decayed):  # "both runs reach the valley floor within 100 steps"
        assert np.argmax(np.abs(run.path[:, 1]) < 1e-3) <= 100
    assert np.abs(decayed.path[100:, 1]).max() < 1e-3  # "no burst"
    assert "out of the window at step 1,031" in text  # Adam without warm-up


# ----------------------------------------------------------------- links and languages
def reopen(query, **extra):
    return open_link(PAGE, query, **extra)


def test_a_link_reopens_the_same_view():
    at = ok(fresh())
    at.select_slider(key="sched_lr").set_value(0.1)
    at.slider(key="sched_step_gamma").set_value(0.5)
    at.text_input(key="sched_multistep_milestones").set_value("100, 250")
    at.select_slider(key="sched_transformer_d_model").set_value(256)
    at.select_slider(key="sched_cosine_horizon").set_value(5_000).run()
    ok(at)
    link = dict(at.query_params)
    assert link == {"sched_lr": "0.1", "sched_step_gamma": "0.5", "sched_multistep_milestones": "100, 250",
                    "sched_transformer_d_model": "256", "sched_cosine_horizon": "5000"}
    other = ok(reopen(link))
    assert not other.warning
    for kind in optimizers.schedule_names():
        t, eta = curve(chart(other, f"eta_{kind}"))
        np.testing.assert_array_equal(t, curve(chart(at, f"eta_{kind}"))[0])
        np.testing.assert_array_equal(eta, curve(chart(at, f"eta_{kind}"))[1])
    t, eta = curve(chart(other, "eta_multistep"))
    np.testing.assert_allclose(eta, optimizers.schedule("multistep", milestones=(100, 250))(t, 0.1), rtol=F4_RTOL)
    assert t.max() == 1_500 and curve(chart(other, "eta_cosine"))[0].max() == 5_000


def test_a_bad_link_is_reported_and_the_defaults_apply():
    at = ok(reopen({"sched_step_gamma": "7", "sched_transformer_d_model": "100", "sched_lr": "0.5", "x": "1"}))
    (note,) = [w.value for w in at.warning]
    for part in (link_note("sched_step_gamma", "7") + " is not a number from 0.01 to 0.99",
                 link_note("sched_transformer_d_model", "100"),
                 link_note("x", "1") + " is not a setting of this page"):
        assert part in note
    assert at.slider(key="sched_step_gamma").value == pytest.approx(0.1)
    assert at.select_slider(key="sched_lr").value == 0.5  # the good value is kept
    t, eta = curve(chart(at, "eta_step"))
    np.testing.assert_allclose(eta, optimizers.schedule("step")(t, 0.5), rtol=1e-12)


def test_the_page_in_chinese():
    at = ok(reopen({}, lang="zh-TW"))
    assert [t.value for t in at.title] == ["學習率排程"]
    assert not raw_keys(at, "zh-TW")
    assert any(m.value.startswith("#### 階梯式衰減") for m in at.markdown)
    assert any(i18n.text("schedule.cosine.description", "zh-TW") in c.value for c in at.caption)
    assert any("直到第 379 步，軌跡衝上山壁，到了 |θ₂| = 0.71" in m.value for m in at.markdown)  # numbers filled in
    spec = chart(at, "demo_adagrad_decay")
    assert [t["name"] for t in map_lines(spec)] == [
        "Adagrad（課程版），η = 0.1 固定", "Adagrad（課程版），η_t = 0.1/√(t+1)"]
    assert "最小值" in [t.get("name") for t in spec["data"]]  # the map's own words too
    rows = next(d.value for d in at.dataframe if "軌跡" in d.value.columns)
    assert tuple(rows["結果"]) == ("收斂", "收斂") and tuple(rows["衝上山壁的次數"]) == (3, 0)
    assert at.slider(key="sched_step_gamma").help == i18n.text("schedules.param.gamma", "zh-TW")


def test_no_raw_keys_in_english_and_every_parameter_has_help(page):
    assert not raw_keys(page)
    for kind in optimizers.schedule_names():
        for name, _ in optimizers.schedule(kind).params:
            key = f"sched_{kind}_{name}"
            widget = next(w for kinds in (page.slider, page.select_slider, page.text_input) for w in kinds
                          if w.key == key)
            assert widget.help == param_help(kind, name)


def test_figure_and_demo_words_follow_the_language():
    from figures.schedule_plot import schedule_figure

    fig = schedule_figure(optimizers.schedule("cosine"), [0.1, 0.2], 100, lang="zh-TW")
    assert fig.layout.yaxis.title.text == "η_t（lr = 0.1，2 個掃描值中的第一個）"
    assert schedule_figure(optimizers.schedule("cosine"), [0.1, 0.2], 100).layout.yaxis.title.text == \
        "η_t (lr = 0.1, first of 2 swept)"
    assert title("resnet", "zh-TW") == "ResNet 的暖身（He 等人）"
    assert [run.label("zh-TW") for run in ADAM_WARMUP.runs] == ["Adam η = 0.3，不暖身", "Adam η = 0.3，暖身 100 步"]
