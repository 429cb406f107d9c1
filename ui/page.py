"""What every page does first: route through app.py, language, presentation mode, link state."""
from __future__ import annotations

import streamlit as st

from ui import follow, links, room_panel
from ui.i18n import language_picker, t
from ui.navigation import use_app_navigation

PRESENT_KEY = "present"
# Projectors: larger page text and thicker paths in every Plotly chart. CSS, so that cached figures stay
# as they are; Plotly's own text keeps its size (a CSS font size would overlap its legends).
PRESENTATION_CSS = """
<style>
html { font-size: 20px; }
.js-plotly-plot .scatterlayer .js-line { stroke-width: 3px !important; }
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
