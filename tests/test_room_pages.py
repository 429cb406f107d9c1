"""Class rooms in the pages (AppTest): start, join, follow, ask, submit, the board; bad input and a store that is down."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import i18n
from classroom import Rooms
from classroom.config import open_store
from lab.room import Question
from lab.untrusted import quote
from tests.apptest_helpers import browser_charts, ok
from serving.deploy import free_ports
from ui.room import STATE, Member

PAGES = Path(__file__).resolve().parents[1] / "pages"
PLAYGROUND = {"steps": "1000", "n_runs": "1"}  # a small view: one run of GD on the bowl, 1,000 steps
LR = "run0_gd_lr"


@pytest.fixture
def store_url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'rooms.sqlite3'}"
    monkeypatch.setenv("DESCENT_LAB_STORE", url)
    return url


@pytest.fixture
def rooms(store_url):
    return Rooms(open_store(store_url))


def page(name: str, query=None, session=None, lang="en"):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=120)
    for k, v in {**(query or {}), **({"lang": lang} if lang != "en" else {})}.items():
        at.query_params[k] = str(v)
    for k, v in (session or {}).items():
        at.session_state[k] = v
    return at.run()


def texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "info", "warning", "error", "success", "caption", "text")
                     for e in getattr(at, kind))


def button(at, key):
    return next(b for b in at.button if b.key == key)


def ask(rooms, code, secret, text="choose η", query=PLAYGROUND, keys=(LR,)):
    from lab import links as L
    from lab.controls import LR_OPTIONS
    from lab.room import ask as make

    fields = {LR: L.choice_field(LR, list(LR_OPTIONS), 0.01), "steps": L.choice_field("steps", [1000, 10000], 10000)}
    question = make(text, "playground", query, fields, {LR: "η", "steps": "steps"}, keys)
    version = rooms.ask(code, secret, question.to_json())
    rooms.push(code, secret, "playground", "&".join(f"{k}={v}" for k, v in query.items()))
    return question, version


# ----------------------------------------------------------------- starting and joining
def test_starting_a_room_makes_this_session_its_instructor_with_the_code_in_the_link(store_url):
    at = page("home")
    button(at, "_room_start").click()
    at.run()
    ok(at)
    member = at.session_state[STATE]
    assert member.leads and at.query_params["room"] == member.code
    assert i18n.text("room.lead", code=member.code, runs=0) in texts(at)
    assert Rooms(open_store(store_url)).instructor(member.code, member.secret).code == member.code


def test_a_join_link_makes_a_follower_and_the_secret_link_an_instructor_without_the_secret_in_the_address(rooms):
    code, secret = rooms.open()
    student = ok(page("home", {"room": code.lower()}))
    assert not student.session_state[STATE].leads and student.session_state[STATE].following
    assert i18n.text("room.following", code=code) in texts(student)
    teacher = ok(page("home", {"room": code, "room_key": secret}))
    assert teacher.session_state[STATE].leads
    assert "room_key" not in teacher.query_params and teacher.query_params["room"] == code


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_a_forged_secret_joins_as_a_student_and_says_so(rooms, lang):
    code, _ = rooms.open()
    at = ok(page("home", {"room": code, "room_key": "forged" * 6}, lang=lang))
    assert not at.session_state[STATE].leads
    assert i18n.text("room.forged_secret", lang, code=code) in texts(at)
    assert "room_key" not in at.query_params


@pytest.mark.parametrize("raw, key", [("ZZZZZZ", "room.unknown_code"), ("<b>x</b>", "room.bad_code")])
def test_an_unknown_or_malformed_code_is_named_as_text_and_nothing_breaks(rooms, raw, key):
    at = page("home", {"room": raw})
    assert not at.exception and STATE not in at.session_state
    shown = [e.value for e in at.error]
    assert len(shown) == 1 and "`" in shown[0] and raw in shown[0]  # echoed as a code span, never as markup
    assert "room" not in at.query_params


def test_an_expired_room_is_unknown(store_url):
    import time as real_time
    rooms = Rooms(open_store(store_url), clock=lambda: real_time.time() - 25 * 3600)
    code, _ = rooms.open()
    at = page("home", {"room": code})
    assert not at.exception and STATE not in at.session_state and i18n.text("room.unknown_code", code=f"` {code} `") in texts(at)


def test_a_store_that_is_down_is_reported_and_the_page_still_works(monkeypatch):
    monkeypatch.setenv("DESCENT_LAB_STORE", f"redis://127.0.0.1:{free_ports()}/0")
    at = page("home")
    button(at, "_room_start").click()
    at.run()
    assert not at.exception and STATE not in at.session_state
    assert [e.value for e in at.error] == [i18n.text("room.store_down_action")]
    assert at.title  # the page itself is drawn
    follower = page("home", {"room": "ABCDEF"})
    assert not follower.exception and i18n.text("room.store_down_join") in texts(follower)


def test_a_member_whose_store_goes_down_keeps_the_page_and_is_told(rooms, monkeypatch):
    code, _ = rooms.open()
    monkeypatch.setenv("DESCENT_LAB_STORE", f"redis://127.0.0.1:{free_ports()}/0")
    at = ok(page("playground", PLAYGROUND, session={STATE: Member(code)}))
    assert i18n.text("room.store_down", code=code) in texts(at)
    assert "map" in browser_charts(at)  # the Playground drew its map


# ----------------------------------------------------------------- following
def test_a_follower_opens_the_view_sent_in_its_own_language(rooms):
    code, secret = rooms.open()
    rooms.push(code, secret, "playground", "steps=1000&n_runs=1&run0_gd_lr=0.1&lang=en&present=1")
    at = ok(page("playground", {"room": code}, lang="zh-TW"))
    assert at.query_params["run0_gd_lr"] == "0.1" and at.query_params["steps"] == "1000"
    assert at.query_params["lang"] == "zh-TW" and "present" not in at.query_params  # the student's own
    assert next(s for s in at.select_slider if s.key == LR).value == 0.1
    assert at.session_state[STATE].seen_view == 1


def test_a_student_who_stops_following_keeps_their_view_and_following_again_opens_the_instructors(rooms):
    code, secret = rooms.open()
    rooms.push(code, secret, "playground", "steps=1000&n_runs=1&run0_gd_lr=0.1")
    at = ok(page("playground", {"room": code}))
    button(at, "_room_follow_switch").click()
    at.run()
    assert not at.session_state[STATE].following
    assert i18n.text("room.exploring", code=code) in texts(at)
    rooms.push(code, secret, "playground", "steps=1000&n_runs=1&run0_gd_lr=0.001")
    at.run()
    assert at.query_params["run0_gd_lr"] == "0.1"  # not following: the new view did not open
    button(at, "_room_follow_switch").click()
    at.run()
    ok(at)
    assert at.session_state[STATE].following and at.query_params["run0_gd_lr"] == "0.001"
    assert next(s for s in at.select_slider if s.key == LR).value == 0.001


def test_only_the_instructors_session_shows_the_send_button(rooms):
    code, secret = rooms.open()
    student = ok(page("playground", PLAYGROUND, session={STATE: Member(code)}))
    assert not [b for b in student.button if b.key == "_room_send"]
    teacher = ok(page("playground", PLAYGROUND, session={STATE: Member(code, secret)}))
    button(teacher, "_room_send").click()
    teacher.run()
    state = rooms.state(code)
    assert (state.view_page, state.view_version) == ("playground", 1)
    assert dict(p.split("=") for p in state.view_query.split("&")) == PLAYGROUND


def test_a_session_holding_a_forged_secret_cannot_send(rooms):
    code, _ = rooms.open()
    at = ok(page("playground", PLAYGROUND, session={STATE: Member(code, "forged" * 6)}))
    button(at, "_room_send").click()
    at.run()
    assert [e.value for e in at.error] == [i18n.text("room.not_instructor")]
    assert rooms.state(code).view_version == 0


# ----------------------------------------------------------------- asking and answering
def test_the_instructor_asks_from_the_playground_and_the_view_is_sent(rooms):
    code, secret = rooms.open()
    at = ok(page("playground", PLAYGROUND, session={STATE: Member(code, secret)}))
    next(t for t in at.text_input if t.key == "_room_ask_text").input("One run of GD: choose η")
    at.run()
    assert next(m for m in at.multiselect if m.key.startswith("_room_ask_fields")).value == [LR]
    button(at, "_room_ask").click()
    at.run()
    ok(at)
    state = rooms.state(code)
    question = Question.from_json(state.question)
    assert question.text == "One run of GD: choose η" and question.keys == (LR,) and question.view == PLAYGROUND
    assert state.view_version == 1 and state.view_page == "playground"


def submit(at, name=""):
    next(t for t in at.text_input if t.key == "_room_name").input(name)
    button(at, "_room_submit").click()
    return at.run()


def test_a_student_submits_their_run_with_a_name_shown_only_as_text(rooms):
    code, secret = rooms.open()
    ask(rooms, code, secret)
    at = ok(page("playground", {**PLAYGROUND, LR: "0.001"}, session={STATE: Member(code, following=False)}))
    markup = "<img src=x onerror=alert(1)>"
    submit(at, markup)
    ok(at)
    [run] = rooms.runs(code, secret)
    assert json.loads(run.params) == {LR: "0.001"} and run.name == markup
    [shown] = [s.value for s in at.success]
    assert shown == i18n.text("room.submitted", n=run.id, values=quote("η = 0.001"), name=quote(markup))


def test_a_second_submission_within_two_seconds_is_refused_with_the_wait(rooms):
    code, secret = rooms.open()
    ask(rooms, code, secret)
    at = ok(page("playground", {**PLAYGROUND, "room": code}))
    submit(at)
    submit(at)
    assert len(rooms.runs(code, secret)) == 1
    [refusal] = [e.value for e in at.error]
    assert refusal.startswith(i18n.text("room.too_soon", seconds="X").split("X")[0])


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_a_view_changed_outside_the_allowed_settings_is_refused_naming_the_setting(rooms, lang):
    code, secret = rooms.open()
    ask(rooms, code, secret)
    at = ok(page("playground", {"steps": "10000", "n_runs": "1"}, session={STATE: Member(code, following=False)},
                 lang=lang))
    submit(at)
    assert rooms.runs(code, secret) == []
    assert [e.value for e in at.error] == [i18n.text("room.refused.other_settings", lang, keys="` steps `")]


def test_a_value_outside_the_allowed_range_is_refused(rooms):
    """A hostile client can send any link; the allowed setting is checked against its own rule."""
    from lab.room import Refused, answer

    code, secret = rooms.open()
    question, _ = ask(rooms, code, secret)
    with pytest.raises(Refused) as refused:
        answer(question, "playground", {**PLAYGROUND, LR: "1e9"})
    assert refused.value.rule == "value" and refused.value.fields["raw"] == "1e9"
    with pytest.raises(Refused) as refused:
        answer(question, "sweep", PLAYGROUND)
    assert refused.value.rule == "other_page"


# ----------------------------------------------------------------- the board
def test_the_board_is_the_instructors_only(rooms):
    code, secret = rooms.open()
    ask(rooms, code, secret)
    rooms.submit(code, "ab" * 8, "Ann", json.dumps({LR: "0.1"}), 1)
    student = ok(page("board", session={STATE: Member(code, following=False)}))
    assert [e.value for e in student.info] == [i18n.text("board.not_instructor")]
    assert not student.dataframe and "Ann" not in texts(student)
    nobody = ok(page("board"))
    assert [e.value for e in nobody.info] == [i18n.text("board.not_instructor")]


def test_the_board_shows_every_run_labelled_in_a_table_a_map_a_chart_and_a_csv(rooms):
    code, secret = rooms.open()
    _, version = ask(rooms, code, secret)
    rates = ["1e-05", "0.01", "0.01", "0.001"]
    for i, rate in enumerate(rates):
        rooms.submit(code, f"{i + 1:016x}", f"=cmd{i}" if i == 0 else f"s{i}", json.dumps({LR: rate}), version)
    at = ok(page("board", session={STATE: Member(code, secret)}))
    frame = at.dataframe[0].value
    assert list(frame[i18n.text("board.column.name")]) == ["=cmd0", "s1", "s2", "s3"]
    assert list(frame["η"]) == rates
    from lab.board import simulate_answer
    from lab.room import Question as Q
    from lab.sweep import label_text
    question = Q.from_json(rooms.state(code).question)
    expected = [label_text(simulate_answer(question, {LR: r}).outcome) for r in rates]
    assert list(frame[i18n.text("board.column.outcome")]) == expected
    charts = browser_charts(at)  # drawn in the browser like every other chart
    assert list(charts) == ["board_map", "board_outcomes"]
    drawn = {t["name"]: t for t in charts["board_map"]["data"] if t.get("mode") == "lines" and t.get("x")}
    assert sorted(drawn) == sorted({label_text(simulate_answer(question, {LR: r}).outcome) for r in rates})
    assert [d.proto.id.rsplit("-", 1)[-1] for d in at.get("download_button")] == ["board_download"]
    from optimizers.outcomes import OUTCOMES
    counted = [(o, expected.count(label_text(o))) for o in OUTCOMES]
    summary = i18n.text("board.summary", n=4, limit="1,000", counts=i18n.text("board.count_sep").join(
        i18n.text("board.count", n=n, label=label_text(o)) for o, n in counted if n))
    assert summary in [c.value for c in at.caption]


def test_the_board_csv_keeps_names_as_text_and_every_run(rooms):
    from lab import board as B

    code, secret = rooms.open()
    question, version = ask(rooms, code, secret)
    rooms.submit(code, "1" * 16, "=HYPERLINK(\"x\")", json.dumps({LR: "0.1"}), version)
    rooms.submit(code, "2" * 16, "@SUM(A1)", json.dumps({LR: "1e-05"}), version)
    entries = B.entries(question, rooms.runs(code, secret), B.AnswerCache(), version)
    lines = B.to_csv(question, entries).splitlines()
    header = lines.index(next(line for line in lines if line.startswith("run,")))
    rows = lines[header + 1:]
    assert len(rows) == 2 and "'=HYPERLINK" in rows[0] and "'@SUM" in rows[1]


def test_clearing_the_board_needs_the_confirmation_and_removes_every_run(rooms):
    code, secret = rooms.open()
    _, version = ask(rooms, code, secret)
    rooms.submit(code, "1" * 16, "", json.dumps({LR: "0.1"}), version)
    at = ok(page("board", session={STATE: Member(code, secret)}))
    assert button(at, "board_clear").disabled and button(at, "board_close").disabled
    next(c for c in at.checkbox if c.key == "board_sure").check()
    at.run()
    button(at, "board_clear").click()
    at.run()
    ok(at)
    assert rooms.runs(code, secret) == [] and not at.dataframe
    assert i18n.text("board.waiting") in texts(at)
