"""What every page does first: route through app.py, language, presentation mode, link state."""
from __future__ import annotations

from typing import Callable

import streamlit as st

from ui import follow, links, room_panel
from ui.i18n import language_picker, t
from ui.navigation import use_app_navigation

PRESENT_KEY = "present"
# Projectors: larger page text and thicker paths in every Plotly chart. CSS, so that cached figures stay
# as they are; Plotly's own text keeps its size (a CSS font size would overlap its legends).
# The charts drawn by ui.plot (class dl-chart) thicken their own lines, a casing under each path included.
PRESENTATION_CSS = """
<style>
html { font-size: 20px; }
.js-plotly-plot:not(.dl-chart) .scatterlayer .js-line { stroke-width: 3px !important; }
</style>
"""


def setup(page: str) -> None:
    """Call first on every page (``page`` names it in links and notes)."""
    use_app_navigation()
    follow.begin(page)  # a class room may open the instructor's view here, before the page reads its link
    links.begin(page)
    language_picker()
    if links.switch(st.sidebar.toggle, t("app.present"), False, PRESENT_KEY, help=t("app.present_help")):
        st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
    room_panel.slot()


def finish() -> None:
    """Call last: notes about the link, this view written into the URL, the class room's panel."""
    links.sync()
    room_panel.end()


def presenting() -> bool:
    """Whether presentation mode is on in this session."""
    return bool(st.session_state.get(PRESENT_KEY, False))


def lazy(label: str, key: str, body: Callable[[], object], opened_by: tuple = ()):
    """An expander whose ``body`` runs only while it is open (opening it reruns the page): a panel
    that is rarely opened costs a rerun nothing. ``key`` keeps it open across reruns; it starts open
    when the link sets a setting whose key starts with one of ``opened_by`` (see ui.links).
    Returns what ``body`` returned, or None while closed."""
    with st.expander(label, expanded=bool(opened_by) and links.opened_by(*opened_by), key=key,
                     on_change="rerun") as box:
        if box.open:
            return body()
    return None


def fragment_done() -> None:
    """Call last in a fragment (st.fragment) whose widgets are linked: when the fragment ran on its
    own, ``finish`` did not run, so this writes the view into the URL (without the link's notes,
    which sit outside the fragment)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is not None and ctx.fragment_ids_this_run:
        links.sync(notes=False)
