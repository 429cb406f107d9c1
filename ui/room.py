"""Class rooms on every page: start or join one, follow the instructor, send a view, ask, answer (UI only).

``ui.page.setup`` calls ``begin(page)`` before the page reads its link, and
``ui.page.finish`` calls ``end(page)`` after the page's widgets:

- ``begin`` joins a room named in the link (``?room=CODE``; the instructor's
  ``&room_key=SECRET`` is read once and dropped from the address, so that it
  never shows on a projector), opens the instructor's latest view for a
  student who follows, and draws the banner that says whether the session
  follows. For a student it also draws the open question and starts the poll.
- ``end`` fills the sidebar's class-room panel: start or join a room; for the
  instructor the private link, the question form (on pages that collect runs)
  and closing the room.

Following: a view is a page and its link parameters without the language, the
room and presentation mode (``lab.room.view_query``); opening one drops this
page's linked values (``links.forget``) and switches to the page with the
view's parameters, so the page's link handling reads them as from a link.

Polling: a fragment that draws nothing reruns every ``POLL_S`` seconds and
reads the room's state (one row). It acts only on a change: a newer view (for
a follower) opens it; a new question, a closed room or a store that went away
or came back reruns the page so the banner and the question are redrawn.
"""
from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from classroom import (MAX_NAME, MAX_RUNS, BadInput, NoQuestion, NotInstructor, RoomClosed, RoomFull, RoomGone,
                       Rooms, StoreDown, TooSoon, codes)
from classroom.config import ENV as STORE_ENV
from classroom.config import STATE_ENV, open_store
from lab import room as R
from lab.untrusted import quote
from ui import links
from ui.i18n import KEY as LANG_KEY
from ui.i18n import t

STATE = "_room"
POLL_S = 1.0  # seconds between a student's polls: a sent view arrives within about this plus one page run
RETRY_S = 3.0  # after the store failed, this process leaves it alone this long (a dead Redis would stall every poll)
PUBLIC_URL_ENV = "DESCENT_LAB_PUBLIC_URL"  # the address students reach, when the instructor's differs (localhost)
BOARD = "board"
PAGES = Path(__file__).resolve().parents[1] / "pages"
_down: dict = {}  # per process and store setting: (until when to leave it alone, why)


@dataclass
class Member:
    """This session's place in a room."""
    code: str
    secret: str | None = None  # the instructor's secret (only the instructor's session holds it)
    following: bool = True
    seen_view: int = -1  # the view version this session last opened (-1: open the current one)
    shown: tuple = ()  # what the banner shows (problem, question version): the poll reruns the page when it changes
    submitter: str = field(default_factory=lambda: secrets.token_hex(8))  # a random id, for the 2-second gap
    last_sent: str = ""  # the instructor's last push, as a time of day

    @property
    def leads(self) -> bool:
        return self.secret is not None


# ----------------------------------------------------------------- the store
_stores: dict = {}  # per process: store setting -> (Rooms or None, why not)
_stores_lock = threading.Lock()


def _setting() -> tuple:
    """What decides the store: read from the environment on every call (cheap), so tests can change it."""
    return tuple(os.environ.get(k, "") for k in (STORE_ENV, STATE_ENV, "XDG_STATE_HOME", "HOME"))


def rooms() -> Rooms:
    """This process's rooms; StoreDown while the store failed in the last RETRY_S seconds or is misconfigured.

    A plain dictionary, not st.cache_resource: every student's poll calls this, and hashing the cache's key
    costs more than the poll's own read of the room."""
    setting = _setting()
    found = _stores.get(setting)
    if found is None:
        with _stores_lock:
            if setting not in _stores:
                try:
                    _stores[setting] = (Rooms(open_store(setting[0])), "")
                except ValueError as exc:
                    _stores[setting] = (None, str(exc))
            found = _stores[setting]
    if found[0] is None:
        raise StoreDown(found[1])
    until, reason = _down.get(setting, (0.0, ""))
    if time.monotonic() < until:
        raise StoreDown(reason)
    return found[0]


def _call(action):
    """``action()``; a StoreDown also keeps this process off the store for RETRY_S seconds."""
    try:
        return action()
    except StoreDown as exc:
        _down[_setting()] = (time.monotonic() + RETRY_S, str(exc))
        raise


def member() -> Member | None:
    return st.session_state.get(STATE)


def _read(code: str):
    """(the room's state or None, the problem: "" or "down", "gone", "closed")."""
    try:
        state = _call(lambda: rooms().state(code))
    except StoreDown:
        return None, "down"
    except RoomGone:
        return None, "gone"
    return state, "closed" if state.closed else ""


# ----------------------------------------------------------------- links
def _base_url(page: str) -> str:
    """The app's address as the browser sees it (or PUBLIC_URL_ENV), without the page."""
    url = os.environ.get(PUBLIC_URL_ENV) or st.context.url or ""
    url = url.rstrip("/")
    return url[: -len(page) - 1] if page and url.endswith("/" + page) else url


def join_link(code: str, page: str) -> str:
    return f"{_base_url(page)}/?{R.ROOM_KEY}={code}"


def instructor_link(m: Member, page: str) -> str:
    return f"{join_link(m.code, page)}&{R.SECRET_KEY}={m.secret}"


def _join_from_link() -> None:
    """Join the room the link names (as instructor when its secret matches); the secret leaves the address."""
    raw = st.query_params.get(R.ROOM_KEY)
    secret = st.query_params.get(R.SECRET_KEY)
    if secret is not None:
        del st.query_params[R.SECRET_KEY]
    if raw is None:
        return
    m = member()
    code = codes.normal_code(raw)
    if m is not None and code == m.code and (secret is None or m.leads):
        return
    if code is None:
        _drop_room_param()
        st.session_state[STATE + "_note"] = ("error", t("room.bad_code", code=quote(raw), n=codes.CODE_LENGTH))
        return
    _join(code, secret)


def _drop_room_param() -> None:
    if R.ROOM_KEY in st.query_params:
        del st.query_params[R.ROOM_KEY]


def _join(code: str, secret: str | None = None) -> bool:
    """Join room ``code`` (as its instructor when ``secret`` is its secret); a note says what went wrong."""
    note = None
    try:
        state = _call(lambda: rooms().live(code))
        lead = None
        if secret is not None:
            try:
                _call(lambda: rooms().instructor(code, secret))
                lead = secret
            except NotInstructor:
                note = ("warning", t("room.forged_secret", code=state.code))
        st.session_state[STATE] = Member(state.code, lead)
        st.query_params[R.ROOM_KEY] = state.code
        if note:
            st.session_state[STATE + "_note"] = note
        return True
    except RoomGone:
        note = ("error", t("room.unknown_code", code=quote(code)))
    except RoomClosed:
        note = ("error", t("room.closed_code", code=code))
    except StoreDown:
        note = ("warning", t("room.store_down_join"))
    _drop_room_param()
    st.session_state[STATE + "_note"] = note
    return False


def leave() -> None:
    st.session_state.pop(STATE, None)
    _drop_room_param()


# ----------------------------------------------------------------- following
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
    state, problem = _read(m.code)
    _follow(m, state, page, in_fragment=True)
    if _shown(m, state, problem) != m.shown:
        st.rerun(scope="app")


# ----------------------------------------------------------------- begin: the banner, the question
def begin(page: str) -> None:
    """Before the page reads its link: join from the link, follow, and draw the room's banner."""
    st.session_state[STATE + "_page"] = page
    _join_from_link()
    note = st.session_state.pop(STATE + "_note", None)
    if note:
        getattr(st, note[0])(note[1])
    m = member()
    if m is None:
        return
    state, problem = _read(m.code)
    _follow(m, state, page)
    m.shown = _shown(m, state, problem)
    if m.leads:
        _instructor_bar(m, state, problem, page)
        return
    _student_banner(m, state, problem)
    if state is not None and not problem and state.question:
        _question_panel(m, state, page)
    _poll(page)


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
        _call(lambda: rooms().push(m.code, m.secret, page, R.encode(R.view_query(st.query_params.to_dict()))))
        m.last_sent = time.strftime("%H:%M:%S")
    except (StoreDown, RoomGone, RoomClosed, NotInstructor, BadInput) as exc:
        st.error(room_error(exc))


def board_link() -> None:
    try:
        st.page_link(f"pages/{BOARD}.py", label=t("room.open_board"), icon="📋")
    except st.errors.StreamlitAPIException:  # a page run alone (tests) has no navigation to link into
        pass


def room_error(exc: Exception) -> str:
    """What went wrong with the room, in the page's language."""
    if isinstance(exc, StoreDown):
        return t("room.store_down_action")
    if isinstance(exc, RoomGone):
        return t("room.gone_action")
    if isinstance(exc, RoomClosed):
        return t("room.closed_action")
    if isinstance(exc, NotInstructor):
        return t("room.not_instructor")
    if isinstance(exc, TooSoon):
        return t("room.too_soon", seconds=f"{exc.wait_s:.1f}")
    if isinstance(exc, RoomFull):
        return t("room.full", n=MAX_RUNS)
    if isinstance(exc, NoQuestion):
        return t("room.question_changed")
    if isinstance(exc, BadInput):
        return t("room.name_too_long", n=MAX_NAME) if exc.key == "name" else t("room.bad_input", key=exc.key)
    if isinstance(exc, R.Refused):
        return refused_text(exc)
    return t("room.store_down_action")


def refused_text(exc: R.Refused) -> str:
    f = dict(exc.fields)
    if exc.rule == "value":
        allowed = t(f"links.{f.pop('link_rule')}", **f.pop("link_fields"))
        return t("room.refused.value", key=quote(f["key"]), raw=quote(f["raw"]), allowed=allowed)
    if exc.rule == "other_page":
        return t("room.refused.other_page", page=t(f"nav.{f['page']}"))
    if exc.rule in ("other_settings", "not_a_setting"):
        return t(f"room.refused.{exc.rule}", keys=quote(f["keys"]))
    return t(f"room.refused.{exc.rule}", **f)


# ----------------------------------------------------------------- the question, for students
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
    name = c1.text_input(t("room.name"), key="_room_name", max_chars=MAX_NAME, placeholder=t("room.name_placeholder"),
                         help=t("room.name_help", n=MAX_NAME))
    if c2.button(t("room.submit"), key="_room_submit", type="primary", width="stretch"):
        _submit(m, question, version, page, name)
    if c3.button(t("room.open_question_view"), key="_room_reset_view", help=t("room.open_question_view_help")):
        open_view(page, question.page, question.view, in_fragment=True)


def _submit(m: Member, question: R.Question, version: int, page: str, name: str) -> None:
    try:
        values = R.answer(question, page, st.query_params.to_dict())
        run_id = _call(lambda: rooms().submit(m.code, m.submitter, name, json.dumps(values), version))
    except (R.Refused, StoreDown, RoomGone, RoomClosed, TooSoon, RoomFull, NoQuestion, BadInput) as exc:
        st.error(room_error(exc))
        return
    shown = ", ".join(f"{question.label(k)} = {v}" for k, v in values.items())
    st.success(t("room.submitted", n=run_id, values=quote(shown), name=quote(name.strip()) if name.strip() else
                 t("room.no_name")))


# ----------------------------------------------------------------- the join card (dialog and board)
def join_card(code: str, link: str) -> None:
    """The code in large letters, the link as a QR code for a projector, and the link as text."""
    st.markdown(f"<div style='font-size:4.5rem;font-weight:700;letter-spacing:0.35em;text-align:center'>{code}</div>",
                unsafe_allow_html=True)  # code: checked against codes.ALPHABET, so nothing but capitals and digits
    if link.startswith(("http://", "https://")):
        _, middle, _ = st.columns([1, 2, 1])
        middle.image(qr_png(link), width="stretch")
        st.markdown(t("room.join_with", link=quote(link, limit=200)))
    else:
        st.caption(t("room.no_address"))


@st.cache_data(show_spinner=False, max_entries=64)
def qr_png(link: str) -> bytes:
    import io

    import segno

    buf = io.BytesIO()
    segno.make(link, error="m").save(buf, kind="png", scale=12, border=2)
    return buf.getvalue()


@st.dialog(" ", width="large")
def join_dialog(code: str, link: str) -> None:
    join_card(code, link)


# ----------------------------------------------------------------- end: the sidebar panel
def sidebar_slot() -> None:
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
            code, secret = _call(lambda: rooms().open())
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
        elif _join(code):
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
            _call(lambda: rooms().ask(m.code, m.secret, question.to_json()))
            _call(lambda: rooms().push(m.code, m.secret, page, R.encode(question.view)))
            m.last_sent = time.strftime("%H:%M:%S")
            st.success(t("room.asked"))
        except (R.Refused, StoreDown, RoomGone, RoomClosed, NotInstructor, BadInput) as exc:
            st.error(room_error(exc))
