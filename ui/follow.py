"""Following the instructor, on every page: the banner, the poll, the question and the answer (UI only).

``ui.page.setup`` calls ``begin(page)`` before the page reads its link: it joins a room the link
names, opens the instructor's latest view for a student who follows, and draws the banner that
says whether the session follows (for the instructor: the room's code and *Send my view*). For a
student it also draws the open question and starts the poll.

Following: a view is a page and its link parameters without the language, the room and
presentation mode (``lab.room.view_query``); opening one drops this page's linked values
(``links.forget``) and switches to the page with the view's parameters, so the page's link
handling reads them as from a link.

Polling: a fragment that draws nothing reruns every ``room.POLL_S`` seconds and reads the room's
state (one row). It acts only on a change: a newer view (for a follower) opens it; a new question,
a closed room or a store that went away or came back reruns the page, so that the banner and the
question are drawn anew.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import streamlit as st

from classroom import BadInput, NoQuestion, NotInstructor, RoomClosed, RoomFull, RoomGone, StoreDown, TooSoon
from lab import room as R
from lab.untrusted import quote
from ui import links
from ui.i18n import KEY as LANG_KEY
from ui.i18n import t
from ui.room import (BOARD, NAME_LIMIT, POLL_S, STATE, Member, board_link, guarded, join_dialog, join_from_link,
                     join_link, leave, member, read, room_error, rooms)

PAGES = Path(__file__).resolve().parents[1] / "pages"


def begin(page: str) -> None:
    """Before the page reads its link: join from the link, follow, and draw the room's banner."""
    st.session_state[STATE + "_page"] = page
    join_from_link()
    note = st.session_state.pop(STATE + "_note", None)
    if note:
        getattr(st, note[0])(note[1])
    m = member()
    if m is None:
        return
    state, problem = read(m.code)
    _follow(m, state, page)
    m.shown = _shown(m, state, problem)
    if m.leads:
        _instructor_bar(m, state, problem, page)
        return
    _student_banner(m, state, problem)
    if state is not None and not problem and state.question:
        _question_panel(m, state, page)
    _poll(page)


def open_view(page_now: str, page: str, query: dict, *, in_fragment: bool = False) -> None:
    """Open view (``page``, ``query``) in place of this page; this session's language, room and presentation
    mode stay as they are. In a full run on the same page it takes effect in this run; otherwise the page reruns."""
    keep = {k: st.query_params[k] for k in (LANG_KEY, R.ROOM_KEY, "present") if k in st.query_params}
    target = {**R.view_query(query), **keep}
    if page == page_now:
        if target == st.query_params.to_dict() and not in_fragment:
            return
        links.forget()
        st.query_params.from_dict(target)
        if in_fragment:
            st.rerun(scope="app")
        return
    if not (PAGES / f"{page}.py").is_file():
        return  # not a page of this app: stay
    links.forget()
    try:
        st.switch_page(f"pages/{page}.py", query_params=target)
    except st.errors.StreamlitAPIException:  # a page run on its own (AppTest) has no other page to switch to
        pass


def _follow(m: Member, state, page: str, in_fragment: bool = False) -> None:
    """Open the instructor's latest view if this follower has not opened it yet."""
    if m.leads or not m.following or state is None or state.closed or state.view_version <= m.seen_view:
        return
    m.seen_view = state.view_version
    if state.view_version > 0:
        open_view(page, state.view_page, R.decode(state.view_query), in_fragment=in_fragment)


def _shown(m: Member, state, problem: str) -> tuple:
    return problem, state.question_version if state else -1


@st.fragment(run_every=POLL_S)
def _poll(page: str) -> None:
    """A student's poll: one read of the room; nothing drawn."""
    m = member()
    if m is None or m.leads:
        return
    state, problem = read(m.code)
    _follow(m, state, page, in_fragment=True)
    if _shown(m, state, problem) != m.shown:
        st.rerun(scope="app")


def _problem_note(m: Member, problem: str) -> None:
    if problem == "down":
        st.warning(t("room.store_down", code=m.code))
    elif problem == "gone":
        st.warning(t("room.gone", code=m.code))
    elif problem == "closed":
        st.warning(t("room.closed", code=m.code))
    if problem in ("gone", "closed"):
        if st.button(t("room.leave"), key="_room_leave_banner"):
            leave()
            st.rerun()


def _student_banner(m: Member, state, problem: str) -> None:
    with st.container(key="room-banner"):
        if problem:
            _problem_note(m, problem)
            return
        text, button = (("room.following", "room.stop_following") if m.following
                        else ("room.exploring", "room.follow_again"))
        c1, c2 = st.columns([4, 1], vertical_alignment="center")
        (c1.info if m.following else c1.warning)(t(text, code=m.code), icon="📡" if m.following else "🧭")
        if c2.button(t(button), key="_room_follow_switch", width="stretch"):
            m.following = not m.following
            m.seen_view = -1  # following again opens the instructor's current view
            st.rerun()


def _instructor_bar(m: Member, state, problem: str, page: str) -> None:
    with st.container(key="room-instructor"):
        if problem:
            _problem_note(m, problem)
            return
        c1, c2, c3, c4 = st.columns([3, 2, 2, 2], vertical_alignment="center")
        c1.success(t("room.lead", code=m.code, runs=state.runs), icon="🎓")
        if page != BOARD and c2.button(t("room.send"), key="_room_send", type="primary", width="stretch",
                                       help=t("room.send_help")):
            _send(m, page)
        if c3.button(t("room.show_code"), key="_room_show_code", width="stretch"):
            join_dialog(m.code, join_link(m.code, page))
        with c4:
            board_link()
        if m.last_sent:
            st.caption(t("room.sent", time=m.last_sent))


def _send(m: Member, page: str) -> None:
    try:
        guarded(lambda: rooms().push(m.code, m.secret, page, R.encode(R.view_query(st.query_params.to_dict()))))
        m.last_sent = time.strftime("%H:%M:%S")
    except (StoreDown, RoomGone, RoomClosed, NotInstructor, BadInput) as exc:
        st.error(room_error(exc))


def _question_panel(m: Member, state, page: str) -> None:
    try:
        question = R.Question.from_json(state.question)
    except ValueError:
        return  # not a question this app wrote: nothing to answer
    with st.container(border=True, key="room-question"):
        st.markdown(t("room.question_title"))
        st.text(question.text or t("room.question_untitled"))
        st.caption(t("room.question_fields", fields=", ".join(question.label(k) for k in question.keys),
                     page=t(f"nav.{question.page}")))
        if page != question.page:
            if st.button(t("room.open_question"), key="_room_open_question"):
                open_view(page, question.page, question.view)
            return
        _answer_form(m, question, state.question_version, page)


@st.fragment
def _answer_form(m: Member, question: R.Question, version: int, page: str) -> None:
    """Name and Submit; a fragment, so that submitting reruns only this box, not the page's figures."""
    c1, c2, c3 = st.columns([3, 1, 2], vertical_alignment="bottom")
    name = c1.text_input(t("room.name"), key="_room_name", max_chars=NAME_LIMIT, placeholder=t("room.name_placeholder"),
                         help=t("room.name_help", n=NAME_LIMIT))
    if c2.button(t("room.submit"), key="_room_submit", type="primary", width="stretch"):
        _submit(m, question, version, page, name)
    if c3.button(t("room.open_question_view"), key="_room_reset_view", help=t("room.open_question_view_help")):
        open_view(page, question.page, question.view, in_fragment=True)


def _submit(m: Member, question: R.Question, version: int, page: str, name: str) -> None:
    try:
        values = R.answer(question, page, st.query_params.to_dict())
        run_id = guarded(lambda: rooms().submit(m.code, m.submitter, name, json.dumps(values), version))
    except (R.Refused, StoreDown, RoomGone, RoomClosed, TooSoon, RoomFull, NoQuestion, BadInput) as exc:
        st.error(room_error(exc))
        return
    shown = ", ".join(f"{question.label(k)} = {v}" for k, v in values.items())
    st.success(t("room.submitted", n=run_id, values=quote(shown), name=quote(name.strip()) if name.strip() else
                 t("room.no_name")))
