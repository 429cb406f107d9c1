"""Descent Lab: the entry point. It only sets up the page and routes.

Start with ``scripts/start`` (or ``python -m streamlit run app.py``). A new
page is one file in pages/, one ``st.Page`` line below and its title in the
catalogs (i18n/*.toml, table ``[nav]``).
"""
import streamlit as st

from ui.i18n import lang, t

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
)

lang()  # the language from the link, before any title is drawn
presenting = st.session_state.get("present", st.query_params.get("present") in ("1", "true", "on"))
st.set_page_config(page_title=t("app.name"), layout="wide",
                   initial_sidebar_state="collapsed" if presenting else "auto")

st.navigation([
    st.Page(f"pages/{stem}.py", title=t(f"nav.{stem}"), icon=icon, default=stem == "home")
    for stem, icon in PAGES
]).run()
