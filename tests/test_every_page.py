"""Every page, in both languages, from a small link: no exception, and every control explains itself."""
from __future__ import annotations

from pathlib import Path

import pytest

import i18n
from tests.apptest_helpers import ok, open_link, raw_keys

PAGES = Path(__file__).resolve().parents[1] / "pages"
SMALL = {  # links that keep each page's work small
    "home": {},
    "tour": {},
    "playground": {"steps": "1000"},
    "sweep": {"steps": "500", "n_rates": "5"},
    "basins": {"basin_n": "10", "basin_steps": "100"},
    "schedules": {},
    "batch_timing": {},
    "noisy_gradients": {"noisy_epochs": "2"},
    "generalization": {"gen_batches": "16,1437", "gen_epochs": "1", "gen_hidden": "8", "gen_toy_runs": "100",
                       "gen_toy_steps": "100"},
    "board": {},
}
WIDGETS = ("selectbox", "select_slider", "slider", "number_input", "toggle", "radio", "checkbox", "multiselect",
           "text_input", "button", "download_button", "file_uploader")


def test_the_list_covers_every_page():
    assert sorted(SMALL) == sorted(p.stem for p in PAGES.glob("*.py"))


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
@pytest.mark.parametrize("page", list(SMALL))
def test_page_runs_and_every_setting_has_a_tooltip(page, lang):
    at = ok(open_link(str(PAGES / f"{page}.py"), SMALL[page], timeout=120, lang=lang))
    ignored = i18n.text("links.ignored", lang).split("{")[0]
    assert not [w.value for w in at.warning if w.value.startswith(ignored)]  # the small link was understood
    settings = [w for kind in WIDGETS if kind not in ("button", "download_button") for w in at.get(kind)]
    assert settings or page == "home"
    assert [w.label for w in settings if not (getattr(w, "help", None) or w.proto.help)] == []
    assert raw_keys(at, lang) == []
