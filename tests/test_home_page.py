"""The home page under AppTest: the app routes to it, and the page runs alone with one chart per surface."""
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import chart_specs, decode

import surfaces

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 60


def test_app_entry_shows_the_home_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Descent Lab"]
    assert len(at.get("plotly_chart")) == len(surfaces.names())


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
