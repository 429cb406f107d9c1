"""The lecture tour: scenes are valid data, every scene opens its set-up, the page steps through them."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import i18n
from lab import tour
from lab.playground import view_from_link
from tests.apptest_helpers import ok

SCENES = tour.scenes()


def test_the_scenes_file_has_the_lecture_order_and_every_language():
    ids = [s.id for s in SCENES]
    assert ids.index("bowl_bounce") < ids.index("adagrad_bursts") < ids.index("adagrad_decay") \
        < ids.index("crescent_rmsprop") < ids.index("warmup")
    for scene in SCENES:
        for code in i18n.LANGUAGES:
            assert scene.title(code) and len(scene.explanation(code)) > 40


def test_a_broken_scene_is_named_in_the_message():
    good = {"id": "x", "page": "playground", "text": {c: {"title": "t", "text": "b"} for c in i18n.LANGUAGES}}
    assert tour.parse({"scene": [good]}, {"playground"})[0].id == "x"
    with pytest.raises(ValueError, match=r"scene 1 \(x\): page='nope' is not a page"):
        tour.parse({"scene": [{**good, "page": "nope"}]}, {"playground"})
    with pytest.raises(ValueError, match="missing in zh-TW"):
        tour.parse({"scene": [{**good, "text": {"en": {"title": "t", "text": "b"}}}]}, {"playground"})
    with pytest.raises(ValueError, match="field 'page' is missing"):
        tour.parse({"scene": [{"id": "y", "text": {}}]})


@pytest.mark.parametrize("scene", SCENES, ids=[s.id for s in SCENES])
def test_every_scene_opens_its_page_with_every_setting_used(scene):
    at = AppTest.from_file(f"../pages/{scene.page}.py", default_timeout=300)  # Generalization trains a while
    for key, value in scene.query("zh-TW").items():
        at.query_params[key] = value
    ok(at.run())
    ignored = i18n.text("links.ignored", "zh-TW").split("{")[0]  # the note a link with unusable settings gets
    assert not [w.value for w in at.warning if w.value.startswith(ignored)]
    if scene.page == "playground":  # and the page shows what the tour's preview computed
        view = view_from_link(dict(scene.link))
        assert at.select_slider(key="steps").value == view.steps
        assert [at.selectbox(key=f"run{i}_optimizer").value for i in range(len(view.runs))] == \
            [r.optimizer for r in view.runs]


def test_the_tour_steps_and_opens_the_playground_with_the_scene():
    at = AppTest.from_file("../app.py", default_timeout=120).run()
    at.switch_page("pages/tour.py").run()
    ok(at)
    assert at.header[0].value.startswith("1 / ")
    at.button[1].click().run()  # next
    assert at.header[0].value.startswith("2 / ") and at.query_params["scene"] == "1"
    at.button(key="open_scene").click().run()
    ok(at)
    assert at.title[0].value == i18n.text("playground.title")
    assert at.select_slider(key="steps").value == 100_000 and at.number_input(key="n_runs").value == 1
