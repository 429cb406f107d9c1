"""Links that reproduce a view: every linked widget's value lives in the page's query string.

A page draws its widgets through the functions below instead of calling Streamlit directly.
On the page's first run in a session, values from the link are checked against the widget's
own range or options and put into session state before the widget is drawn; a value that does
not fit is replaced by the default, and a parameter no widget claims is ignored: both are
listed in a note at the top of the page (every name and value from the link shown through
lab.untrusted.quote, never as Markdown). After the widgets, ``sync`` writes every value that
differs from its default back to the URL, so the address bar is always a link to this view.
The parsing and formatting rules are in lab.links (no Streamlit there).
"""
from __future__ import annotations

import streamlit as st

import i18n
from lab import links as L
from lab.room import ROOM_KEY
from lab.untrusted import quote
from ui.i18n import KEY as LANG_KEY
from ui.i18n import t, unknown_language

STATE = "_links"  # per session: {"page", "pending", "notes", "fields", "labels"}
KEEP = (LANG_KEY, ROOM_KEY)  # parameters owned elsewhere (the language picker, the class room)


def begin(page: str) -> None:
    """Start a run of ``page``: on its first run in this session, take the link's values."""
    state = st.session_state.get(STATE)
    if state is None or state["page"] != page:
        pending = {k: st.query_params.get_all(k)[-1] for k in st.query_params if k not in KEEP}
        state = {"page": page, "pending": pending, "notes": [], "seeded": False}
        st.session_state[STATE] = state
        if unknown_language() is not None:  # read now: the language picker drops it from the URL
            state["notes"].append(t("links.bad", key=quote(LANG_KEY), raw=quote(unknown_language()),
                                    allowed=t("links.choices", choices=", ".join(i18n.LANGUAGES))))
    state["fields"], state["labels"] = {}, {}
    st.session_state[STATE + "_note_box"] = st.empty()


def forget() -> None:
    """Drop this page's linked values, so that the next run takes every value from the link (or its default)
    as a page opened anew does."""
    state = st.session_state.pop(STATE, None)
    for key in (state or {}).get("fields", {}):
        st.session_state.pop(key, None)


def fields() -> tuple[dict, dict]:
    """``({key: Field}, {key: label})`` of the widgets this run of the page has drawn so far."""
    state = st.session_state.get(STATE) or {}
    return dict(state.get("fields", {})), dict(state.get("labels", {}))


def _register(field: L.Field, label: str = "") -> None:
    state = st.session_state[STATE]
    state["fields"][field.key] = field
    state["labels"][field.key] = label or field.key
    raw = state["pending"].pop(field.key, None)
    if raw is not None:
        try:
            st.session_state[field.key] = field.parse(raw)
        except L.LinkValueError as exc:
            state["notes"].append(t("links.bad", key=quote(exc.key), raw=quote(exc.raw),
                                    allowed=t(f"links.{exc.rule}", **exc.fields)))
    if field.key not in st.session_state:
        st.session_state[field.key] = field.default


def select(widget, label: str, options, default, key: str, **kwargs):
    """A choice among ``options`` (st.selectbox, st.radio, st.select_slider, st.segmented_control)."""
    options = list(options)
    _register(L.choice_field(key, options, default, kwargs.get("format_func")), label)
    return widget(label, options, key=key, **kwargs)


def slider(label: str, lo, hi, default, step, key: str, **kwargs):
    _register(L.number_field(key, lo, hi, default), label)
    return st.slider(label, lo, hi, step=step, key=key, **kwargs)


def number(label: str, lo, hi, default, key: str, **kwargs):
    _register(L.number_field(key, lo, hi, default), label)
    return st.number_input(label, lo, hi, key=key, **kwargs)


def switch(widget, label: str, default: bool, key: str, **kwargs):
    """An on/off widget (st.toggle or st.checkbox)."""
    _register(L.bool_field(key, default), label)
    return widget(label, key=key, **kwargs)


def text(label: str, default: str, key: str, max_length: int = 200, **kwargs):
    """A line of text; a link's value longer than ``max_length`` is not taken (and named in the note)."""
    _register(L.text_field(key, default, max_length), label)
    return st.text_input(label, key=key, **kwargs)


def multiselect(label: str, options, default, key: str, **kwargs):
    options = list(options)
    _register(L.many_field(key, options, default, kwargs.get("format_func")), label)
    return st.multiselect(label, options, key=key, **kwargs)


def sync() -> None:
    """After the widgets: report what the link could not use, and write this view into the URL."""
    state = st.session_state[STATE]
    if not state["seeded"]:
        # names and values both come from the link: shown as text, never as Markdown
        state["notes"] += [t("links.unknown", key=quote(k), raw=quote(v)) for k, v in state["pending"].items()]
        state["pending"], state["seeded"] = {}, True
    if state["notes"]:
        st.session_state[STATE + "_note_box"].warning(t("links.ignored", items=t("links.separator").join(state["notes"])))
    wanted = L.query(state["fields"], st.session_state)
    for k in KEEP:
        if k in st.query_params:
            wanted[k] = st.query_params[k]
    if wanted != {k: st.query_params[k] for k in st.query_params}:
        st.query_params.from_dict(wanted)
