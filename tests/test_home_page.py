"""The home page under AppTest: the app routes to it, and the page runs alone with one thumbnail per surface."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

import i18n
import surfaces
from figures.thumbnail import thumbnail_png
from tests.apptest_helpers import chart_specs, link_note, media, raw_keys

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 60


def test_app_entry_shows_the_home_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Descent Lab"]
    assert len(thumbnails(at)) == len(surfaces.names())


def thumbnails(at) -> list[bytes]:
    """The PNG bytes of each image on the page, in order."""
    return [media(image.url) for element in at.get("image") for image in element.proto.imgs]


def test_home_page_runs_alone_with_each_surfaces_thumbnail():
    at = AppTest.from_file(str(ROOT / "pages" / "home.py"), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Descent Lab"]
    assert thumbnails(at) == [thumbnail_png(surfaces.get(name)) for name in surfaces.names()]
    assert not chart_specs(at)  # no chart on Home: a rerun converts none


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


def test_home_page_second_run_builds_nothing_and_shows_the_same_images():
    """Each thumbnail is built once per process: the second run (and a second visitor) shows the same images
    (same bytes, same URL) without building any."""
    thumbnail_png.cache_clear()
    at = AppTest.from_file(str(ROOT / "pages" / "home.py"), default_timeout=TIMEOUT_S).run()
    first = [image.url for element in at.get("image") for image in element.proto.imgs]
    assert thumbnail_png.cache_info().misses == len(surfaces.names())
    at.run()
    other = AppTest.from_file(str(ROOT / "pages" / "home.py"), default_timeout=TIMEOUT_S).run()
    assert not at.exception and not other.exception
    assert thumbnail_png.cache_info().misses == len(surfaces.names())  # nothing built again
    for run in (at, other):
        assert [image.url for element in run.get("image") for image in element.proto.imgs] == first


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
    assert thumbnails(other) == thumbnails(at)


def test_a_bad_link_is_reported():
    at = open_home(present="maybe", surface="bowl", lang="fr")
    assert not at.exception
    (note,) = [w.value for w in at.warning]
    assert link_note("present", "maybe") + " is not on or off" in note
    assert link_note("surface", "bowl") + " is not a setting of this page" in note
    assert at.toggle(key="present").value is False and at.radio(key="lang").value == "en"
    assert len(thumbnails(at)) == len(surfaces.names())


def test_the_page_in_chinese():
    at = open_home(lang="zh-TW")
    assert not at.exception
    assert not raw_keys(at, "zh-TW")
    assert at.header[0].value == "誤差曲面"
    text = "\n".join(m.value for m in at.markdown)
    assert "李宏毅" in text and "**狹長的碗**" in text and ":blue-badge[課程]" in text
    captions = "\n".join(c.value for c in at.caption)
    assert i18n.text("surface.saddle.description", "zh-TW") in captions
    alts = [image.alt for element in at.get("image") for image in element.proto.imgs]
    assert alts[0] == i18n.text("surface.bowl.title", "zh-TW") == "狹長的碗"  # what a screen reader says


def test_no_raw_keys_in_english():
    assert not raw_keys(open_home())
