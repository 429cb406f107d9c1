"""Class board: every run the class submitted, on one map, against the chosen setting, in a table (instructor)."""
from __future__ import annotations

import streamlit as st

from classroom import NotInstructor, RoomClosed, RoomGone, StoreDown
from figures.board import board_map, outcome_chart
from figures.packed import split
from lab import board as B
from lab.playground import view_from_link
from lab.room import Question
from lab.sweep import label_text
from optimizers import outcomes
from ui import room
from ui.i18n import lang, t
from ui.page import finish, setup
from ui.plot import show

setup("board")

CHART = {"displaylogo": False}


@st.cache_resource(show_spinner=False)
def answer_cache():
    """Simulated answers shared by this process's boards (read-only results)."""
    return B.AnswerCache()


@st.fragment(run_every=room.POLL_S)
def watch(code: str, seen: tuple) -> None:
    """Reruns the board when a run arrives, the runs are cleared, the question changes or the store comes and goes."""
    try:
        state = room.rooms().state(code)
        now = (state.runs_version, state.question_version, state.closed)
    except (StoreDown, RoomGone) as exc:
        now = (type(exc).__name__,)
    if now != seen:
        st.rerun(scope="app")


def stop_here() -> None:
    finish()
    st.stop()


def names() -> dict:
    return {o: label_text(o, lang()) for o in outcomes.OUTCOMES}


st.title(t("board.title"))
member = room.member()
if member is None or not member.leads:
    st.info(t("board.not_instructor"))
    stop_here()

try:
    state = room.rooms().instructor(member.code, member.secret)
except (StoreDown, RoomGone, RoomClosed, NotInstructor) as exc:
    st.warning(room.room_error(exc))
    if isinstance(exc, StoreDown):
        watch(member.code, ("StoreDown",))
    stop_here()
seen = (state.runs_version, state.question_version, state.closed)

with st.expander(t("board.join"), expanded=not state.question):
    room.join_card(member.code, room.join_link(member.code, "board"))

if not state.question:
    st.info(t("board.no_question", page=t("nav.playground")))
    watch(member.code, seen)
    stop_here()
try:
    question = Question.from_json(state.question)
except ValueError:
    st.error(t("board.bad_question"))
    stop_here()

st.subheader(t("board.question"))
st.text(question.text or t("room.question_untitled"))
st.caption(t("room.question_fields", fields=", ".join(question.label(k) for k in question.keys),
             page=t(f"nav.{question.page}")))

try:
    runs = room.rooms().runs(member.code, member.secret)
except (StoreDown, RoomGone, RoomClosed, NotInstructor) as exc:
    st.warning(room.room_error(exc))
    watch(member.code, seen)
    stop_here()

bar = st.empty()
entries = B.entries(question, runs, answer_cache(), state.question_version,
                    progress=lambda f: bar.progress(min(max(f, 0.0), 1.0), text=t("board.simulating", n=len(runs))))
bar.empty()
counts = B.counts(entries)
st.caption(t("board.summary", n=len(entries), counts=t("board.count_sep").join(
    t("board.count", n=n, label=names()[o]) for o, n in counts.items() if n) or t("board.none_yet"),
    limit=f"{room.MAX_RUNS:,}"))

if not entries:
    st.info(t("board.waiting"))
else:
    view = view_from_link(question.view)
    surface = view.build_surface()
    distinct = {id(e.answer): e for e in entries if e.answer is not None}  # same values, same run: drawn once
    paths: dict = {}
    for e in distinct.values():
        paths.setdefault(e.answer.outcome, []).append(e.answer.path)
    starts = {tuple(e.answer.path[0]) for e in distinct.values() if len(e.answer.path)}
    show(split(board_map(surface, paths, names(), sorted(starts), lang=lang())), config=CHART, key="board_map")
    st.caption(t("board.map_caption", shown=len(distinct), n=len(entries)))

    st.subheader(t("board.outcomes"))
    setting = question.keys[0]
    if len(question.keys) > 1:
        setting = st.selectbox(t("board.setting"), question.keys, key="board_setting", format_func=question.label,
                               help=t("board.setting_help"))
    numbers = B.numeric(question, setting, entries)
    answered = [e for e in entries if e.answer is not None]
    if numbers is not None:
        values = [float(v) for v, e in zip(numbers, entries) if e.answer is not None]
    else:
        values = [e.values.get(setting, "") for e in answered]
    show(split(outcome_chart(values, [e.answer.outcome for e in answered], names(), question.label(setting),
                             lang=lang())), config=CHART, key="board_outcomes")
    st.caption(t("board.outcomes_caption"))

    st.subheader(t("board.table"))
    columns = {k: t(f"board.column.{k}") for k in B.COLUMN_KEYS}
    st.dataframe(B.table(question, entries, columns, lang()), hide_index=True, column_config={
        columns["name"]: st.column_config.TextColumn(),
        columns["final_loss"]: st.column_config.NumberColumn(format="%.4e")})
    st.download_button(t("board.download"), B.to_csv(question, entries), file_name=f"class-{member.code}.csv",
                       mime="text/csv", key="board_download", help=t("board.download_help"))

with st.expander(t("board.manage")):
    sure = st.checkbox(t("board.sure"), key="board_sure", help=t("board.sure_help"))
    for column, action in zip(st.columns(2), ("clear", "close")):
        if column.button(t(f"board.{action}"), key=f"board_{action}", disabled=not sure):
            try:
                getattr(room.rooms(), action)(member.code, member.secret)
            except (StoreDown, RoomGone, RoomClosed, NotInstructor) as exc:
                st.error(room.room_error(exc))
            else:
                st.rerun()

watch(member.code, seen)
finish()
