"""Rooms in one SQLite file that every app process on the machine opens (the default store).

WAL journaling lets readers (every following student's poll) run while one
writer commits; a writer waits up to ``BUSY_MS`` for another. Connections are
pooled: Streamlit runs every script run (every poll) on a thread of its own, so
a connection per thread would be a new connection per poll; a pooled one is
used by one thread at a time. A submission's checks and insert run in one
``BEGIN IMMEDIATE`` transaction, so two processes cannot both pass the
session's gap or the room's capacity.
"""
from __future__ import annotations

import os
import queue
import sqlite3
import threading
from pathlib import Path

from .store import NoQuestion, RoomClosed, RoomFull, RoomGone, RoomState, Run, Store, StoreDown, TooSoon

BUSY_MS = 5000
SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    code TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0,
    view_version INTEGER NOT NULL DEFAULT 0,
    view_page TEXT NOT NULL DEFAULT '',
    view_query TEXT NOT NULL DEFAULT '',
    question_version INTEGER NOT NULL DEFAULT 0,
    question TEXT NOT NULL DEFAULT '',
    runs_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    at REAL NOT NULL,
    submitter TEXT NOT NULL,
    name TEXT NOT NULL,
    params TEXT NOT NULL,
    question_version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_room ON runs (code, id);
CREATE INDEX IF NOT EXISTS runs_by_submitter ON runs (code, submitter, at);
"""
STATE_COLUMNS = ("code, created, expires, closed, view_version, view_page, view_query, question_version, question, "
                 "runs_version, (SELECT COUNT(*) FROM runs WHERE runs.code = rooms.code), digest")


class SQLiteStore(Store):
    def __init__(self, path):
        self.path = Path(path)
        self._idle: queue.SimpleQueue = queue.SimpleQueue()  # connections no thread is using
        self._schema_ready = False
        self._schema_lock = threading.Lock()

    # ---- connections
    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a commit survives a crash of the app
            with self._schema_lock:
                if not self._schema_ready:
                    conn.executescript(SCHEMA)
                    self._schema_ready = True
            try:
                os.chmod(self.path, 0o600)  # display names: readable by this user only
            except OSError:
                pass
            return conn
        except (sqlite3.Error, OSError) as exc:
            raise StoreDown(f"SQLite store {self.path}: {exc}") from exc

    def _run(self, work):
        """``work(conn)`` on a pooled connection, every SQLite or file error as StoreDown (the connection that
        failed is closed, not pooled again)."""
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self._connect()
        try:
            result = work(conn)
        except (sqlite3.Error, OSError) as exc:
            try:
                conn.close()
            except sqlite3.Error:
                pass
            raise StoreDown(f"SQLite store {self.path}: {exc}") from exc
        except BaseException:
            self._idle.put(conn)
            raise
        self._idle.put(conn)
        return result

    def _atomic(self, work):
        """``work(conn)`` in one ``BEGIN IMMEDIATE`` transaction: committed whole, or rolled back."""
        def transaction(conn):
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = work(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result
        return self._run(transaction)

    # ---- the interface
    def create(self, code, digest, now, expires) -> bool:
        def work(conn):
            # Expired rooms go first (their runs with them): nothing is kept past its day.
            conn.execute("DELETE FROM runs WHERE code IN (SELECT code FROM rooms WHERE expires <= ?)", (now,))
            conn.execute("DELETE FROM rooms WHERE expires <= ?", (now,))
            return conn.execute("INSERT OR IGNORE INTO rooms (code, digest, created, expires) VALUES (?, ?, ?, ?)",
                                (code, digest, now, expires)).rowcount == 1
        return self._atomic(work)

    def state(self, code):
        def work(conn):
            row = conn.execute(f"SELECT {STATE_COLUMNS} FROM rooms WHERE code = ?", (code,)).fetchone()
            if row is None:
                return None
            return RoomState(row[0], row[1], row[2], bool(row[3]), *row[4:])
        return self._run(work)

    def push(self, code, page, query):
        row = self._run(lambda conn: conn.execute(
            "UPDATE rooms SET view_version = view_version + 1, view_page = ?, view_query = ? WHERE code = ? "
            "RETURNING view_version", (page, query, code)).fetchone())
        return None if row is None else row[0]

    def ask(self, code, question):
        row = self._run(lambda conn: conn.execute(
            "UPDATE rooms SET question_version = question_version + 1, question = ? WHERE code = ? "
            "RETURNING question_version", (question, code)).fetchone())
        return None if row is None else row[0]

    def _remove_runs(self, code, then: str) -> bool:
        """Delete the room's runs and apply ``then`` (an UPDATE's SET clause) to it, in one transaction."""
        def work(conn):
            conn.execute("DELETE FROM runs WHERE code = ?", (code,))
            return conn.execute(f"UPDATE rooms SET {then} WHERE code = ?", (code,)).rowcount == 1
        return self._atomic(work)

    def clear(self, code) -> bool:
        return self._remove_runs(code, "runs_version = runs_version + 1")

    def close(self, code) -> bool:
        return self._remove_runs(code, "closed = 1, question = '', question_version = question_version + 1, "
                                       "runs_version = runs_version + 1")

    def submit(self, code, submitter, name, params, question_version, now, min_gap_s, max_runs) -> int:
        return self._atomic(lambda conn: self._checked_insert(conn, code, submitter, name, params, question_version,
                                                              now, min_gap_s, max_runs))

    @staticmethod
    def _checked_insert(conn, code, submitter, name, params, question_version, now, min_gap_s, max_runs) -> int:
        room = conn.execute("SELECT expires, closed, question_version, question FROM rooms WHERE code = ?",
                            (code,)).fetchone()
        if room is None or room[0] <= now:
            raise RoomGone(f"no room {code!r}")
        if room[1]:
            raise RoomClosed(f"room {code} is closed")
        if not room[3] or room[2] != question_version:
            raise NoQuestion(f"room {code}: question {question_version} is not the open one")
        last = conn.execute("SELECT MAX(at) FROM runs WHERE code = ? AND submitter = ?", (code, submitter)).fetchone()[0]
        if last is not None and now - last < min_gap_s:
            raise TooSoon(min_gap_s - (now - last))
        if conn.execute("SELECT COUNT(*) FROM runs WHERE code = ?", (code,)).fetchone()[0] >= max_runs:
            raise RoomFull(f"room {code} holds {max_runs} runs")
        cursor = conn.execute("INSERT INTO runs (code, at, submitter, name, params, question_version) "
                              "VALUES (?, ?, ?, ?, ?, ?)", (code, now, submitter, name, params, question_version))
        conn.execute("UPDATE rooms SET runs_version = runs_version + 1 WHERE code = ?", (code,))
        return cursor.lastrowid

    def runs(self, code):
        rows = self._run(lambda conn: conn.execute(
            "SELECT id, at, submitter, name, params, question_version FROM runs WHERE code = ? ORDER BY id",
            (code,)).fetchall())
        return [Run(*row) for row in rows]

    def ping(self) -> None:
        self._run(lambda conn: conn.execute("SELECT 1").fetchone())

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"
