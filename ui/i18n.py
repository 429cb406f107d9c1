"""The language of this session: read from the link (?lang=zh-TW), switchable in the sidebar."""
from __future__ import annotations

import streamlit as st

import i18n

KEY = "lang"


_last = {"lang": i18n.DEFAULT}  # see lang(): only read outside a script run


def lang() -> str:
    """The session's language: the picker's value, else the link's ``lang``, else English.

    Outside a script run (AppTest calls a widget's ``format_func`` there) there is no session:
    the language of the last run stands in, so formatted options still match."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return _last["lang"]
    value = st.session_state.get(KEY)  # one look-up: t() asks for the language a hundred times a run
    if value is None:
        value = st.session_state[KEY] = i18n.valid(st.query_params.get(KEY))
    _last["lang"] = i18n.valid(value)
    return _last["lang"]


def unknown_language() -> str | None:
    """The link's ``lang`` when it names no catalog (the page lists it among the ignored settings)."""
    asked = st.query_params.get(KEY)
    return asked if asked is not None and asked not in i18n.LANGUAGES else None


def t(key: str, /, **fields) -> str:
    """``key``'s text in the session's language."""
    return i18n.text(key, lang(), **fields)


def language_picker() -> None:
    """A language switch in the sidebar, kept in the link so that a shared link opens in it."""
    lang()
    st.sidebar.radio(t("app.language"), list(i18n.LANGUAGES), key=KEY, horizontal=True,
                     format_func=i18n.LANGUAGES.get, help=t("app.language_help"))
    chosen = st.session_state[KEY]
    if chosen == i18n.DEFAULT:
        st.query_params.pop(KEY, None)
    elif st.query_params.get(KEY) != chosen:
        st.query_params[KEY] = chosen
