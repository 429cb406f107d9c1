"""The sidebar's class-room panel on every page: start or join a room; the instructor's tools (UI only).

``ui.page.setup`` keeps the panel's place (``slot``) and ``ui.page.finish`` fills it (``end``) once the
page's widgets are drawn, because the question form offers the page's own settings: for the
instructor, the private link, *Ask the class* (on pages that collect runs) and leaving the room.
"""
from __future__ import annotations

import time

import streamlit as st

from classroom import BadInput, NotInstructor, RoomClosed, RoomGone, StoreDown, codes
from lab import room as R
from lab.untrusted import quote
from ui import links
from ui.i18n import t
from ui.room import STATE, Member, guarded, instructor_link, join, leave, member, room_error, rooms


def slot() -> None:
    """Keep the class room's place in the sidebar (filled by ``end`` once the page's widgets are known)."""
    st.session_state[STATE + "_slot"] = st.sidebar.container()


def end() -> None:
    """After the page's widgets: the class room's panel in the sidebar."""
    slot = st.session_state.get(STATE + "_slot")
    page = st.session_state.get(STATE + "_page", "")
    if slot is None:
        return
    m = member()
    with slot:
        with st.expander(t("room.panel") if m is None else t("room.panel_in", code=m.code),
                         expanded=m is not None and m.leads):
            if m is None:
                _start_or_join(page)
            elif m.leads:
                _instructor_tools(m, page)
            else:
                if st.button(t("room.leave"), key="_room_leave"):
                    leave()
                    st.rerun()


def _start_or_join(page: str) -> None:
    if st.button(t("room.start"), key="_room_start", help=t("room.start_help")):
        try:
            code, secret = guarded(lambda: rooms().open())
        except StoreDown:
            st.error(t("room.store_down_action"))
            return
        st.session_state[STATE] = Member(code, secret)
        st.query_params[R.ROOM_KEY] = code
        st.rerun()
    typed = st.text_input(t("room.code"), key="_room_code", max_chars=12, placeholder="ABC234",
                          help=t("room.code_help", n=codes.CODE_LENGTH))
    if st.button(t("room.join"), key="_room_join") and typed.strip():
        code = codes.normal_code(typed)
        if code is None:
            st.error(t("room.bad_code", code=quote(typed), n=codes.CODE_LENGTH))
        elif join(code):
            st.rerun()
        else:
            note = st.session_state.pop(STATE + "_note", None)
            if note:
                getattr(st, note[0])(note[1])


def _instructor_tools(m: Member, page: str) -> None:
    if st.toggle(t("room.show_secret"), key="_room_show_secret", help=t("room.show_secret_help")):
        st.code(instructor_link(m, page), language=None, wrap_lines=True)
    if page in R.PAGES:
        _question_form(m, page)
    else:
        st.caption(t("room.ask_where", page=t("nav.playground")))
    if st.button(t("room.leave_lead"), key="_room_leave", help=t("room.leave_lead_help")):
        leave()
        st.rerun()


def _question_form(m: Member, page: str) -> None:
    fields, labels = links.fields()
    keys = R.allowed_keys(page, fields)
    if not keys:
        return
    st.markdown(t("room.ask_title"))
    text = st.text_input(t("room.ask_text"), key="_room_ask_text", max_chars=R.MAX_TEXT,
                         placeholder=t("room.ask_placeholder"), help=t("room.ask_text_help", n=R.MAX_TEXT))
    default = [k for k in keys if k.endswith("_lr")][:1]
    # The options follow the page's settings (another optimizer, other keys): a key of their own for each set.
    chosen = st.multiselect(t("room.ask_fields"), keys, default=default, key=f"_room_ask_fields_{hash(tuple(keys))}",
                            format_func=lambda k: f"{labels.get(k, k)} · {k}", help=t("room.ask_fields_help"))
    if st.button(t("room.ask"), key="_room_ask", type="primary", help=t("room.ask_help")):
        try:
            question = R.ask(text, page, st.query_params.to_dict(), fields, labels, chosen)
            guarded(lambda: rooms().ask(m.code, m.secret, question.to_json()))
            guarded(lambda: rooms().push(m.code, m.secret, page, R.encode(question.view)))
            m.last_sent = time.strftime("%H:%M:%S")
            st.success(t("room.asked"))
        except (R.Refused, StoreDown, RoomGone, RoomClosed, NotInstructor, BadInput) as exc:
            st.error(room_error(exc))
