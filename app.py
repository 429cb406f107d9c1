"""Descent Lab: the entry point. It only sets up the page and routes.

Start with ``scripts/start`` (or ``python -m streamlit run app.py``). A new
page is one file in pages/, one ``st.Page`` line below and its title in the
catalogs (i18n/*.toml, table ``[nav]``).
"""
import streamlit as st

from lab.links import bool_field
from ui.i18n import lang, t
from ui.page import PRESENT_KEY

PAGES = (  # (file, icon); the title is t("nav.<file stem>")
    ("home", "🏠"),
    ("tour", "🎓"),
    ("playground", "🎢"),
    ("sweep", "📈"),
    ("basins", "🗺️"),
    ("schedules", "📉"),
    ("batch_timing", "⏱️"),
    ("noisy_gradients", "🎲"),
    ("generalization", "🎯"),
    ("board", "📋"),
)


def link_presents() -> bool:
    """Whether the link turns presentation mode on, read as its switch reads it."""
    try:
        return bool_field(PRESENT_KEY, False).parse(st.query_params.get(PRESENT_KEY, "0"))
    except ValueError:
        return False  # the page names the bad value in its note


lang()  # the language from the link, before any title is drawn
presenting = st.session_state.get(PRESENT_KEY, link_presents())
st.set_page_config(page_title=t("app.name"), layout="wide",
                   initial_sidebar_state="collapsed" if presenting else "auto")

st.navigation([
    st.Page(f"pages/{stem}.py", title=t(f"nav.{stem}"), icon=icon, default=stem == "home")
    for stem, icon in PAGES
]).run()
