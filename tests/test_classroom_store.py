"""The room store, against SQLite and against a real Redis server: codes, secrets, permissions, limits, expiry."""
from __future__ import annotations

import json
import threading
import time

import pytest

from classroom import codes
from classroom.config import open_store
from classroom.sqlite_store import SQLiteStore
from classroom.store import (BadInput, NoQuestion, NotInstructor, RoomClosed, RoomFull, RoomGone, Rooms, StoreDown,
                             TooSoon)
from serving.deploy import free_ports

QUESTION = json.dumps({"text": "choose η", "page": "playground", "query": {}, "fields": {}})


class Clock:
    """A clock the test moves; it starts at the real time (Redis expires keys by its own clock)."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def make_store(request, tmp_path):
    """A function that opens a store on this test's storage; each call is a new client (as another process)."""
    if request.param == "sqlite":
        path = tmp_path / "rooms.sqlite3"
        return lambda: SQLiteStore(path)
    url = request.getfixturevalue("redis_url")
    prefix = f"test-{request.node.name}-{free_ports()}:"  # one server for the session: keys of their own per test

    def make():
        from classroom.redis_store import RedisStore
        return RedisStore(url, prefix=prefix)
    return make


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def rooms(make_store, clock):
    return Rooms(make_store(), clock=clock)


def opened(rooms):
    code, secret = rooms.open()
    rooms.ask(code, secret, QUESTION)
    return code, secret


# ----------------------------------------------------------------- codes and secrets
def test_code_alphabet_has_no_look_alikes_and_codes_use_only_it():
    assert not set("0O1IL") & set(codes.ALPHABET)
    assert len(set(codes.ALPHABET)) == len(codes.ALPHABET)
    for _ in range(200):
        code = codes.new_code()
        assert len(code) == codes.CODE_LENGTH == 6 and set(code) <= set(codes.ALPHABET)


@pytest.mark.parametrize("typed, expected", [("ab2c3d", "AB2C3D"), (" ab2-c3d ", "AB2C3D"), ("AB2 C3D", "AB2C3D"),
                                             ("AB2C3", None), ("AB2C3DE", None), ("AB0C3D", None), ("<b>AB", None),
                                             ("", None)])
def test_a_typed_code_is_normalised_or_refused(typed, expected):
    assert codes.normal_code(typed) == expected


def test_secrets_carry_at_least_128_random_bits_and_only_the_digest_matches():
    secret = codes.new_secret()
    assert codes.SECRET_BYTES * 8 >= 128 and len(secret) >= 128 / 6  # URL-safe base64: 6 bits a character
    assert len({codes.new_secret() for _ in range(100)}) == 100
    stored = codes.digest(secret)
    assert secret not in stored and codes.matches(secret, stored)
    assert not codes.matches(secret[:-1] + ("A" if secret[-1] != "A" else "B"), stored)
    assert not codes.matches(None, stored) and not codes.matches("", stored)


# ----------------------------------------------------------------- rooms on each store
def test_a_new_room_is_found_by_its_code_in_any_case_and_unknown_codes_are_not(rooms):
    code, secret = rooms.open()
    state = rooms.state(code.lower())
    assert state.code == code and not state.closed and state.view_version == 0 and state.question == ""
    assert state.digest == codes.digest(secret)
    other = "".join(reversed(code)) if "".join(reversed(code)) != code else "ABCDEF"
    for unknown in (other, "nonsense", "", None):
        with pytest.raises(RoomGone):
            rooms.state(unknown)


def test_the_instructor_secret_pushes_a_view_that_every_client_reads(rooms, make_store, clock):
    code, secret = rooms.open()
    assert rooms.push(code, secret, "playground", "steps=1000&run0_gd_lr=0.1") == 1
    assert rooms.push(code, secret, "sweep", "n_rates=5") == 2
    other_process = Rooms(make_store(), clock=clock)
    state = other_process.state(code)
    assert (state.view_version, state.view_page, state.view_query) == (2, "sweep", "n_rates=5")


@pytest.mark.parametrize("secret", [None, "", "forged-secret-of-the-right-length-abcdef", "WRONG"])
def test_without_the_secret_nothing_changes(rooms, secret):
    code, real = opened(rooms)
    rooms.push(code, real, "home", "")
    rooms.submit(code, "a" * 16, "Ann", "{}", 1)
    before = rooms.state(code)
    for action in (lambda: rooms.push(code, secret, "sweep", "x=1"), lambda: rooms.ask(code, secret, ""),
                   lambda: rooms.clear(code, secret), lambda: rooms.close(code, secret),
                   lambda: rooms.runs(code, secret)):
        with pytest.raises(NotInstructor):
            action()
    assert rooms.state(code) == before
    with pytest.raises(NotInstructor):  # another room's secret opens nothing here
        _, other_secret = rooms.open()
        rooms.push(code, other_secret, "sweep", "")


def test_runs_need_an_open_question_and_answer_the_current_one(rooms):
    code, secret = rooms.open()
    with pytest.raises(NoQuestion):
        rooms.submit(code, "ab" * 8, "", "{}", 0)
    first = rooms.ask(code, secret, QUESTION)
    run_id = rooms.submit(code, "ab" * 8, " Ann ", '{"run0_gd_lr": "0.1"}', first)
    second = rooms.ask(code, secret, QUESTION.replace("η", "λ"))
    assert second == first + 1
    with pytest.raises(NoQuestion):  # a page that still shows the old question
        rooms.submit(code, "cd" * 8, "", "{}", first)
    [run] = rooms.runs(code, secret)
    assert (run.id, run.name, run.params, run.question_version) == (run_id, "Ann", '{"run0_gd_lr": "0.1"}', first)
    rooms.ask(code, secret, "")  # the question ended
    with pytest.raises(NoQuestion):
        rooms.submit(code, "cd" * 8, "", "{}", second + 1)


def test_one_session_submits_at_most_once_every_two_seconds(rooms, clock):
    code, _ = opened(rooms)
    rooms.submit(code, "ab" * 8, "", "{}", 1)
    clock.now += 1.5
    with pytest.raises(TooSoon) as refused:
        rooms.submit(code, "ab" * 8, "", "{}", 1)
    assert refused.value.wait_s == pytest.approx(0.5, abs=0.05)
    rooms.submit(code, "cd" * 8, "", "{}", 1)  # another session is not held back
    clock.now += 0.5
    rooms.submit(code, "ab" * 8, "", "{}", 1)


def test_a_room_holds_at_most_its_maximum_of_runs(make_store, clock):
    rooms = Rooms(make_store(), clock=clock, max_runs=3)
    code, _ = opened(rooms)
    for i in range(3):
        rooms.submit(code, f"{i:016x}", "", "{}", 1)
    with pytest.raises(RoomFull):
        rooms.submit(code, "f" * 16, "", "{}", 1)
    assert rooms.state(code).runs == 3


def test_concurrent_submissions_keep_the_gap_and_the_capacity(make_store, clock):
    """Eight clients (as eight processes) at once: one run per session, never more runs than the room holds."""
    code, _ = opened(Rooms(make_store(), clock=clock, max_runs=5))
    outcomes: list = []

    def submit(submitter):
        rooms = Rooms(make_store(), clock=clock, max_runs=5)
        try:
            rooms.submit(code, submitter, "", "{}", 1)
            outcomes.append("ok")
        except (TooSoon, RoomFull) as exc:
            outcomes.append(type(exc).__name__)

    same = [threading.Thread(target=submit, args=("ab" * 8,)) for _ in range(8)]
    for thread in same:
        thread.start()
    for thread in same:
        thread.join()
    assert sorted(outcomes) == ["TooSoon"] * 7 + ["ok"]
    outcomes.clear()
    many = [threading.Thread(target=submit, args=(f"{i:016x}",)) for i in range(1, 9)]
    for thread in many:
        thread.start()
    for thread in many:
        thread.join()
    assert sorted(outcomes) == ["RoomFull"] * 4 + ["ok"] * 4
    assert Rooms(make_store(), clock=clock).state(code).runs == 5


def test_names_are_bounded_and_kept_as_typed_text(rooms):
    code, secret = opened(rooms)
    with pytest.raises(BadInput) as refused:
        rooms.submit(code, "ab" * 8, "x" * 31, "{}", 1)
    assert refused.value.rule == "length" and refused.value.fields == {"n": 30}
    markup = "<b>hi</b> [x](javascript:1)"
    rooms.submit(code, "ab" * 8, markup, "{}", 1)
    assert rooms.runs(code, secret)[0].name == markup  # stored as typed; pages show it as text
    with pytest.raises(BadInput):
        rooms.submit(code, "not hex!", "", "{}", 1)
    with pytest.raises(BadInput):
        rooms.submit(code, "cd" * 8, "", "x" * 5000, 1)
    with pytest.raises(BadInput):
        rooms.push(code, secret, "../etc/passwd", "")


def test_rooms_expire_after_their_day(make_store, clock):
    rooms = Rooms(make_store(), clock=clock, ttl_s=24 * 3600)
    code, secret = opened(rooms)
    rooms.submit(code, "ab" * 8, "", "{}", 1)
    clock.now += 24 * 3600 - 1
    assert rooms.state(code).runs == 1
    clock.now += 1
    for action in (lambda: rooms.state(code), lambda: rooms.push(code, secret, "home", ""),
                   lambda: rooms.submit(code, "cd" * 8, "", "{}", 1)):
        with pytest.raises(RoomGone):
            action()


def test_clear_removes_the_runs_and_close_ends_the_room(rooms):
    code, secret = opened(rooms)
    rooms.submit(code, "ab" * 8, "", "{}", 1)
    before = rooms.state(code)
    rooms.clear(code, secret)
    after = rooms.state(code)
    assert rooms.runs(code, secret) == [] and after.runs == 0 and after.runs_version != before.runs_version
    rooms.submit(code, "cd" * 8, "", "{}", 1)
    rooms.close(code, secret)
    state = rooms.state(code)
    assert state.closed and state.runs == 0 and state.question == ""
    for action in (lambda: rooms.live(code), lambda: rooms.push(code, secret, "home", ""),
                   lambda: rooms.submit(code, "ef" * 8, "", "{}", state.question_version)):
        with pytest.raises(RoomClosed):
            action()


def test_a_new_client_finds_every_room_and_run_after_the_first_one_is_gone(make_store, clock):
    """What an app process restart looks like to the store: the data stays."""
    first = Rooms(make_store(), clock=clock)
    code, secret = opened(first)
    first.push(code, secret, "playground", "steps=1000")
    first.submit(code, "ab" * 8, "Ann", '{"k": "1"}', 1)
    del first
    again = Rooms(make_store(), clock=clock)
    assert again.state(code).view_query == "steps=1000"
    assert [r.name for r in again.runs(code, secret)] == ["Ann"]


# ----------------------------------------------------------------- a store that is down
def test_an_unreachable_sqlite_file_is_reported_as_down(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    rooms = Rooms(SQLiteStore(blocker / "rooms.sqlite3"))
    for action in (rooms.open, lambda: rooms.state("ABCDEF"), rooms.store.ping):
        with pytest.raises(StoreDown):
            action()


def test_a_redis_server_that_does_not_answer_is_reported_as_down():
    rooms = Rooms(open_store(f"redis://127.0.0.1:{free_ports()}/0"))
    for action in (rooms.open, lambda: rooms.state("ABCDEF"), rooms.store.ping):
        with pytest.raises(StoreDown):
            action()


@pytest.mark.parametrize("url", ["mysql://x", "sqlite://relative.db", "http://user:pw@host"])
def test_a_store_setting_that_names_no_store_is_refused_without_echoing_a_password(url):
    with pytest.raises(ValueError, match="DESCENT_LAB_STORE") as refused:
        open_store(url)
    assert "pw" not in str(refused.value)


def test_the_default_store_is_sqlite_in_the_state_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("DESCENT_LAB_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("DESCENT_LAB_STORE", raising=False)
    store = open_store()
    assert isinstance(store, SQLiteStore) and store.path == tmp_path / "classroom.sqlite3"
    Rooms(store).open()
    assert store.path.exists()
    import sqlite3
    assert sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
