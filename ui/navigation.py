"""Deep links to a page on a fresh server.

Streamlit keeps a relic of its first multipage design: while no session has
yet called ``st.navigation``, a ``pages/`` folder next to app.py makes a link
such as ``/playground`` run that one file on its own, with a sidebar built
from the folder and without app.py's page config. The first session to run
app.py switches the server to ``st.navigation`` for good. A page that finds
itself started the old way switches the server over and reruns, so that
app.py routes to it (the page's URL, and so the link, stays the same).
"""
import streamlit as st


def use_app_navigation() -> None:
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
