"""Links that reproduce a view: every linked widget's value lives in the page's query string.

A page draws its widgets through the functions below instead of calling Streamlit directly.
On the page's first run in a session, values from the link are checked against the widget's
own range or options and put into session state before the widget is drawn; a value that does
not fit is replaced by the default, and a parameter no widget claims is ignored: both are
listed in a note at the top of the page (every name and value from the link shown through
lab.untrusted.quote, never as Markdown). After the widgets, ``sync`` writes every value that
differs from its default back to the URL, so the address bar is always a link to this view.
The parsing and formatting rules are in lab.links (no Streamlit there).

A panel that is built only while open (``ui.page.lazy``) does not draw its widgets when closed,
and Streamlit forgets the state of a widget it did not draw. Each value is therefore also kept
here at the end of a run; ``value(key, default)`` reads a setting whose widget is not drawn (and
keeps it in the link), and the widget starts from the kept value when its panel opens again.
``opened_by(prefixes)`` tells a page whether the link sets a value in a panel, so that the panel
opens and its widgets read the link.
"""
from __future__ import annotations

import streamlit as st

import i18n
from lab import links as L
from lab.room import ROOM_KEY
from lab.untrusted import quote
from ui.i18n import KEY as LANG_KEY
from ui.i18n import t, unknown_language

# per session: {"page", "pending", "notes", "seeded", "fields", "labels", "kept", "alive", "drawn_before"}
STATE = "_links"
KEEP = (LANG_KEY, ROOM_KEY)  # parameters owned elsewhere (the language picker, the class room)


def begin(page: str) -> None:
    """Start a run of ``page``: on its first run in this session, take the link's values."""
    state = st.session_state.get(STATE)
    if state is None or state["page"] != page:
        pending = {k: st.query_params.get_all(k)[-1] for k in st.query_params if k not in KEEP}
        state = {"page": page, "pending": pending, "notes": [], "seeded": False, "kept": {}}
        st.session_state[STATE] = state
        if unknown_language() is not None:  # read now: the language picker drops it from the URL
            state["notes"].append(t("links.bad", key=quote(LANG_KEY), raw=quote(unknown_language()),
                                    allowed=t("links.choices", choices=", ".join(i18n.LANGUAGES))))
    state["drawn_before"] = set(state.get("fields", ()))  # a key popped since was reset on purpose
    state["fields"], state["labels"], state["alive"] = {}, {}, set()
    st.session_state[STATE + "_note_box"] = st.empty()


def forget() -> None:
    """Drop this page's linked values, so that the next run takes every value from the link (or its default)
    as a page opened anew does."""
    state = st.session_state.pop(STATE, None) or {}
    for key in {*state.get("fields", {}), *state.get("kept", {})}:
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
        # A widget hidden in the last run (its panel closed) starts from its kept value; one drawn then
        # and gone now was reset by the page (a "default start" button), so it starts from its default.
        kept = None if field.key in state["drawn_before"] else state["kept"].get(field.key)
        st.session_state[field.key] = field.default if kept is None else kept[1]


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


def value(key: str, default):
    """The value of the linked setting ``key`` whose widget is not drawn in this run (its panel is
    closed): as last drawn or set, else ``default``. It stays in the link."""
    state = st.session_state[STATE]
    state["alive"].add(key)
    found = st.session_state.get(key)
    if found is not None:
        return found
    kept = state["kept"].get(key)
    return default if kept is None else kept[1]


def opened_by(*prefixes: str) -> bool:
    """Whether the link this page opened with (not yet read) sets a setting whose key starts with one
    of ``prefixes``: the panel holding those settings opens, so that its widgets read them."""
    return any(k.startswith(prefixes) for k in st.session_state[STATE]["pending"])


def sync(notes: bool = True) -> None:
    """After the widgets: report what the link could not use (``notes``), and write this view into
    the URL. A fragment that ran on its own syncs without notes: their box lies outside it."""
    state = st.session_state[STATE]
    if notes and not state["seeded"]:
        # names and values both come from the link: shown as text, never as Markdown
        state["notes"] += [t("links.unknown", key=quote(k), raw=quote(v)) for k, v in state["pending"].items()]
        state["pending"], state["seeded"] = {}, True
    if notes and state["notes"]:
        st.session_state[STATE + "_note_box"].warning(t("links.ignored", items=t("links.separator").join(state["notes"])))
    # Values of widgets drawn now are kept; kept values read by value() stay; the rest are forgotten.
    kept = {k: v for k, v in state["kept"].items() if k in state["alive"]}
    kept.update((k, (field, st.session_state[k])) for k, field in state["fields"].items() if k in st.session_state)
    state["kept"] = kept
    wanted = L.query({k: field for k, (field, _) in kept.items()}, {k: v for k, (_, v) in kept.items()})
    for k in KEEP:
        if k in st.query_params:
            wanted[k] = st.query_params[k]
    if wanted != {k: st.query_params[k] for k in st.query_params}:
        st.query_params.from_dict(wanted)
