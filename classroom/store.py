"""The room store: what a backend must do (``Store``) and what the app calls (``Rooms``).

``Rooms`` is the one place that decides who may do what:

- anyone with the code may read the room's state (the view last sent, the
  question) and submit a run to the open question;
- only the instructor's secret opens ``push``, ``ask``, ``clear``, ``close``
  and ``runs`` (the submitted runs, with their display names);
- every value is bounded before it is stored (sizes, the name's length), a
  session submits at most once every ``min_gap_s`` seconds, and a room holds
  at most ``max_runs`` runs and lives ``ttl_s`` seconds.

A backend (``sqlite_store.SQLiteStore``, ``redis_store.RedisStore``) only
stores; the checks that must be atomic across app processes (the gap between
one session's runs, the room's capacity, the question a run answers) happen
inside its ``submit``. Every backend failure reaches the caller as
``StoreDown``, so a page can say so and carry on alone.
"""
from __future__ import annotations

import abc
import re
import time
from dataclasses import dataclass, field

from . import codes

TTL_S = 24 * 3600.0  # a room lives a day from its start
MAX_RUNS = 1000  # runs a room holds
MIN_GAP_S = 2.0  # seconds between two runs of one session
MAX_NAME = 30  # characters of a display name
MAX_QUERY = 4096  # characters of a view's query string or a run's values (JSON)
MAX_QUESTION = 16384  # characters of a question (JSON: its text, base view and fields)
PAGE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SUBMITTER = re.compile(r"^[0-9a-f]{8,64}$")


# ----------------------------------------------------------------- errors (each one a message a page translates)
class StoreDown(RuntimeError):
    """The store cannot be reached (a file that cannot be written, a Redis server that does not answer)."""


class RoomGone(LookupError):
    """No room has this code: never started, or expired."""


class RoomClosed(RuntimeError):
    """The instructor closed the room."""


class NotInstructor(PermissionError):
    """The secret is missing or is not this room's."""


class TooSoon(RuntimeError):
    """This session submitted less than ``min_gap_s`` seconds ago."""

    def __init__(self, wait_s: float):
        super().__init__(f"submitted too soon: wait {wait_s:.1f} s")
        self.wait_s = wait_s


class RoomFull(RuntimeError):
    """The room holds its maximum number of runs."""


class NoQuestion(RuntimeError):
    """The run answers no open question (none is set, or a newer one replaced it)."""


class BadInput(ValueError):
    """A value that cannot be stored. ``rule`` names the check (``length``: ``n`` characters at most)."""

    def __init__(self, key: str, rule: str, message: str, **fields):
        super().__init__(f"{key}: {message}")
        self.key, self.rule, self.fields = key, rule, fields


# ----------------------------------------------------------------- records
@dataclass(frozen=True)
class RoomState:
    code: str
    created: float
    expires: float
    closed: bool
    view_version: int  # 0 until a view is sent, then 1, 2, …
    view_page: str  # the page of the view last sent ("" before the first)
    view_query: str  # its query string (urlencoded, without the language)
    question_version: int  # 0 until a question is set; a new question (or ending one) adds 1
    question: str  # the open question as JSON, "" when none
    runs_version: int  # changes with every run submitted and every clear
    runs: int  # runs held
    digest: str = field(repr=False, default="")  # the secret's SHA-256 (hex)


@dataclass(frozen=True)
class Run:
    id: int  # increasing within a room
    at: float  # when it was submitted (seconds since the epoch)
    submitter: str  # a random id of the submitting session (not a person)
    name: str  # the optional display name, as typed (≤ MAX_NAME characters)
    params: str  # the question's fields and their values, as JSON
    question_version: int  # the question it answers


# ----------------------------------------------------------------- what a backend does
class Store(abc.ABC):
    """Storage for rooms. Each method is atomic on its own and raises ``StoreDown`` when the storage
    cannot be reached. Methods that change a room return False (or None) when no room has that code."""

    @abc.abstractmethod
    def create(self, code: str, digest: str, now: float, expires: float) -> bool:
        """Add a room; False when the code is taken by a room that has not expired."""

    @abc.abstractmethod
    def state(self, code: str) -> RoomState | None:
        """The room as stored (possibly expired: ``Rooms`` checks), or None."""

    @abc.abstractmethod
    def push(self, code: str, page: str, query: str) -> int | None:
        """Store the view sent; the new view_version."""

    @abc.abstractmethod
    def ask(self, code: str, question: str) -> int | None:
        """Store the question ("" ends it); the new question_version."""

    @abc.abstractmethod
    def clear(self, code: str) -> bool:
        """Remove every run."""

    @abc.abstractmethod
    def close(self, code: str) -> bool:
        """Mark the room closed and remove its runs and question."""

    @abc.abstractmethod
    def submit(self, code: str, submitter: str, name: str, params: str, question_version: int, now: float,
               min_gap_s: float, max_runs: int) -> int:
        """Add a run and return its id, atomically checking, in this order: the room exists and has not
        expired (else RoomGone), is open (RoomClosed), ``question_version`` is its open question
        (NoQuestion), ``submitter``'s last run is at least ``min_gap_s`` old (TooSoon), and the room
        holds fewer than ``max_runs`` runs (RoomFull)."""

    @abc.abstractmethod
    def runs(self, code: str) -> list[Run]:
        """Every run of the room, oldest first."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise StoreDown unless the storage answers."""


# ----------------------------------------------------------------- what the app calls
def _bounded(key: str, value: str, limit: int) -> str:
    value = str(value)
    if len(value) > limit:
        raise BadInput(key, "length", f"{len(value)} characters is more than {limit}", n=limit)
    return value


def clean_name(name) -> str:
    """A display name as stored: surrounding spaces dropped, at most MAX_NAME characters (else BadInput)."""
    return _bounded("name", "" if name is None else str(name).strip(), MAX_NAME)


class Rooms:
    """Rooms on ``store``, with the permission checks and limits (see the module's docstring)."""

    def __init__(self, store: Store, clock=time.time, ttl_s: float = TTL_S, max_runs: int = MAX_RUNS,
                 min_gap_s: float = MIN_GAP_S):
        self.store, self.clock = store, clock
        self.ttl_s, self.max_runs, self.min_gap_s = float(ttl_s), int(max_runs), float(min_gap_s)

    # ---- anyone with the code
    def open(self) -> tuple[str, str]:
        """Start a room: ``(code, secret)``. The secret is shown once, to the instructor; only its digest is kept."""
        secret = codes.new_secret()
        now = self.clock()
        for _ in range(20):
            code = codes.new_code()
            if self.store.create(code, codes.digest(secret), now, now + self.ttl_s):
                return code, secret
        raise StoreDown("no free room code after 20 tries")  # 595 million codes: only a broken store gets here

    def state(self, code) -> RoomState:
        """The room (closed or not); RoomGone for a code that is malformed, unknown or expired."""
        normal = codes.normal_code(code)
        found = self.store.state(normal) if normal else None
        if found is None or found.expires <= self.clock():
            raise RoomGone(f"no room {code!r}")
        return found

    def live(self, code) -> RoomState:
        """The room, which must be open (else RoomClosed)."""
        found = self.state(code)
        if found.closed:
            raise RoomClosed(f"room {found.code} is closed")
        return found

    def submit(self, code, submitter: str, name, params: str, question_version: int) -> int:
        """Add a run to the open question; its id. ``params``: the question's fields and values as JSON."""
        found = self.live(code)
        if not SUBMITTER.match(str(submitter)):
            raise BadInput("submitter", "submitter", "not a session id")
        return self.store.submit(found.code, str(submitter), clean_name(name), _bounded("params", params, MAX_QUERY),
                                 int(question_version), self.clock(), self.min_gap_s, self.max_runs)

    # ---- the instructor only
    def instructor(self, code, secret) -> RoomState:
        """The open room, if ``secret`` is its secret; else NotInstructor (RoomGone, RoomClosed as ``live``)."""
        found = self.live(code)
        if not codes.matches(secret, found.digest):
            raise NotInstructor(f"not the instructor of room {found.code}")
        return found

    def push(self, code, secret, page: str, query: str) -> int:
        found = self.instructor(code, secret)
        if not PAGE_NAME.match(str(page)):
            raise BadInput("page", "page", f"{page!r} is not a page name")
        version = self.store.push(found.code, str(page), _bounded("query", query, MAX_QUERY))
        if version is None:
            raise RoomGone(f"no room {code!r}")
        return version

    def ask(self, code, secret, question: str) -> int:
        """Set the question (JSON), or end it with ""."""
        found = self.instructor(code, secret)
        version = self.store.ask(found.code, _bounded("question", question, MAX_QUESTION))
        if version is None:
            raise RoomGone(f"no room {code!r}")
        return version

    def clear(self, code, secret) -> None:
        self.store.clear(self.instructor(code, secret).code)

    def close(self, code, secret) -> None:
        self.store.close(self.instructor(code, secret).code)

    def runs(self, code, secret) -> list[Run]:
        """Every run of the room, oldest first (with display names: the instructor only)."""
        return self.store.runs(self.instructor(code, secret).code)
