"""The home page under AppTest: the app routes to it, and the page runs alone with one chart per surface."""
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

import i18n
import surfaces
from tests.apptest_helpers import chart_specs, decode, raw_keys

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 60


def test_app_entry_shows_the_home_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Descent Lab"]
    assert len(chart_specs(at)) == len(surfaces.names())


def test_home_page_runs_alone_with_one_finite_chart_per_surface():
    at = AppTest.from_file(str(ROOT / "pages" / "home.py"), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Descent Lab"]
    specs = chart_specs(at)
    assert len(specs) == len(surfaces.names())
    for name, spec in zip(surfaces.names(), specs):
        contours = [trace for trace in spec["data"] if trace["type"] == "contour"]
        assert len(contours) == 1, name
        z = decode(contours[0]["z"])
        assert z.ndim == 2 and z.size > 0, name
        assert np.isfinite(z).all(), name
        for trace in spec["data"]:
            for key in ("x", "y"):
                if key in trace:
                    assert np.isfinite(decode(trace[key])).all(), (name, trace.get("name"), key)
        assert spec["layout"]["showlegend"] is False


def test_home_page_shows_each_surface_and_the_update_rule():
    at = AppTest.from_file(str(ROOT / "pages" / "home.py"), default_timeout=TIMEOUT_S).run()
    latex = [element.value.strip("$\n") for element in at.latex]
    assert any(r"\frac{\eta_t}{\sigma_t} \odot m_t" in body for body in latex)
    text = "\n".join(element.value for element in at.markdown)
    captions = "\n".join(element.value for element in at.caption)
    for name in surfaces.names():
        s = surfaces.get(name)
        assert s.title in text, name
        assert s.description in captions, name
        assert f"${s.latex}$" in text, name


def test_home_page_second_run_uses_the_cache():
    at = AppTest.from_file(str(ROOT / "pages" / "home.py"), default_timeout=TIMEOUT_S).run()
    first = chart_specs(at)
    at.run()
    assert not at.exception
    assert chart_specs(at) == first


# ----------------------------------------------------------------- links and languages
def open_home(**query):
    at = AppTest.from_file(str(ROOT / "pages" / "home.py"), default_timeout=TIMEOUT_S)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def test_a_link_reopens_the_same_view():
    at = open_home()
    at.toggle(key="present").set_value(True)
    at.radio(key="lang").set_value("zh-TW").run()
    assert not at.exception
    link = dict(at.query_params)
    assert link == {"present": "1", "lang": "zh-TW"}
    other = open_home(**link)
    assert not other.exception and not other.warning
    assert other.toggle(key="present").value is True and other.radio(key="lang").value == "zh-TW"
    assert [t.value for t in other.title] == [t.value for t in at.title]
    assert chart_specs(other) == chart_specs(at)


def test_a_bad_link_is_reported():
    at = open_home(present="maybe", surface="bowl", lang="fr")
    assert not at.exception
    (note,) = [w.value for w in at.warning]
    assert "present='maybe' is not on or off" in note and "surface='bowl' is not a setting of this page" in note
    assert at.toggle(key="present").value is False and at.radio(key="lang").value == "en"
    assert len(chart_specs(at)) == len(surfaces.names())


def test_the_page_in_chinese():
    at = open_home(lang="zh-TW")
    assert not at.exception
    assert not raw_keys(at, "zh-TW")
    assert at.header[0].value == "誤差曲面"
    text = "\n".join(m.value for m in at.markdown)
    assert "李宏毅" in text and "**狹長的碗**" in text and ":blue-badge[課程]" in text
    captions = "\n".join(c.value for c in at.caption)
    assert i18n.text("surface.saddle.description", "zh-TW") in captions
    hover = [t["hovertemplate"] for t in chart_specs(at)[0]["data"]]
    assert hover[0].startswith("(%{x:.3g}, %{y:.3g})<br>高度 log₁₀(L − L_min)") and hover[1].startswith("最小值<br>")


def test_no_raw_keys_in_english():
    assert not raw_keys(open_home())
