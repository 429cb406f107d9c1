"""Descent Lab: the entry point. It only sets up the page and routes.

Start with ``scripts/start`` (or ``python -m streamlit run app.py``). A new
page is one file in pages/ and one ``st.Page`` line below.
"""
import streamlit as st

st.set_page_config(page_title="Descent Lab", layout="wide")

st.navigation([
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/playground.py", title="Playground", icon="🎢"),
    st.Page("pages/sweep.py", title="Learning-rate sweep", icon="📈"),
    st.Page("pages/basins.py", title="Basins", icon="🗺️"),
    st.Page("pages/schedules.py", title="Schedules", icon="📉"),
]).run()
