"""Class rooms: an instructor's view sent to every student, every student's run sent back.

No Streamlit here. The parts:

- ``codes``: room codes (six characters without look-alikes) and instructor secrets;
- ``store``: the storage interface, its errors, and ``Rooms``, which checks the
  instructor's secret, the room's state and the limits before anything is stored;
- ``sqlite_store`` (the default: one file that every app process on a machine
  shares) and ``redis_store`` (several machines), behind the same interface;
- ``config``: which store ``DESCENT_LAB_STORE`` names.

What a room holds: its code, the digest of its secret (never the secret), the
view last sent (a page and its query string), the question, and the runs
submitted (the values of the question's fields, an optional display name, a
random per-session id, the time). Nothing else about a student.
"""
from .codes import ALPHABET, CODE_LENGTH, normal_code
from .store import (MAX_NAME, MAX_RUNS, MIN_GAP_S, TTL_S, BadInput, NoQuestion, NotInstructor, RoomClosed, RoomFull, RoomGone,
                    RoomState, Rooms, Run, Store, StoreDown, TooSoon)

__all__ = ["ALPHABET", "CODE_LENGTH", "MAX_NAME", "MAX_RUNS", "MIN_GAP_S", "TTL_S", "BadInput", "NoQuestion", "NotInstructor", "RoomClosed",
           "RoomFull", "RoomGone", "RoomState", "Rooms", "Run", "Store", "StoreDown", "TooSoon", "normal_code"]
