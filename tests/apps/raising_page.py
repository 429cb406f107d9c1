"""For tests/test_failures.py only: the Playground, and a page whose script raises on every run.

The app has no input that makes a page raise (bad settings are reported, not raised), so this
stands in for a bug: one student's page fails while the others keep working.
"""
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[2]


def raising_page():
    st.title("A page that raises")
    raise RuntimeError("a page that raises (tests/apps/raising_page.py)")


st.set_page_config(page_title="Descent Lab (test)", layout="wide")
st.navigation([
    st.Page(str(ROOT / "pages" / "playground.py"), title="Playground", url_path="playground", default=True),
    st.Page(raising_page, title="Raises", url_path="raises"),
]).run()
