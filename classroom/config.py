"""Which store the app uses: ``DESCENT_LAB_STORE``.

- unset or empty: SQLite, ``classroom.sqlite3`` in the state directory
  (``DESCENT_LAB_STATE_DIR``, else ``$XDG_STATE_HOME/descent-lab``, else
  ``~/.local/state/descent-lab``): one file for every app process of the
  machine, ``scripts/serve``'s included;
- ``sqlite:///absolute/path.db``: SQLite in that file;
- ``redis://[:password@]host:port/db``, ``rediss://…`` (TLS) or
  ``unix:///path/to/redis.sock``: Redis, for app processes on several machines.
"""
from __future__ import annotations

import os
from pathlib import Path

from .store import Store

ENV = "DESCENT_LAB_STORE"
STATE_ENV = "DESCENT_LAB_STATE_DIR"
FILE_NAME = "classroom.sqlite3"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def state_dir() -> Path:
    if os.environ.get(STATE_ENV):
        return Path(os.environ[STATE_ENV])
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "descent-lab"


def open_store(url: str | None = None) -> Store:
    """The store ``url`` names (default: the environment's ``DESCENT_LAB_STORE``); ValueError for one it cannot be."""
    url = (os.environ.get(ENV, "") if url is None else url).strip()
    if not url:
        from .sqlite_store import SQLiteStore

        return SQLiteStore(state_dir() / FILE_NAME)
    if url.startswith("sqlite:///"):
        from .sqlite_store import SQLiteStore

        return SQLiteStore(Path(url[len("sqlite://"):]))
    if url.startswith(REDIS_SCHEMES):
        from .redis_store import RedisStore

        return RedisStore(url)
    shown = url.split("@")[-1][:60]  # never echo a password
    raise ValueError(f"{ENV}={shown!r} is not a store; allowed: unset (SQLite in {state_dir()}), "
                     "sqlite:///absolute/path.db, redis://host:port/db, rediss://…, unix:///path.sock")
