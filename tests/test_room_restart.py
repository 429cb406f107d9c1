"""Restarting an app process loses no room and no run: they live in the store, not in the process."""
from __future__ import annotations

import json

import pytest

from classroom import Rooms
from classroom.config import open_store
from serving.loadtest import run_coroutine
from serving.protocol import Session, text_state
from tests.serving_helpers import app_server
from tests.test_room_pages import LR, PLAYGROUND, ask

pytestmark = pytest.mark.slow


async def submit_as_students(url: str, code: str, rates, names) -> list:
    """One student per rate: join from the link, follow into the question's view, set the rate, submit."""
    answers = []
    for rate, name in zip(rates, names):
        student = await Session.open(url, "", query_string=f"room={code}")
        joined = await student.run()
        assert joined.ok and student.page == "playground", joined.exceptions
        moved = await student.run([_rate_state(student, rate)])
        assert moved.ok, moved.exceptions
        result = await student.click("_room_submit", [text_state(student.widget("_room_name"), name)])
        assert result.ok and result.successes and not result.errors, (result.errors, result.alerts)
        answers.append(result.successes[0])
        await student.close()
    return answers


def _rate_state(session, rate):
    from serving.protocol import slider_state
    return slider_state(session.widget(LR), rate)


async def board_rows(url: str, code: str, secret: str) -> list[int]:
    teacher = await Session.open(url, "board", query_string=f"room={code}&room_key={secret}")
    result = await teacher.run()
    await teacher.close()
    assert result.ok, result.exceptions
    return result.tables


def test_rooms_and_runs_outlive_the_app_process(tmp_path, monkeypatch):
    monkeypatch.setenv("DESCENT_LAB_STORE", f"sqlite:///{tmp_path / 'rooms.sqlite3'}")
    rooms = Rooms(open_store())
    code, secret = rooms.open()
    ask(rooms, code, secret, query=PLAYGROUND)
    with app_server() as (url, _):
        run_coroutine(submit_as_students(url, code, ["0.001", "1e-05"], ["s0", "s1"]))
        assert run_coroutine(board_rows(url, code, secret)) == [2]
    with app_server() as (url, _):  # a new process on the same store
        assert run_coroutine(board_rows(url, code, secret)) == [2]
        run_coroutine(submit_as_students(url, code, ["0.1"], ["s2"]))
        assert run_coroutine(board_rows(url, code, secret)) == [3]
    runs = rooms.runs(code, secret)
    assert [json.loads(r.params)[LR] for r in runs] == ["0.001", "1e-05", "0.1"]
    assert [r.name for r in runs] == ["s0", "s1", "s2"]
