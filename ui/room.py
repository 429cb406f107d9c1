"""Class rooms in the app: this session's membership, the store, links, messages, the join card (UI only).

A session joins a room from a link (``?room=CODE``; the instructor's link adds
``&room_key=SECRET``, read once and dropped from the address, so that it never
shows on a projector) or from the sidebar. ``ui.follow`` draws the banner and
follows the instructor; ``ui.room_panel`` draws the sidebar's class-room
panel; ``pages/board.py`` is the instructor's class board. The rules (who may
do what, the limits) are in ``classroom``; a question and its answers in
``lab.room``.
"""
from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass, field

import streamlit as st

from classroom import (MAX_NAME, MAX_RUNS, BadInput, NoQuestion, NotInstructor, RoomClosed, RoomFull, RoomGone,
                       Rooms, StoreDown, TooSoon, codes)
from classroom.config import ENV as STORE_ENV
from classroom.config import STATE_ENV, open_store
from lab import room as R
from lab.untrusted import quote
from ui.i18n import t

STATE = "_room"
POLL_S = 1.0  # seconds between a student's polls: a sent view arrives within about this plus one page run
RETRY_S = 3.0  # after the store failed, this process leaves it alone this long (a dead Redis would stall every poll)
PUBLIC_URL_ENV = "DESCENT_LAB_PUBLIC_URL"  # the address students reach, when the instructor's differs (localhost)
BOARD = "board"
NAME_LIMIT = MAX_NAME  # characters of a display name (the store's limit, also the text box's)
_down: dict = {}  # per process and store setting: (until when to leave it alone, why)
_stores: dict = {}  # per process: store setting -> (Rooms or None, why not)
_stores_lock = threading.Lock()


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


def guarded(action):
    """``action()``; a StoreDown also keeps this process off the store for RETRY_S seconds."""
    try:
        return action()
    except StoreDown as exc:
        _down[_setting()] = (time.monotonic() + RETRY_S, str(exc))
        raise


def member() -> Member | None:
    return st.session_state.get(STATE)


def read(code: str):
    """(the room's state or None, the problem: "" or "down", "gone", "closed")."""
    try:
        state = guarded(lambda: rooms().state(code))
    except StoreDown:
        return None, "down"
    except RoomGone:
        return None, "gone"
    return state, "closed" if state.closed else ""


def _base_url(page: str) -> str:
    """The app's address as the browser sees it (or PUBLIC_URL_ENV), without the page."""
    url = os.environ.get(PUBLIC_URL_ENV) or st.context.url or ""
    url = url.rstrip("/")
    return url[: -len(page) - 1] if page and url.endswith("/" + page) else url


def join_link(code: str, page: str) -> str:
    return f"{_base_url(page)}/?{R.ROOM_KEY}={code}"


def instructor_link(m: Member, page: str) -> str:
    return f"{join_link(m.code, page)}&{R.SECRET_KEY}={m.secret}"


def join_from_link() -> None:
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
        drop_room_param()
        st.session_state[STATE + "_note"] = ("error", t("room.bad_code", code=quote(raw), n=codes.CODE_LENGTH))
        return
    join(code, secret)


def drop_room_param() -> None:
    if R.ROOM_KEY in st.query_params:
        del st.query_params[R.ROOM_KEY]


def join(code: str, secret: str | None = None) -> bool:
    """Join room ``code`` (as its instructor when ``secret`` is its secret); a note says what went wrong."""
    note = None
    try:
        state = guarded(lambda: rooms().live(code))
        lead = None
        if secret is not None:
            try:
                guarded(lambda: rooms().instructor(code, secret))
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
    drop_room_param()
    st.session_state[STATE + "_note"] = note
    return False


def leave() -> None:
    st.session_state.pop(STATE, None)
    drop_room_param()


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
